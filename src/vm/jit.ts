// The JIT: compiles a VmProgram once into a JavaScript function (new
// Function), cached per program, that V8 then compiles to machine code.
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

type Compiled = (ex: Execution, entry: number, rt: typeof RUNTIME) => bigint;

const cache = new WeakMap<VmProgram, Compiled>();

/** Registers held in locals: r0–r10 (r10 for its value; r10-relative accesses use the frame's stack directly). */
const REGISTERS = Array.from({ length: 11 }, (_, r) => r);
const SPILL_ALL = REGISTERS.map(spillRegister).join(" ");
const RELOAD_ALL = REGISTERS.map(reloadRegister).join(" ");

/** Runs `ex.program` from slot `entry` with compiled code (compiling it on first use). */
export function runCompiled(ex: Execution, entry: number): bigint {
  let fn = cache.get(ex.program);
  if (!fn) {
    fn = compile(ex.program);
    cache.set(ex.program, fn);
  }
  return fn(ex, entry, RUNTIME);
}

function compile(program: VmProgram): Compiled {
  return new Function("ex", "entry", "rt", jitSource(program)) as Compiled;
}

/** Ends the current frame: returns r0 from the entry frame, or resumes the caller with its r6–r9. */
const EXIT_FRAME = `if (fr.length === 0) { ${SPILL_ALL} ex.remaining = rem; return regs.u64[0]; }
pc = fr.pop(); h9 = fr.pop(); l9 = fr.pop(); h8 = fr.pop(); l8 = fr.pop(); h7 = fr.pop(); l7 = fr.pop(); h6 = fr.pop(); l6 = fr.pop();
ex.depth--; ${SWITCH_FRAME} cW = -1; continue run;`;

/** The JavaScript source of a program's compiled function body (exposed for debugging and tests). */
export function jitSource(program: VmProgram): string {
  const lines: string[] = [
    "const regs = ex.regs, s32 = regs.s32, mem = ex.memory, stacks = ex.stacks;",
    "const baseDepth = ex.depth;",
    // Saved frames of bpf-to-bpf calls, flat: r6–r9 halves, then the return slot.
    "const fr = [];",
    "let rem = ex.remaining;",
    `let ${REGISTERS.map((r) => `${lo(r)} = 0, ${hi(r)} = 0`).join(", ")};`,
    RELOAD_ALL,
    "let sB = stacks[ex.depth].bytes, sV = stacks[ex.depth].view, sW = stacks[ex.depth].window, sS = stacks[ex.depth].start | 0;",
    EMPTY_CACHE,
    // Constants known to the code hold only from these entries; any other (a callback address computed at run time) is interpreted.
    `if (${[...programEntries(program)].map((e) => `entry !== ${e}`).join(" && ")}) return rt.interpret(ex, entry);`,
    "let pc = entry;",
    "run: for (;;) {",
    "dispatch: switch (pc) {",
  ];
  const blocks = basicBlocks(program);
  const regions = loopRegions(program, blocks);
  const constants = constantsAtBlocks(program, blocks);
  for (let k = 0; k < blocks.length; k++) {
    const region = regions.find((r) => r.first === k);
    if (!region) {
      lines.push(...compileBlock(program, blocks[k] as Block, outside, constants));
      continue;
    }
    const inRegion = blocks.slice(region.first, region.last + 1);
    const head = (inRegion[0] as Block).start;
    const label = `loop${head}`;
    const flow = regionFlow(label, new Set(inRegion.map((b) => b.start)), region.innerTargets);
    lines.push(`case ${head}:`);
    // A region with jumps to its later blocks dispatches on pc itself (which may be stale after falling in).
    if (region.innerTargets) lines.push(`pc = ${head};`, `${label}: for (;;) {`, "switch (pc) {");
    else lines.push(`${label}: for (;;) {`);
    for (const b of inRegion) lines.push(...compileBlock(program, b, flow, constants, region.innerTargets));
    // Falling off the region's last block leaves the loop, into the next block's code.
    lines.push(region.innerTargets ? "}" : "", "break;", "}");
    k = region.last;
  }
  // An entry in the middle of a block (a callback address no ld_imm64 names): the interpreter runs it.
  lines.push("default: ex.remaining = rem; return rt.interpret(ex, pc);", "}");
  // Only a block that does not fit the budget leaves the switch (`break dispatch`, pc = its start, rem as before it).
  lines.push(`${SPILL_ALL} rt.overBudget(ex, pc, rem);`, "}");
  return lines.join("\n");
}

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

function compileBlock(p: VmProgram, block: Block, flow: Flow, constants: ReadonlyMap<number, Constants>, labelled = true): string[] {
  const known = new Map(constants.get(block.start) ?? []);
  const { start, count } = block;
  const out = [labelled ? `case ${start}:` : `// block ${start}`, `if ((rem -= ${count}) < 0) { rem += ${count}; pc = ${start}; break dispatch; }`];
  let k = 0;
  for (let i = start; i < block.end; i += p.opcode[i] === LD_IMM64 ? 2 : 1) {
    // What the interpreter's count would be after this instruction: made exact before anything that may throw.
    const sync = `ex.remaining = rem + ${count - k - 1};`;
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
if (rt.legacyPacketLoad(ex, ${i}, ${op}, ${p.src[i]}, ${p.imm[i]})) { ex.depth = baseDepth; l0 = 0; h0 = 0; ${SPILL_ALL} return 0n; }
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
