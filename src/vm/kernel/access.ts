// How kernel helpers touch program memory. Pointer arguments the verifier
// checked (keys, values, buffers on the stack) go through the machine's
// fault checks: a bad one is a program bug, a VmFaultError naming the call.
// The "nofault" reads of probe_read & co. instead report a bad address to the
// program, as -EFAULT, the way copy_from_kernel_nofault does.
import { split, type AddressSpace, type Region } from "../memory.js";
import type { VmAccess } from "../errors.js";
import type { HelperContext } from "../helpers.js";

const EMPTY = new Uint8Array(0);

/** The low 32 bits of a register, unsigned (u32 helper arguments). */
export function u32(r: bigint): number {
  return Number(r & 0xffff_ffffn);
}

/** The low 32 bits of a register, signed (int helper arguments). */
export function s32(r: bigint): number {
  return Number(BigInt.asIntN(32, r));
}

/** A live view of `length` bytes at `address`, checked for `access`; faults name the helper call. */
export function bytesAt(ctx: HelperContext, address: bigint, length: number, access: VmAccess = "read"): Uint8Array {
  return viewOf(ctx.memory, address, length, access, ctx.index);
}

/** As {@link bytesAt} on any address space. */
function viewOf(memory: AddressSpace, address: bigint, length: number, access: VmAccess, index: number): Uint8Array {
  if (length === 0) return EMPTY;
  const [hi, lo] = split(address);
  const offset = memory.offsetOf(hi, lo, length, access, index);
  return (memory.hit as Region).bytes.subarray(offset, offset + length);
}

/**
 * The bytes from `address` to the end of its region (at most `max`), or
 * undefined when no region holds `address`: what a nofault reader can
 * reach before it would fault.
 */
function reachable(memory: AddressSpace, address: bigint, max: number): Uint8Array | undefined {
  const region = memory.regionAt(address);
  if (region === undefined) return undefined;
  const offset = Number(BigInt.asUintN(64, address) & 0xffff_ffffn) - region.start;
  return region.bytes.subarray(offset, offset + Math.min(max, region.bytes.byteLength - offset));
}

/** copy_from_kernel_nofault: the `length` bytes at `address`, or undefined when any of them is unmapped. */
export function readNoFault(memory: AddressSpace, address: bigint, length: number): Uint8Array | undefined {
  if (length === 0) return EMPTY;
  const bytes = reachable(memory, address, length);
  return bytes !== undefined && bytes.byteLength === length ? bytes : undefined;
}

/**
 * strncpy_from_kernel_nofault into `dst` (its length is the count): reads
 * bytes up to and including the NUL, at most dst.length of them, and turns
 * the last one read into a NUL; returns how many were read (the string's
 * length + 1, or dst.length when it was cut), or undefined when a byte to
 * read is unmapped (the caller clears dst, as the kernel's helpers do).
 */
export function copyStringNoFault(memory: AddressSpace, address: bigint, dst: Uint8Array): number | undefined {
  const count = dst.byteLength;
  if (count === 0) return 0;
  const src = reachable(memory, address, count) ?? EMPTY;
  const nul = src.indexOf(0);
  const n = nul >= 0 ? nul + 1 : src.byteLength;
  if (nul < 0 && n < count) return undefined;
  dst.set(src.subarray(0, n));
  dst[n - 1] = 0;
  return n;
}

/** The NUL-terminated string at `address` (without the NUL, at most `max` bytes), read with fault checks. */
export function cStringAt(ctx: HelperContext, address: bigint, max: number): Uint8Array {
  const bytes = bytesAt(ctx, address, 1);
  const all = reachable(ctx.memory, address, max) ?? bytes;
  const end = all.indexOf(0);
  if (end < 0) {
    // No NUL before the region ends: the read runs off it, as the kernel's would.
    if (all.byteLength < max) bytesAt(ctx, address, all.byteLength + 1);
    return all;
  }
  return all.subarray(0, end);
}
