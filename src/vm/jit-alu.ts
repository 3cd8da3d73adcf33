// JavaScript for ALU instructions and jump conditions, on registers held as
// pairs of locals: `lN` and `hN` are the low and high 32 bits of rN as
// signed 32-bit numbers. V8 keeps such values unboxed in machine registers,
// so 64-bit arithmetic costs a few integer operations instead of a bigint
// allocation; ALU32 results set the high half to 0, which V8 drops when
// nothing reads it before the next write. Every result is brought back to
// int32 (`| 0`, `Math.imul`, shifts) so the locals never widen to doubles.
// Division and modulo by registers go through jit-runtime (the ISA's rules
// live in alu.ts, shared with the interpreter).
import { AluOp, JmpOp, Source } from "../asm/opcodes.js";
import type { Constants } from "./jit-constants.js";
import type { VmProgram } from "./program.js";

/** Local holding the low half of register `r`. */
export const lo = (r: number): string => `l${r}`;
/** Local holding the high half of register `r`. */
export const hi = (r: number): string => `h${r}`;

/** The source operand of a 64-bit instruction: a register's halves or the sign-extended immediate's. */
interface Operand64 {
  readonly l: string;
  readonly h: string;
}

function operand64(p: VmProgram, i: number, known: Constants): Operand64 {
  const imm = p.imm[i] as number;
  if (((p.opcode[i] as number) & Source.X) === 0) return { l: `${imm | 0}`, h: imm < 0 ? "-1" : "0" };
  const s = p.src[i] as number;
  const value = known.get(s);
  if (value === undefined) return { l: lo(s), h: hi(s) };
  return { l: `${Number(BigInt.asIntN(32, value))}`, h: `${Number(BigInt.asIntN(32, value >> 32n))}` };
}

/** The low half of a source register, or its value when known at compile time. */
function low(r: number, known: Constants): string {
  const value = known.get(r);
  return value === undefined ? lo(r) : `${Number(BigInt.asIntN(32, value))}`;
}

/** Low `bits` of a 32-bit expression, sign-extended. */
const signExtend = (v: string, bits: number): string => (bits === 32 ? `(${v} | 0)` : `((${v} << ${32 - bits}) >> ${32 - bits})`);

/** An ALU64 instruction; `known` holds the registers known at compile time before it. */
export function alu64(p: VmProgram, i: number, known: Constants): string {
  const op = p.opcode[i] as number;
  const d = p.dst[i] as number;
  const off = p.offset[i] as number;
  const imm = p.imm[i] as number;
  const x = (op & Source.X) !== 0;
  const [dl, dh] = [lo(d), hi(d)];
  const b = operand64(p, i, known);
  const divide = (fn: string): string => `${dl} = rt.${fn}(${dl}, ${dh}, ${b.l}, ${b.h}); ${dh} = rt.PAIR_HIGH[0];`;
  switch (op & 0xf0) {
    // Carry and borrow from unsigned comparisons of the low halves: int32 operations only (no doubles).
    case AluOp.ADD: return `{ const t = (${dl} + ${b.l}) | 0; ${dh} = (${dh} + ${b.h} + ((t >>> 0) < (${dl} >>> 0) ? 1 : 0)) | 0; ${dl} = t; }`;
    case AluOp.SUB: return `{ const t = (${dl} - ${b.l}) | 0; ${dh} = (${dh} - ${b.h} - ((${dl} >>> 0) < (${b.l} >>> 0) ? 1 : 0)) | 0; ${dl} = t; }`;
    // A constant low half is passed to mulHigh as itself, so a small one can be specialised.
    case AluOp.MUL: return `{ const a = ${dl}, b = ${b.l}; ${mulHigh("a", /^\d+$/.test(b.l) ? b.l : "b", "m")} ${dh} = (Math.imul(a, ${b.h}) + Math.imul(${dh}, b) + m) | 0; ${dl} = Math.imul(a, b); }`;
    case AluOp.DIV: return divide(off === 1 ? "sdiv64Pair" : "udiv64Pair");
    case AluOp.MOD: return divide(off === 1 ? "smod64Pair" : "umod64Pair");
    case AluOp.OR: return `${dl} |= ${b.l}; ${dh} |= ${b.h};`;
    case AluOp.AND: return `${dl} &= ${b.l}; ${dh} &= ${b.h};`;
    case AluOp.XOR: return `${dl} ^= ${b.l}; ${dh} ^= ${b.h};`;
    case AluOp.LSH: return x ? shiftByRegister(d, p.src[i] as number, "lsh") : shiftLeft(d, imm & 63);
    case AluOp.RSH: return x ? shiftByRegister(d, p.src[i] as number, "rsh") : shiftRight(d, imm & 63, false);
    case AluOp.ARSH: return x ? shiftByRegister(d, p.src[i] as number, "arsh") : shiftRight(d, imm & 63, true);
    // -x = ~x + 1: the +1 carries into the high half only when the low half is 0.
    case AluOp.NEG: return `${dh} = (~${dh} + (${dl} === 0 ? 1 : 0)) | 0; ${dl} = -${dl} | 0;`;
    case AluOp.MOV:
      if (!x || off === 0) return `${dl} = ${b.l}; ${dh} = ${b.h};`;
      return `${dl} = ${signExtend(b.l, off)}; ${dh} = ${dl} >> 31;`;
    default:
      // AluOp.END in ALU64: unconditional byte swap.
      if (imm === 16) return `${dl} = rt.bswap16(${dl}); ${dh} = 0;`;
      if (imm === 32) return `${dl} = rt.bswap32(${dl}) | 0; ${dh} = 0;`;
      return `{ const t = ${dl}; ${dl} = rt.bswap32(${dh}) | 0; ${dh} = rt.bswap32(t) | 0; }`;
  }
}

/**
 * Declares `out` = the high 32 bits of the unsigned 64-bit product of the
 * int32 expressions `a` and `b`, written inline (a call costs V8 a check of
 * the callee on every iteration of a hot loop). 16-bit limbs whose products
 * and partial sums stay below 2^32, so Math.imul and int32 additions hold
 * them exactly (read back unsigned with >>>): no doubles.
 */
function mulHigh(a: string, b: string, out: string): string {
  // A constant multiplier below 2^16 (b1 = 0) drops two of the four limb products.
  if (/^\d+$/.test(b) && Number(b) < 0x1_0000) {
    return `const a0 = ${a} & 0xffff, a1 = ${a} >>> 16;
const mid = (Math.imul(a1, ${b}) + (Math.imul(a0, ${b}) >>> 16)) | 0;
const ${out} = mid >>> 16;`;
  }
  return `const a0 = ${a} & 0xffff, a1 = ${a} >>> 16, b0 = ${b} & 0xffff, b1 = ${b} >>> 16;
const mid = (Math.imul(a1, b0) + (Math.imul(a0, b0) >>> 16)) | 0, mid2 = (Math.imul(a0, b1) + (mid & 0xffff)) | 0;
const ${out} = (Math.imul(a1, b1) + (mid >>> 16) + (mid2 >>> 16)) | 0;`;
}

function shiftLeft(d: number, n: number): string {
  const [dl, dh] = [lo(d), hi(d)];
  if (n === 0) return "";
  if (n < 32) return `${dh} = (${dh} << ${n}) | (${dl} >>> ${32 - n}); ${dl} <<= ${n};`;
  return `${dh} = ${dl} << ${n - 32}; ${dl} = 0;`;
}

function shiftRight(d: number, n: number, arithmetic: boolean): string {
  const [dl, dh] = [lo(d), hi(d)];
  const op = arithmetic ? ">>" : ">>>";
  const fill = arithmetic ? `${dh} >> 31` : "0";
  if (n === 0) return "";
  if (n < 32) return `${dl} = (${dl} >>> ${n}) | (${dh} << ${32 - n}); ${dh} = (${dh} ${op} ${n}) | 0;`;
  return `${dl} = (${dh} ${op} ${n - 32}) | 0; ${dh} = ${fill};`;
}

/** A 64-bit shift by a register: the amount is its low 6 bits, known only at run time. */
function shiftByRegister(d: number, s: number, kind: "lsh" | "rsh" | "arsh"): string {
  const [dl, dh] = [lo(d), hi(d)];
  const op = kind === "arsh" ? ">>" : ">>>";
  const wide = kind === "lsh"
    ? `${dh} = ${dl} << (n - 32); ${dl} = 0;`
    : `${dl} = (${dh} ${op} (n - 32)) | 0; ${dh} = ${kind === "arsh" ? `${dh} >> 31` : "0"};`;
  const narrow = kind === "lsh"
    ? `${dh} = (${dh} << n) | (${dl} >>> (32 - n)); ${dl} <<= n;`
    : `${dl} = (${dl} >>> n) | (${dh} << (32 - n)); ${dh} = (${dh} ${op} n) | 0;`;
  return `{ const n = ${lo(s)} & 63; if (n >= 32) { ${wide} } else if (n !== 0) { ${narrow} } }`;
}

/** An ALU (32-bit) instruction: the result is zero-extended. */
export function alu32(p: VmProgram, i: number, known: Constants): string {
  const op = p.opcode[i] as number;
  const d = p.dst[i] as number;
  const off = p.offset[i] as number;
  const imm = p.imm[i] as number;
  const x = (op & Source.X) !== 0;
  const [a, dh] = [lo(d), hi(d)];
  const b = x ? low(p.src[i] as number, known) : `${imm | 0}`;
  const amount = x ? `(${b} & 31)` : `${imm & 31}`;
  let r: string;
  switch (op & 0xf0) {
    case AluOp.ADD: r = `(${a} + ${b}) | 0`; break;
    case AluOp.SUB: r = `(${a} - ${b}) | 0`; break;
    case AluOp.MUL: r = `Math.imul(${a}, ${b})`; break;
    case AluOp.DIV: r = off === 1 ? `rt.sdiv32(${a}, ${b}) | 0` : `rt.udiv32(${a} >>> 0, ${b} >>> 0) | 0`; break;
    case AluOp.MOD: r = off === 1 ? `rt.smod32(${a}, ${b}) | 0` : `rt.umod32(${a} >>> 0, ${b} >>> 0) | 0`; break;
    case AluOp.OR: r = `${a} | ${b}`; break;
    case AluOp.AND: r = `${a} & ${b}`; break;
    case AluOp.XOR: r = `${a} ^ ${b}`; break;
    case AluOp.LSH: r = `${a} << ${amount}`; break;
    case AluOp.RSH: r = `(${a} >>> ${amount}) | 0`; break;
    case AluOp.ARSH: r = `${a} >> ${amount}`; break;
    case AluOp.NEG: r = `-${a} | 0`; break;
    case AluOp.MOV: r = off === 0 ? b : signExtend(b, off); break;
    default:
      // AluOp.END: to little-endian truncates (the machine is little-endian), to big-endian swaps.
      if (!x) {
        if (imm === 64) return "";
        r = imm === 16 ? `${a} & 0xffff` : a;
      } else if (imm === 16) {
        r = `rt.bswap16(${a})`;
      } else if (imm === 32) {
        r = `rt.bswap32(${a}) | 0`;
      } else {
        return `{ const t = ${a}; ${a} = rt.bswap32(${dh}) | 0; ${dh} = rt.bswap32(t) | 0; }`;
      }
  }
  return `${a} = ${r}; ${dh} = 0;`;
}

/** The condition of a conditional jump (JMP or JMP32), as a JavaScript boolean expression. */
export function condition(p: VmProgram, i: number, wide: boolean, known: Constants): string {
  const op = p.opcode[i] as number;
  const jmpOp = op & 0xf0;
  const d = p.dst[i] as number;
  if (!wide) {
    const a = lo(d);
    const b = (op & Source.X) !== 0 ? low(p.src[i] as number, known) : `${(p.imm[i] as number) | 0}`;
    return compare(jmpOp, { l: a, h: "" }, { l: b, h: "" });
  }
  return compare(jmpOp, { l: lo(d), h: hi(d) }, operand64(p, i, known));
}

/** `a <op> b`; 64-bit when the operands have high halves: the high halves decide unless equal. */
function compare(jmpOp: number, a: Operand64, b: Operand64): string {
  const wide = a.h !== "";
  const u = (v: string): string => `(${v} >>> 0)`;
  const ordered = (rel: string, signed: boolean): string => {
    const strict = rel.replace("=", "");
    if (!wide) return signed ? `${a.l} ${rel} ${b.l}` : `${u(a.l)} ${rel} ${u(b.l)}`;
    const high = signed ? `${a.h} ${strict} ${b.h}` : `${u(a.h)} ${strict} ${u(b.h)}`;
    return `(${high} || (${a.h} === ${b.h} && ${u(a.l)} ${rel} ${u(b.l)}))`;
  };
  switch (jmpOp) {
    case JmpOp.JEQ: return wide ? `(${a.l} === ${b.l} && ${a.h} === ${b.h})` : `${a.l} === ${b.l}`;
    case JmpOp.JNE: return wide ? `(${a.l} !== ${b.l} || ${a.h} !== ${b.h})` : `${a.l} !== ${b.l}`;
    case JmpOp.JSET: return wide ? `((${a.l} & ${b.l}) !== 0 || (${a.h} & ${b.h}) !== 0)` : `(${a.l} & ${b.l}) !== 0`;
    case JmpOp.JGT: return ordered(">", false);
    case JmpOp.JGE: return ordered(">=", false);
    case JmpOp.JLT: return ordered("<", false);
    case JmpOp.JLE: return ordered("<=", false);
    case JmpOp.JSGT: return ordered(">", true);
    case JmpOp.JSGE: return ordered(">=", true);
    case JmpOp.JSLT: return ordered("<", true);
    default: return ordered("<=", true); // JSLE
  }
}
