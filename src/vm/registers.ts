// The register file r0–r10: one 88-byte buffer seen four ways, so each
// instruction uses the cheapest view — 32-bit halves (plain numbers, no
// bigint) for ALU32, loads, stores and addresses; unsigned and signed 64-bit
// bigints for ALU64, where the typed array's store wraps to 64 bits for free.

/** Index of the low/high 32-bit half of register 0 in the 32-bit views (host byte order). */
export const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
/** @see LO */
export const HI = 1 - LO;

/** Number of registers (r0–r10). */
export const REGISTER_COUNT = 11;

/** Views of one register file. */
export class Registers {
  /** Unsigned 64-bit view. */
  readonly u64: BigUint64Array;
  /** Signed 64-bit view. */
  readonly s64: BigInt64Array;
  /** Unsigned 32-bit halves: register r is [2r + LO] (low) and [2r + HI] (high). */
  readonly u32: Uint32Array;
  /** Signed 32-bit halves. */
  readonly s32: Int32Array;

  constructor() {
    const buffer = new ArrayBuffer(REGISTER_COUNT * 8);
    this.u64 = new BigUint64Array(buffer);
    this.s64 = new BigInt64Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.s32 = new Int32Array(buffer);
  }
}
