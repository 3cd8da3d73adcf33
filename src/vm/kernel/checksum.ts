// The Internet checksum arithmetic of the kernel's include/net/checksum.h,
// on plain numbers: 32-bit "wsum" partial sums with end-around carry, folded
// to the 16-bit "sum16" a header stores. Values are host-order numbers of
// bytes read little-endian, as the kernel's loads on x86/arm64 see them;
// one's-complement sums do not care about byte order as long as every
// operand is read the same way.

/** a + b with the carry out of bit 31 added back in (csum_add). */
function csumAdd(a: number, b: number): number {
  const addend = b >>> 0;
  const sum = ((a >>> 0) + addend) >>> 0;
  return (sum + (sum < addend ? 1 : 0)) >>> 0;
}

/** a - b in one's complement (csum_sub). */
export function csumSub(a: number, b: number): number {
  return csumAdd(a, ~b >>> 0);
}

/** The 16-bit end-around sum of a wsum's halves, not inverted (csum_from32to16). */
export function csumFrom32To16(sum: number): number {
  const s = ((sum >>> 0) + (((sum >>> 16) | (sum << 16)) >>> 0)) >>> 0;
  return s >>> 16;
}

/** Folds a wsum to the inverted 16-bit checksum (csum_fold). */
function csumFold(sum: number): number {
  return ~csumFrom32To16(sum) & 0xffff;
}

/** 16-bit end-around addition (csum16_add). */
function csum16Add(sum: number, addend: number): number {
  const res = ((sum & 0xffff) + (addend & 0xffff)) & 0xffff;
  return (res + (res < (addend & 0xffff) ? 1 : 0)) & 0xffff;
}

/** 16-bit one's complement subtraction (csum16_sub). */
function csum16Sub(sum: number, addend: number): number {
  return csum16Add(sum, ~addend & 0xffff);
}

/**
 * csum_partial: `seed` plus the little-endian 32-bit words of `bytes`, a
 * short tail zero-padded, with end-around carry. Zero only when every input
 * is zero, as the kernel's 64-bit accumulation gives; x86's result, bit for
 * bit (any other sum differs only by that 0/0xffffffff choice).
 */
export function csumPartial(bytes: Uint8Array, seed: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const whole = bytes.byteLength & ~3;
  let sum = seed >>> 0;
  for (let i = 0; i < whole; i += 4) sum = csumAdd(sum, view.getUint32(i, true));
  let tail = 0;
  for (let i = bytes.byteLength - 1; i >= whole; i--) tail = (tail << 8) | (bytes[i] as number);
  return csumAdd(sum, tail >>> 0);
}

/** The checksum field's new value when a 32-bit word of the covered data changes (csum_replace4). */
export function csumReplace4(check: number, from: number, to: number): number {
  const tmp = csumSub(~check >>> 0, from >>> 0);
  return csumFold(csumAdd(tmp, to >>> 0));
}

/** The checksum field's new value when a 16-bit word changes (csum_replace2). */
export function csumReplace2(check: number, from: number, to: number): number {
  return ~csum16Add(csum16Sub(~check & 0xffff, from), to) & 0xffff;
}

/** The checksum field's new value after adding a precomputed difference (csum_replace_by_diff). */
export function csumReplaceByDiff(check: number, diff: number): number {
  return csumFold(csumAdd(diff >>> 0, ~check >>> 0));
}
