// Byte views of user-supplied keys and values.
import { describeValue } from "../sys/arguments.js";
import { InvalidArgumentError } from "../sys/errors.js";

/** Keys and values: any typed array, DataView or Buffer (viewed as its bytes). */
export type BytesLike = ArrayBufferView;

/** The bytes of a view, without copying; allocation-free for Uint8Array and Buffer. */
export function asBytes(v: BytesLike): Uint8Array {
  return v instanceof Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** asBytes of a caller's argument: anything but a typed array, DataView or Buffer is an InvalidArgumentError naming `field`. */
export function bytesArgument(v: unknown, field: string, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (!ArrayBuffer.isView(v)) {
    throw new InvalidArgumentError(`${what}: ${field} must be a Uint8Array, Buffer, typed array or DataView (got ${describeValue(v)})`, field);
  }
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** True for typed arrays, DataViews and Buffers. */
export function isBytesLike(v: unknown): v is BytesLike {
  return ArrayBuffer.isView(v);
}

/** Rounds up to a multiple of 8 (per-CPU value slots, batch cursors). */
export function roundUp8(n: number): number {
  return (n + 7) & ~7;
}
