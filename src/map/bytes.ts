// Byte views of user-supplied keys and values.

/** Keys and values: any typed array, DataView or Buffer (viewed as its bytes). */
export type BytesLike = ArrayBufferView;

/** The bytes of a view, without copying; allocation-free for Uint8Array and Buffer. */
export function asBytes(v: BytesLike): Uint8Array {
  return v instanceof Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** True for typed arrays, DataViews and Buffers. */
export function isBytesLike(v: unknown): v is BytesLike {
  return ArrayBuffer.isView(v);
}

/** Rounds up to a multiple of 8 (per-CPU value slots, batch cursors). */
export function roundUp8(n: number): number {
  return (n + 7) & ~7;
}
