// The JIT: compiles a VmProgram once into JavaScript functions (new
// Function; one per chunk of about 256 slots, so V8 optimises each),
// cached per program, that V8 then compiles to machine code.
// Registers live in local variables, each as two signed 32-bit halves
// (jit-alu.ts), and reach the shared register file (ex.regs) only where
// other code reads it: helper calls, atomics, legacy packet loads, the
// interpreter, and the frame's exit. The program is cut into basic blocks
// (jit-blocks.ts), one `case` each of a `switch (pc)` inside a loop:
// straight-line code falls through from block to block, a jump sets pc and
// re-dispatches — except inside innermost loops entered only at their head,
// which become JavaScript loops of their own. Each block charges its length
// to the budget on entry; a block that does not fit is handed to the
// interpreter, which stops at the same instruction an instruction-by-
// instruction run would. Registers known to hold a constant are written as
// that constant (jit-constants.ts); loads and stores take inline fast paths
// (jit-memory.ts). Semantics are the interpreter's: the same alu.ts
// functions, the same address checks and fault messages on every slow path,
// the interpreter's own code for the rare instructions (atomics, helper
// calls, legacy packet loads, unusual entries), and the same instruction
// count.
import { Class, JmpOp, LD_IMM64, PseudoCall } from "../asm/opcodes.js";
import * as alu from "./alu.js";
import { atomic, callHelper, depthError, interpret, legacyPacketLoad, type Execution } from "./interpreter.js";
import { alu32, alu64, condition, hi, lo } from "./jit-alu.js";
import { basicBlocks, loopRegions, type Block } from "./jit-blocks.js";
import { constantsAtBlocks, programEntries, step, type Constants } from "./jit-constants.js";
import { EMPTY_CACHE, loadInstruction, reloadRegister, spillRegister, storeInstruction, SWITCH_FRAME } from "./jit-memory.js";
import * as runtime from "./jit-runtime.js";
import { addressHigh, addressLow } from "./memory.js";
import type { VmProgram } from "./program.js";

/** What compiled code calls back into. */
const RUNTIME = { ...alu, ...runtime, atomic, callHelper, depthError, interpret, legacyPacketLoad, addressHigh, addressLow };

/**
 * One compiled piece of a program: runs from block `pc` until the frame that
 * entered the program exits (returns EXITED, r0 in the register file) or
 * control reaches a block of another chunk (returns its slot). Registers,
 * the budget and the frames travel through `ex` and `fr` between chunks.
 */
type Chunk = (ex: Execution, pc: number, rt: typeof RUNTIME, fr: number[], baseDepth: number) => number;

/** A chunk's return value when the entry frame has exited. */
const EXITED = -1;

/**
 * Slots of code per chunk, roughly. V8 optimises a function only below a
 * bytecode size (and its compile time grows faster than linearly), so a
 * large program is compiled as several functions, cut between blocks and
 * never inside a loop region.
 */
const CHUNK_SLOTS = 256;

interface CompiledProgram {
  readonly chunks: readonly Chunk[];
  /** Index of the chunk holding each block start (-1 elsewhere). */
  readonly owner: Int32Array;
  /** Slots compiled code may be entered at (others are interpreted). */
  readonly entries: ReadonlySet<number>;
}

const cache = new WeakMap<VmProgram, CompiledProgram>();

/** Registers held in locals: r0–r10 (r10 for its value; r10-relative accesses use the frame's stack directly). */
const REGISTERS = Array.from({ length: 11 }, (_, r) => r);
const SPILL_ALL = REGISTERS.map(spillRegister).join(" ");
const RELOAD_ALL = REGISTERS.map(reloadRegister).join(" ");

/**
 * Compiles `program` now, cut into chunks of about `chunkSlots` slots (tests
 * use small chunks to cross chunk boundaries everywhere).
 * @internal
 */
export function precompile(program: VmProgram, chunkSlots = CHUNK_SLOTS): void {
  cache.set(program, compile(program, chunkSlots));
}

/** Runs `ex.program` from slot `entry` with compiled code (compiling it on first use). */
export function runCompiled(ex: Execution, entry: number): bigint {
  let compiled = cache.get(ex.program);
  if (!compiled) {
    compiled = compile(ex.program, CHUNK_SLOTS);
    cache.set(ex.program, compiled);
  }
  // Constants known to the code hold only from the program's entries; any other (a callback address computed at run time) is interpreted.
  if (!compiled.entries.has(entry)) return interpret(ex, entry);
  const fr: number[] = [];
  const baseDepth = ex.depth;
  let pc = entry;
  for (;;) {
    pc = (compiled.chunks[compiled.owner[pc] as number] as Chunk)(ex, pc, RUNTIME, fr, baseDepth);
    if (pc === EXITED) return ex.regs.u64[0] as bigint;
  }
}

function compile(program: VmProgram, chunkSlots: number): CompiledProgram {
  const owner = new Int32Array(program.length).fill(-1);
  const sources = chunkSources(program, chunkSlots);
  sources.forEach((c, k) => { for (const start of c.starts) owner[start] = k; });
  const chunks = sources.map((c) => new Function("ex", "pc", "rt", "fr", "baseDepth", c.source) as Chunk);
  return { chunks, owner, entries: programEntries(program) };
}

/** Ends the current frame: returns r0 from the entry frame, or resumes the caller with its r6–r9. */
const EXIT_FRAME = `if (fr.length === 0) { ${SPILL_ALL} ex.remaining = rem; return ${EXITED}; }
pc = fr.pop(); h9 = fr.pop(); l9 = fr.pop(); h8 = fr.pop(); l8 = fr.pop(); h7 = fr.pop(); l7 = fr.pop(); h6 = fr.pop(); l6 = fr.pop();
ex.depth--; ${SWITCH_FRAME} cW = -1; continue run;`;

/** The JavaScript source of a program's compiled functions (exposed for debugging and tests). */
export function jitSource(program: VmProgram, chunkSlots = CHUNK_SLOTS): string {
  return chunkSources(program, chunkSlots).map((c, k) => `// chunk ${k}: (ex, pc, rt, fr, baseDepth) => next slot or ${EXITED}\n${c.source}`).join("\n");
}

/** The program's blocks cut into chunks of about `chunkSlots` slots, loop regions kept whole; each chunk's source. */
function chunkSources(program: VmProgram, chunkSlots: number): { starts: number[]; source: string }[] {
  const blocks = basicBlocks(program);
  // A loop longer than a chunk is cut like straight-line code (its back edge then goes through runCompiled).
  const regions = loopRegions(program, blocks).filter((r) => (blocks[r.last] as Block).end - (blocks[r.first] as Block).start <= chunkSlots);
  const constants = constantsAtBlocks(program, blocks);
  const chunks: { starts: number[]; lines: string[] }[] = [];
  let slots = Infinity;
  for (let k = 0; k < blocks.length; k++) {
    const region = regions.find((r) => r.first === k);
    const last = region ? region.last : k;
    const span = (blocks[last] as Block).end - (blocks[k] as Block).start;
    if (slots + span > chunkSlots && slots > 0) {
      chunks.push({ starts: [], lines: [] });
      slots = 0;
    }
    slots += span;
    const chunk = chunks[chunks.length - 1] as { starts: number[]; lines: string[] };
    for (let j = k; j <= last; j++) chunk.starts.push((blocks[j] as Block).start);
    if (!region) {
      chunk.lines.push(...compileBlock(program, blocks[k] as Block, outside, constants));
      continue;
    }
    const inRegion = blocks.slice(region.first, region.last + 1);
    const head = (inRegion[0] as Block).start;
    const label = `loop${head}`;
    const slotsInRegion = new Set(inRegion.map((b) => b.start));
    const flow = regionFlow(label, slotsInRegion, region.innerTargets);
    chunk.lines.push(`case ${head}:`);
    // A region with jumps to its later blocks dispatches on pc itself (which may be stale after falling in).
    if (region.innerTargets) chunk.lines.push(`pc = ${head};`, `${label}: for (;;) {`, "switch (pc) {");
    else chunk.lines.push(`${label}: for (;;) {`);
    if (!region.innerTargets && inRegion.every((b) => chargeableAhead(program, b))) {
      // One budget check per iteration: the head charges every block of the body, and whatever leaves
      // early gives back what it did not run (`carry`), so counts and faults stay exact.
      let carry = inRegion.reduce((n, b) => n + b.count, 0);
      inRegion.forEach((b, j) => {
        const charge = j === 0 ? carry : 0;
        carry -= b.count;
        chunk.lines.push(...compileBlock(program, b, carriedFlow(label, slotsInRegion, carry), constants, false, { charge, carry }));
      });
    } else {
      for (const b of inRegion) chunk.lines.push(...compileBlock(program, b, flow, constants, region.innerTargets));
    }
    // Falling off the region's last block leaves the loop, into the next block's code.
    chunk.lines.push(region.innerTargets ? "}" : "", "break;", "}");
    k = region.last;
  }
  return chunks.map((c, n) => {
    const next = chunks[n + 1]?.starts[0];
    return { starts: c.starts, source: [...PROLOGUE, ...c.lines,
      // Falling off the chunk's last block continues in the next chunk.
      ...(next === undefined ? [] : [`pc = ${next};`]),
      // A slot of another chunk: hand it back to runCompiled.
      `default: ${SPILL_ALL} ex.remaining = rem; return pc;`, "}",
      // Only a block that does not fit the budget leaves the switch (`break dispatch`, pc = its start, rem as before it).
      `${SPILL_ALL} rt.overBudget(ex, pc, rem);`, "}"].join("\n") };
  });
}

/** A chunk's start: the registers and the budget into locals, the frame's stack, an empty region cache, the dispatch. */
const PROLOGUE = [
  "const regs = ex.regs, s32 = regs.s32, mem = ex.memory, stacks = ex.stacks;",
  "let rem = ex.remaining;",
  `let ${REGISTERS.map((r) => `${lo(r)} = 0, ${hi(r)} = 0`).join(", ")};`,
  RELOAD_ALL,
  "let sB = stacks[ex.depth].bytes, sV = stacks[ex.depth].view, sW = stacks[ex.depth].window, sS = stacks[ex.depth].start | 0;",
  EMPTY_CACHE,
  "run: for (;;) {",
  "dispatch: switch (pc) {",
];

/** How a jump to `target` is written from a block: where control goes next. */
type Flow = (target: number) => string;

/** Outside loop regions every jump re-dispatches on pc in the main loop. */
const outside: Flow = (target) => `{ pc = ${target}; continue run; }`;

/** Inside a loop region: jumps within it stay in its JS loop, jumps out re-dispatch. */
function regionFlow(label: string, slots: ReadonlySet<number>, dispatches: boolean): Flow {
  return (target) => {
    if (!slots.has(target)) return outside(target);
    if (!dispatches) return `continue ${label};`;
    return `{ pc = ${target}; continue ${label}; }`;
  };
}

/**
 * Whether a loop body block may be charged ahead by the loop head: it makes
 * no call and no exit (which hand the budget to other code), and no legacy
 * packet load (which may end the program).
 */
function chargeableAhead(p: VmProgram, block: Block): boolean {
  for (let i = block.start; i < block.end; i += p.opcode[i] === LD_IMM64 ? 2 : 1) {
    const op = p.opcode[i] as number;
    const jmpOp = op & 0xf0;
    if (((op & 0x07) === Class.JMP || (op & 0x07) === Class.JMP32) && (jmpOp === JmpOp.CALL || jmpOp === JmpOp.EXIT)) return false;
    if ((op & 0x07) === Class.LD && op !== LD_IMM64) return false;
  }
  return true;
}

/** Jumps from a block of a loop charged ahead: leaving the iteration early gives back `carry` first. */
function carriedFlow(label: string, slots: ReadonlySet<number>, carry: number): Flow {
  const refund = carry > 0 ? `rem += ${carry}; ` : "";
  return (target) => (slots.has(target) ? `{ ${refund}continue ${label}; }` : `{ ${refund}pc = ${target}; continue run; }`);
}

/**
 * How a block pays its budget: `charge` instructions checked at its start
 * (0: a loop head paid already), `carry` instructions of later blocks paid
 * ahead and not yet run (added back wherever the count must be exact).
 */
interface BlockBudget {
  readonly charge: number;
  readonly carry: number;
}

function compileBlock(p: VmProgram, block: Block, flow: Flow, constants: ReadonlyMap<number, Constants>, labelled = true, budget?: BlockBudget): string[] {
  const known = new Map(constants.get(block.start) ?? []);
  const { start, count } = block;
  const charge = budget ? budget.charge : count;
  const carry = budget ? budget.carry : 0;
  const out = [labelled ? `case ${start}:` : `// block ${start}`];
  if (charge > 0) out.push(`if ((rem -= ${charge}) < 0) { rem += ${charge}; pc = ${start}; break dispatch; }`);
  let k = 0;
  for (let i = start; i < block.end; i += p.opcode[i] === LD_IMM64 ? 2 : 1) {
    // What the interpreter's count would be after this instruction: made exact before anything that may throw.
    const sync = `ex.remaining = rem + ${count - k - 1 + carry};`;
    out.push(instruction(p, i, sync, flow, known));
    step(p, i, known);
    k++;
  }
  return out;
}

function instruction(p: VmProgram, i: number, sync: string, flow: Flow, known: Constants): string {
  const op = p.opcode[i] as number;
  switch (op & 0x07) {
    case Class.ALU64: return alu64(p, i, known);
    case Class.ALU: return alu32(p, i, known);
    case Class.JMP:
    case Class.JMP32: return jump(p, i, flow, known);
    case Class.LDX: return loadInstruction(p, i, sync);
    case Class.ST:
    case Class.STX: return storeInstruction(p, i, sync);
    default: {
      const d = p.dst[i] as number;
      if (op === LD_IMM64) {
        const v = p.imm64[i] as bigint;
        return `${lo(d)} = ${Number(BigInt.asIntN(32, v))}; ${hi(d)} = ${Number(BigInt.asIntN(32, v >> 32n))};`;
      }
      // Legacy BPF_ABS/BPF_IND: out of bounds ends the program with r0 = 0, from any frame.
      return `${sync} ${spillRegister(p.src[i] as number)}
if (rt.legacyPacketLoad(ex, ${i}, ${op}, ${p.src[i]}, ${p.imm[i]})) { ex.depth = baseDepth; fr.length = 0; l0 = 0; h0 = 0; ${SPILL_ALL} ex.remaining = rem; return ${EXITED}; }
${reloadRegister(0)}`;
    }
  }
}

function jump(p: VmProgram, i: number, flow: Flow, known: Constants): string {
  const op = p.opcode[i] as number;
  const jmpOp = op & 0xf0;
  const wide = (op & 0x07) === Class.JMP;
  const off = p.offset[i] as number;
  const imm = p.imm[i] as number;
  switch (jmpOp) {
    case JmpOp.JA: return flow(i + (wide ? off : imm) + 1);
    case JmpOp.EXIT: return EXIT_FRAME;
    case JmpOp.JCOND: return `if (ex.mayGoto === 0) ${flow(i + off + 1)} ex.mayGoto--;`;
    case JmpOp.CALL:
      if (p.src[i] === PseudoCall.CALL) {
        return `if (ex.depth + 1 >= stacks.length) { ex.remaining = rem; throw rt.depthError(${i}, stacks.length); }
fr.push(l6, h6, l7, h7, l8, h8, l9, h9, ${i + 1}); ex.depth++; ${SWITCH_FRAME} cW = -1;
${outside(i + imm + 1)}`;
      }
      // A helper sees the register file; after it, only r0 changed — unless it tail-called: then the
      // target ran on the same registers and this frame ends with them. Either way regions may have moved.
      return `${SPILL_ALL} ex.remaining = rem;
if (rt.callHelper(ex, ${i}, ${p.src[i]}, ${imm})) { rem = ex.remaining; cW = -1; ${RELOAD_ALL} ${EXIT_FRAME} }
rem = ex.remaining; cW = -1; ${reloadRegister(0)}`;
    default:
      return `if (${condition(p, i, wide, known)}) ${flow(i + off + 1)}`;
  }
}
