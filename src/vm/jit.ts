// The JIT: compiles a VmProgram once into a JavaScript function (new
// Function), cached per program, that the JS engine then compiles to machine
// code. The function is a `switch (pc)` inside a loop with one case per slot:
// straight-line code falls through from case to case, a jump sets pc and
// re-dispatches. Every operand, immediate and register index is a literal,
// so what the interpreter decodes per instruction is decided once here.
// Semantics are the interpreter's by construction: the same register views,
// the same division/modulo/byte-swap functions (alu.ts), the same memory
// checks, and the interpreter's own code for the rare instructions (atomics,
// helper calls, legacy packet loads); the budget is charged per instruction,
// so both count the same.
import { AluOp, AtomicOp, Class, JmpOp, LD_IMM64, Mode, PseudoCall, Source, sizeBytes } from "../asm/opcodes.js";
import * as alu from "./alu.js";
import { atomic, budgetError, callHelper, depthError, legacyPacketLoad, STACK_SIZE, type Execution } from "./interpreter.js";
import { addressHigh, addressLow } from "./memory.js";
import type { VmProgram } from "./program.js";
import { HI, LO } from "./registers.js";

/** What compiled code calls back into. */
const RUNTIME = { ...alu, atomic, budgetError, callHelper, depthError, legacyPacketLoad, addressHigh, addressLow };

type Compiled = (ex: Execution, entry: number, rt: typeof RUNTIME) => bigint;

const cache = new WeakMap<VmProgram, Compiled>();

/** Runs `ex.program` from slot `entry` with compiled code (compiling it on first use). */
export function runCompiled(ex: Execution, entry: number): bigint {
  let fn = cache.get(ex.program);
  if (!fn) {
    fn = compile(ex.program);
    cache.set(ex.program, fn);
  }
  return fn(ex, entry, RUNTIME);
}

/** The JavaScript source of a program's compiled function body (exposed for debugging and tests). */
export function jitSource(program: VmProgram): string {
  const lines: string[] = [
    "const { regs, memory: mem } = ex;",
    "const { u64, s64, u32, s32 } = regs;",
    "const baseDepth = ex.depth;",
    "const frames = [];",
    "let pc = entry;",
    "for (;;) {",
    "switch (pc) {",
  ];
  for (let i = 0; i < program.length; i++) {
    lines.push(`case ${i}:`);
    if (i > 0 && program.opcode[i - 1] === LD_IMM64) continue; // second slot: falls through
    lines.push(`if (--ex.remaining < 0) throw rt.budgetError(${i});`);
    lines.push(instruction(program, i));
  }
  lines.push("default: throw new Error(`jit: no slot ${pc}`);", "}", "}");
  return lines.join("\n");
}

function compile(program: VmProgram): Compiled {
  return new Function("ex", "entry", "rt", jitSource(program)) as Compiled;
}

const lo = (r: number): string => `u32[${2 * r + LO}]`;
const hi = (r: number): string => `u32[${2 * r + HI}]`;
const big = (v: bigint): string => `${v}n`;


function instruction(p: VmProgram, i: number): string {
  const op = p.opcode[i] as number;
  const d = p.dst[i] as number;
  const s = p.src[i] as number;
  const off = p.offset[i] as number;
  const imm = p.imm[i] as number;
  const x = (op & Source.X) !== 0;
  const goto = (target: number): string => `{ pc = ${target}; continue; }`;
  switch (op & 0x07) {
    case Class.ALU64: {
      const ux = x ? `u64[${s}]` : big(p.immU64[i] as bigint);
      const sx = x ? `s64[${s}]` : big(p.immS64[i] as bigint);
      const amount = x ? `BigInt(${lo(s)} & 63)` : `${imm & 63}n`;
      switch (op & 0xf0) {
        case AluOp.ADD: return `u64[${d}] = u64[${d}] + ${ux};`;
        case AluOp.SUB: return `u64[${d}] = u64[${d}] - ${ux};`;
        case AluOp.MUL: return `u64[${d}] = u64[${d}] * ${ux};`;
        case AluOp.DIV: return off === 1 ? `s64[${d}] = rt.sdiv64(s64[${d}], ${sx});` : `u64[${d}] = rt.udiv64(u64[${d}], ${ux});`;
        case AluOp.MOD: return off === 1 ? `s64[${d}] = rt.smod64(s64[${d}], ${sx});` : `u64[${d}] = rt.umod64(u64[${d}], ${ux});`;
        case AluOp.OR: return `u64[${d}] = u64[${d}] | ${ux};`;
        case AluOp.AND: return `u64[${d}] = u64[${d}] & ${ux};`;
        case AluOp.XOR: return `u64[${d}] = u64[${d}] ^ ${ux};`;
        case AluOp.LSH: return `u64[${d}] = u64[${d}] << ${amount};`;
        case AluOp.RSH: return `u64[${d}] = u64[${d}] >> ${amount};`;
        case AluOp.ARSH: return `s64[${d}] = s64[${d}] >> ${amount};`;
        case AluOp.NEG: return `u64[${d}] = -u64[${d}];`;
        case AluOp.MOV:
          if (!x || off === 0) return `u64[${d}] = ${ux};`;
          return `{ const v = ${off === 32 ? `${lo(s)} | 0` : `(${lo(s)} << ${32 - off}) >> ${32 - off}`}; s32[${2 * d + LO}] = v; s32[${2 * d + HI}] = v >> 31; }`;
        default:
          if (imm === 16) return `${lo(d)} = rt.bswap16(${lo(d)}); ${hi(d)} = 0;`;
          if (imm === 32) return `${lo(d)} = rt.bswap32(${lo(d)}); ${hi(d)} = 0;`;
          return `{ const l = ${lo(d)}; ${lo(d)} = rt.bswap32(${hi(d)}); ${hi(d)} = rt.bswap32(l); }`;
      }
    }
    case Class.ALU: {
      const b = x ? lo(s) : `${imm >>> 0}`;
      const a = lo(d);
      let r: string;
      switch (op & 0xf0) {
        case AluOp.ADD: r = `(${a} + ${b}) >>> 0`; break;
        case AluOp.SUB: r = `(${a} - ${b}) >>> 0`; break;
        case AluOp.MUL: r = `Math.imul(${a}, ${b}) >>> 0`; break;
        case AluOp.DIV: r = off === 1 ? `rt.sdiv32(${a} | 0, ${b} | 0)` : `rt.udiv32(${a}, ${b})`; break;
        case AluOp.MOD: r = off === 1 ? `rt.smod32(${a} | 0, ${b} | 0)` : `rt.umod32(${a}, ${b})`; break;
        case AluOp.OR: r = `(${a} | ${b}) >>> 0`; break;
        case AluOp.AND: r = `(${a} & ${b}) >>> 0`; break;
        case AluOp.XOR: r = `(${a} ^ ${b}) >>> 0`; break;
        case AluOp.LSH: r = `(${a} << (${b} & 31)) >>> 0`; break;
        case AluOp.RSH: r = `${a} >>> (${b} & 31)`; break;
        case AluOp.ARSH: r = `((${a} | 0) >> (${b} & 31)) >>> 0`; break;
        case AluOp.NEG: r = `-${a} >>> 0`; break;
        case AluOp.MOV: r = off === 0 ? b : `((${b} << ${32 - off}) >> ${32 - off}) >>> 0`; break;
        default:
          if (!x) {
            if (imm === 64) return "";
            r = imm === 16 ? `${a} & 0xffff` : a;
          } else if (imm === 16) {
            r = `rt.bswap16(${a})`;
          } else if (imm === 32) {
            r = `rt.bswap32(${a})`;
          } else {
            return `{ const l = ${lo(d)}; ${lo(d)} = rt.bswap32(${hi(d)}); ${hi(d)} = rt.bswap32(l); }`;
          }
      }
      return `${a} = ${r}; ${hi(d)} = 0;`;
    }
    case Class.JMP:
    case Class.JMP32: {
      const jmpOp = op & 0xf0;
      const wide = (op & 0x07) === Class.JMP;
      const target = i + (wide || jmpOp !== JmpOp.JA ? off : imm) + 1;
      switch (jmpOp) {
        case JmpOp.JA: return goto(target);
        case JmpOp.CALL:
          if (s === PseudoCall.CALL) {
            const callee = i + imm + 1;
            return `if (ex.depth + 1 >= ex.stacks.length) throw rt.depthError(${i}, ex.stacks.length);
frames.push({ returnPc: ${i + 1}, saved: [u64[6], u64[7], u64[8], u64[9]] });
ex.depth++;
u64[10] = ex.stacks[ex.depth].base + ${STACK_SIZE}n;
${goto(callee)}`;
          }
          return `if (rt.callHelper(ex, ${i}, ${s}, ${imm})) ${exitFrame}`;
        case JmpOp.EXIT:
          return exitFrame;
        case JmpOp.JCOND:
          return `if (ex.mayGoto === 0) ${goto(target)} ex.mayGoto--;`;
        default:
          return `if (${condition(p, i, jmpOp, wide)}) ${goto(target)}`;
      }
    }
    case Class.LDX: {
      const size = sizeBytes(op);
      const address = `const h = rt.addressHigh(${hi(s)}, ${lo(s)}, ${off}); const l = rt.addressLow(${lo(s)}, ${off});`;
      if (size === 8) return `{ ${address} ${load64(d, i)} }`;
      if ((op & 0xe0) === Mode.MEMSX) {
        const shift = 32 - size * 8;
        const v = size === 4 ? `mem.load(h, l, 4, ${i}) | 0` : `(mem.load(h, l, ${size}, ${i}) << ${shift}) >> ${shift}`;
        return `{ ${address} const v = ${v}; s32[${2 * d + LO}] = v; s32[${2 * d + HI}] = v >> 31; }`;
      }
      return `{ ${address} ${lo(d)} = mem.load(h, l, ${size}, ${i}); ${hi(d)} = 0; }`;
    }
    case Class.ST:
    case Class.STX: {
      const size = sizeBytes(op);
      if ((op & 0xe0) === Mode.ATOMIC && imm === AtomicOp.LOAD_ACQ) {
        const address = `const h = rt.addressHigh(${hi(s)}, ${lo(s)}, ${off}); const l = rt.addressLow(${lo(s)}, ${off});`;
        if (size === 8) return `{ ${address} ${load64(d, i)} }`;
        return `{ ${address} ${lo(d)} = mem.load(h, l, ${size}, ${i}); ${hi(d)} = 0; }`;
      }
      const address = `const h = rt.addressHigh(${hi(d)}, ${lo(d)}, ${off}); const l = rt.addressLow(${lo(d)}, ${off});`;
      if ((op & 0xe0) === Mode.ATOMIC) return `{ ${address} rt.atomic(ex, ${i}, ${op}, ${s}, h, l, ${imm}); }`;
      const isReg = (op & 0x07) === Class.STX;
      const vlo = isReg ? lo(s) : `${imm >>> 0}`;
      if (size === 8) {
        const vhi = isReg ? hi(s) : `${(imm >> 31) >>> 0}`;
        return `{ ${address} const o = mem.offsetOf(h, l, 8, "write", ${i}); const view = mem.hit.view; view.setUint32(o, ${vlo}, true); view.setUint32(o + 4, ${vhi}, true); }`;
      }
      return `{ ${address} mem.store(h, l, ${size}, ${vlo}, ${i}); }`;
    }
    default:
      if (op === LD_IMM64) return `u64[${d}] = ${big(p.imm64[i] as bigint)};`;
      return `if (rt.legacyPacketLoad(ex, ${i}, ${op}, ${s}, ${imm})) { ex.depth = baseDepth; return 0n; }`;
  }
}

/** Ends the current frame: returns from the entry frame, or restores the caller's. */
const exitFrame = `{ const f = frames.pop();
if (f === undefined) return u64[0];
ex.depth--;
u64[6] = f.saved[0]; u64[7] = f.saved[1]; u64[8] = f.saved[2]; u64[9] = f.saved[3];
u64[10] = ex.stacks[ex.depth].base + ${STACK_SIZE}n;
pc = f.returnPc; continue; }`;

function load64(d: number, i: number): string {
  return `const o = mem.offsetOf(h, l, 8, "read", ${i}); const view = mem.hit.view; ${lo(d)} = view.getUint32(o, true); ${hi(d)} = view.getUint32(o + 4, true);`;
}

function condition(p: VmProgram, i: number, jmpOp: number, wide: boolean): string {
  const op = p.opcode[i] as number;
  const d = p.dst[i] as number;
  const s = p.src[i] as number;
  const imm = p.imm[i] as number;
  const x = (op & Source.X) !== 0;
  let ua: string, ub: string, sa: string, sb: string, zero: string;
  if (wide) {
    ua = `u64[${d}]`; ub = x ? `u64[${s}]` : big(p.immU64[i] as bigint);
    sa = `s64[${d}]`; sb = x ? `s64[${s}]` : big(p.immS64[i] as bigint);
    zero = "0n";
  } else {
    ua = lo(d); ub = x ? lo(s) : `${imm >>> 0}`;
    sa = `(${lo(d)} | 0)`; sb = x ? `(${lo(s)} | 0)` : `${imm | 0}`;
    zero = "0";
  }
  switch (jmpOp) {
    case JmpOp.JEQ: return `${ua} === ${ub}`;
    case JmpOp.JNE: return `${ua} !== ${ub}`;
    case JmpOp.JGT: return `${ua} > ${ub}`;
    case JmpOp.JGE: return `${ua} >= ${ub}`;
    case JmpOp.JLT: return `${ua} < ${ub}`;
    case JmpOp.JLE: return `${ua} <= ${ub}`;
    case JmpOp.JSET: return `(${ua} & ${ub}) !== ${zero}`;
    case JmpOp.JSGT: return `${sa} > ${sb}`;
    case JmpOp.JSGE: return `${sa} >= ${sb}`;
    case JmpOp.JSLT: return `${sa} < ${sb}`;
    default: return `${sa} <= ${sb}`;
  }
}
