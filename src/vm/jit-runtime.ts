// What compiled code calls at run time besides the interpreter's own
// functions: 64-bit division and modulo (through bigints, with the ISA's
// rules from alu.ts), address resolution on the slow path of a memory
// access, and the hand-over to the interpreter when a block does not fit the
// remaining budget. Registers travel as signed 32-bit halves (lo, hi), the
// form compiled code keeps them in; a function with a 64-bit result returns
// the low half and leaves the high half in PAIR_HIGH[0], so nothing is
// allocated per instruction.
import { sdiv64, smod64, udiv64, umod64 } from "./alu.js";
import { interpret, type Execution } from "./interpreter.js";
import { addressHigh, addressLow, type AddressSpace } from "./memory.js";
import type { VmAccess } from "./errors.js";

/** High half of the last 64-bit result returned by a function of this file. */
export const PAIR_HIGH = new Int32Array(1);

const unsigned = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const signed = (lo: number, hi: number): bigint => BigInt.asIntN(64, unsigned(lo, hi));

function pair(v: bigint): number {
  const u = BigInt.asUintN(64, v);
  PAIR_HIGH[0] = Number(u >> 32n);
  return Number(u & 0xffff_ffffn) | 0;
}

/** 64-bit division and modulo on halves; the results wrap to 64 bits as a BigInt64Array store does. */
export const udiv64Pair = (al: number, ah: number, bl: number, bh: number): number => pair(udiv64(unsigned(al, ah), unsigned(bl, bh)));
/** @see udiv64Pair */
export const umod64Pair = (al: number, ah: number, bl: number, bh: number): number => pair(umod64(unsigned(al, ah), unsigned(bl, bh)));
/** @see udiv64Pair */
export const sdiv64Pair = (al: number, ah: number, bl: number, bh: number): number => pair(sdiv64(signed(al, ah), signed(bl, bh)));
/** @see udiv64Pair */
export const smod64Pair = (al: number, ah: number, bl: number, bh: number): number => pair(smod64(signed(al, ah), signed(bl, bh)));

/**
 * Offset of a `size`-byte access at register `hi:lo` + `delta` in its region
 * (left in `memory.hit`), or the interpreter's VmFaultError: the slow path of
 * compiled loads and stores.
 */
export function offsetAt(memory: AddressSpace, hi: number, lo: number, delta: number, size: number, access: VmAccess, index: number): number {
  const h = addressHigh(hi >>> 0, lo >>> 0, delta);
  return memory.offsetOf(h, addressLow(lo >>> 0, delta), size, access, index);
}

/**
 * The block at `slot` needs more instructions than remain. The interpreter
 * runs it (registers are in `ex.regs`) from the budget as it was before the
 * block, so what executes, what faults and where the budget error names are
 * exactly what an instruction-by-instruction run would do: it always throws
 * inside the block, which has no way out before its last instruction.
 */
export function overBudget(ex: Execution, slot: number, remaining: number): never {
  ex.remaining = remaining;
  interpret(ex, slot);
  throw new Error(`jit: block at slot ${slot} did not run out of budget`);
}
