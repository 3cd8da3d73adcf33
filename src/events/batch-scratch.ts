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

/** Records up to this long get a reused Uint8Array of their own length (see recordView()). */
const STAGE_SIZE = 4096;

/**
 * A growable copy buffer with a DataView and a Uint8Array over it, and a
 * stage after the batch area for the simple callbacks' per-record views.
 */
export class BatchScratch {
  /** Bytes for batches: the stage starts here. */
  #capacity = 64 * 1024 + 64;
  bytes = new Uint8Array(this.#capacity + STAGE_SIZE);
  view = new DataView(this.bytes.buffer);
  /** The same bytes as native-endian u32 words (record headers are 8-byte aligned). */
  words = new Uint32Array(this.bytes.buffer);
  /** Views of the stage by length, made once each (a Uint8Array cannot be moved or resized). */
  #stageViews: Uint8Array[] = [];

  /** Makes room for a batch of `length` bytes (growing by doubling; existing content is not kept). */
  reserve(length: number): void {
    if (this.#capacity >= length) return;
    let size = this.#capacity;
    while (size < length) size *= 2;
    this.#capacity = size;
    this.bytes = new Uint8Array(size + STAGE_SIZE);
    this.view = new DataView(this.bytes.buffer);
    this.words = new Uint32Array(this.bytes.buffer);
    this.#stageViews = [];
  }

  /** Copies `source[start, end)` to the start of the buffer and returns it. */
  fill(source: Uint8Array, start: number, end: number): this {
    this.reserve(end - start);
    this.bytes.set(source.subarray(start, end));
    return this;
  }

  /**
   * The record at `offset`/`length` of the batch as a Uint8Array of exactly
   * its length, without allocating: it is copied (inside this one buffer) to the
   * stage, and the stage's view of that length is reused for
   * every record of the same length. Records longer than the stage get a
   * subarray of the batch.
   */
  recordView(offset: number, length: number): Uint8Array {
    if (length > STAGE_SIZE) return this.bytes.subarray(offset, offset + length);
    const bytes = this.bytes;
    const stage = this.#capacity;
    bytes.copyWithin(stage, offset, offset + length);
    return this.#stageViews[length] ?? (this.#stageViews[length] = new Uint8Array(bytes.buffer, stage, length));
  }
}
