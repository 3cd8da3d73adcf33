// The reused writable buffer that the ring and perf buffer readers copy a
// batch of records into before handing them out (the shared pages are
// read-only or about to be reused by the kernel). One memcpy per batch, no
// allocation per record: callbacks get this buffer, an offset and a length.

/**
 * Called for each record of a batch with a view of the reused copy, the
 * record's offset and length in it, and the same bytes as a Uint8Array
 * (`bytes.buffer === view.buffer`). Both are valid only during the call: the
 * next batch overwrites them. The copy is writable; keep a record with
 * `bytes.slice(offset, offset + length)`.
 */
export type BatchRecordCallback = (view: DataView, offset: number, length: number, bytes: Uint8Array) => void;

/** A growable copy buffer with a DataView and a Uint8Array over it. */
export class BatchScratch {
  bytes = new Uint8Array(64 * 1024 + 64);
  view = new DataView(this.bytes.buffer);
  /** The same bytes as native-endian u32 words (record headers are 8-byte aligned). */
  words = new Uint32Array(this.bytes.buffer);

  /** Makes room for `length` bytes (growing by doubling; existing content is not kept). */
  reserve(length: number): void {
    if (this.bytes.byteLength >= length) return;
    let size = this.bytes.byteLength;
    while (size < length) size *= 2;
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
    this.words = new Uint32Array(this.bytes.buffer);
  }

  /** Copies `source[start, end)` to the start of the buffer and returns it. */
  fill(source: Uint8Array, start: number, end: number): this {
    this.reserve(end - start);
    this.bytes.set(source.subarray(start, end));
    return this;
  }
}
