// The arithmetic whose meaning the ISA pins down where C leaves it undefined
// (instruction-set.rst, "Arithmetic instructions"): division by zero gives 0,
// modulo by zero leaves the dividend, signed division truncates toward zero,
// INT_MIN / -1 wraps to INT_MIN and INT_MIN % -1 is 0. Shared by the
// interpreter and the JIT so both give the same answer by construction.

/** Unsigned 32-bit division; operands are unsigned 32-bit numbers. */
export function udiv32(a: number, b: number): number {
  return b === 0 ? 0 : Math.floor(a / b) >>> 0;
}

/** Unsigned 32-bit modulo (the dividend when the divisor is 0). */
export function umod32(a: number, b: number): number {
  return b === 0 ? a : (a % b) >>> 0;
}

/** Signed 32-bit division; operands are signed 32-bit numbers; result unsigned 32-bit. */
export function sdiv32(a: number, b: number): number {
  if (b === 0) return 0;
  return Math.trunc(a / b) >>> 0;
}

/** Signed 32-bit modulo, truncated (sign of the dividend); result unsigned 32-bit. */
export function smod32(a: number, b: number): number {
  return b === 0 ? a >>> 0 : (a % b) >>> 0;
}

/** Unsigned 64-bit division (operands unsigned bigints). */
export function udiv64(a: bigint, b: bigint): bigint {
  return b === 0n ? 0n : a / b;
}

/** Unsigned 64-bit modulo. */
export function umod64(a: bigint, b: bigint): bigint {
  return b === 0n ? a : a % b;
}

/** Signed 64-bit division (operands signed bigints); the caller's store wraps INT64_MIN / -1. */
export function sdiv64(a: bigint, b: bigint): bigint {
  return b === 0n ? 0n : a / b;
}

/** Signed 64-bit modulo, truncated. */
export function smod64(a: bigint, b: bigint): bigint {
  return b === 0n ? a : a % b;
}

/** Swaps the bytes of the low 16 bits. */
export function bswap16(v: number): number {
  return ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
}

/** Swaps the bytes of a 32-bit value (result unsigned). */
export function bswap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}
