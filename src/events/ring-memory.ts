// The shared memory of a BPF ring buffer (BPF_MAP_TYPE_RINGBUF, Linux 5.8)
// and the consumer side of its protocol. The kernel exposes three regions
// through mmap of the map fd: the consumer position page (ours to write),
// the producer position page and the data area, which is mapped twice in a
// row so that a record crossing the end of the ring reads as contiguous.
//
// Why records are copied a batch at a time: the data pages can only be
// mapped read-only, and V8 cannot make a view read-only — one store through
// an alias of those pages would kill the process. So the committed records
// between the consumer and producer positions are copied with one memcpy
// into a reused writable buffer, then handed out from there (offset and
// length, no allocation per record), and the consumer position is published
// after each batch so the producer gets the space back at once.
//
// The one exception is a reader that only reads, and is ours: a typed reader
// decodes each record with BtfCodec (which copies whatever it returns), so
// it gets the read-only mapping itself (`readInPlace`): no memcpy at all.
import { native } from "../sys/native.js";
import type { FD } from "../sys/fd.js";
import { mmapSharedFd, pageSize } from "../map/mmap.js";
import { BatchScratch, type BatchRecordCallback } from "./batch-scratch.js";
import { loadPosition, storePosition } from "./positions.js";

/** Record header bits (BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT). */
const BUSY = 0x8000_0000;
const DISCARD = 0x4000_0000;
const LENGTH_MASK = 0x3fff_ffff;
/** Size of the record header: u32 length + flags, u32 page offset. */
const HEADER_SIZE = 8;
/** Bytes copied per batch at most (a larger record makes its own batch). */
const BATCH_BYTES = 64 * 1024;
/**
 * Called with one record's bytes, valid only during the call. They are a view
 * of a reused writable copy (see the top of this file), and the same view
 * object comes back for the next record of the same length; copy them with
 * `slice()` to keep them.
 */
export type RecordCallback = (record: Uint8Array) => void;

/** The two mappings of one ring buffer and the drain loop over them. */
export class RingMemory {
  readonly #consumerPage: ArrayBuffer;
  readonly #producerPages: ArrayBuffer;
  readonly #consumerPos: BigUint64Array;
  /** The consumer position as two u32 halves: publishing a position usually writes only the low one. */
  readonly #consumerWords: Uint32Array;
  readonly #producerPos: BigUint64Array;
  readonly #producerWords: Uint32Array;
  readonly #headers: Uint32Array;
  readonly #data: Uint8Array;
  /** A DataView over the data area, for readers that read in place. */
  readonly #dataView: DataView;
  /** Records handed out as views of the read-only mapping instead of a copy (see the top of this file). */
  readonly #readInPlace: boolean;
  readonly #scratch = new BatchScratch();
  /** Size of the data area in bytes (a power of two, a multiple of the page size). */
  readonly size: number;
  #unmapped = false;
  /**
   * Bumped by interrupt(). A counter read by the loop rather than a `stop`
   * callback: a callback's call site would see a different function from
   * poll() and from each waiting reader, and V8 throws optimised code away
   * when a call site changes target (re-optimising under load takes long
   * enough to lose records).
   */
  #interrupts = 0;

  /**
   * Maps the ring of `fd` whose data area is `size` bytes (the map's
   * max_entries). `readInPlace`: the batch callbacks get views of the
   * read-only mapping itself, for callers that never write through them.
   */
  constructor(fd: FD, size: number, what: string, readInPlace = false) {
    const page = pageSize();
    this.size = size;
    this.#readInPlace = readInPlace;
    this.#consumerPage = mmapSharedFd(fd.raw, page, true, `consumer page of ${what}`);
    try {
      this.#producerPages = mmapSharedFd(fd.raw, page + 2 * size, false, `producer page and data of ${what}`, page);
    } catch (e) {
      native.munmap(this.#consumerPage);
      throw e;
    }
    this.#consumerPos = new BigUint64Array(this.#consumerPage, 0, 1);
    this.#consumerWords = new Uint32Array(this.#consumerPage, 0, 2);
    this.#producerPos = new BigUint64Array(this.#producerPages, 0, 1);
    this.#producerWords = new Uint32Array(this.#producerPages, 0, 2);
    this.#headers = new Uint32Array(this.#producerPages, page, (2 * size) / 4);
    this.#data = new Uint8Array(this.#producerPages, page, 2 * size);
    this.#dataView = new DataView(this.#producerPages, page, 2 * size);
  }

  /** Bytes written by producers and not yet consumed (records, headers and padding). */
  get pending(): number {
    if (this.#unmapped) return 0;
    return Number(Atomics.load(this.#producerPos, 0) - Atomics.load(this.#consumerPos, 0));
  }

  /** True when the producer position is past the consumer position (something to read, maybe still busy). */
  get hasData(): boolean {
    return !this.#unmapped && Atomics.load(this.#producerPos, 0) !== Atomics.load(this.#consumerPos, 0);
  }

  /** Like drainBatches, with each record as a Uint8Array (a view reused for records of the same length). */
  drain(callback: RecordCallback, budget = Infinity): number {
    const scratch = this.#scratch;
    // Read in place, the batch is the read-only ring: hand out a copy instead.
    if (this.#readInPlace) return this.drainBatches((_view, offset, length, bytes) => callback(bytes.slice(offset, offset + length)), budget);
    return this.drainBatches((_view, offset, length) => callback(scratch.recordView(offset, length)), budget);
  }

  /**
   * Hands every committed record to `callback`, a batch at a time, reading
   * the producer position again after each batch (records keep coming while
   * we read) until the ring is empty, a record is still being written, or
   * `budget` bytes have been consumed (so one busy ring cannot hold the event
   * loop forever). Discarded records are skipped. The consumer position is
   * published after each batch, and also when the callback throws (the
   * record that threw counts as consumed, the rest stay in the ring).
   * interrupt(), checked after each record, ends the drain early. Returns how
   * many records were delivered.
   */
  drainBatches(callback: BatchRecordCallback, budget = Infinity): number {
    const size = this.size;
    const headers = this.#headers;
    // Positions are u64 but stay far below 2^53 (petabytes of traffic), so
    // plain numbers hold them; reading and writing them allocates nothing.
    let consumer = loadPosition(this.#consumerWords);
    const interrupts = this.#interrupts;
    let delivered = 0;
    let consumed = 0;
    while (consumed < budget) {
      const producer = loadPosition(this.#producerWords);
      if (consumer >= producer) break;
      // Find the committed records of this batch in the read-only mapping.
      const start = consumer % size;
      let end = start;
      let position = consumer;
      while (position < producer && end - start < BATCH_BYTES) {
        // Acquire-load of the header: the producer clears BUSY last.
        const header = Atomics.load(headers, end >>> 2);
        if (header & BUSY) break;
        const step = ((header & LENGTH_MASK) + HEADER_SIZE + 7) & ~7;
        end += step;
        position += step;
      }
      if (end === start) break; // the next record is still being written
      // The batch is read where it is (the data area is mapped twice, so a
      // record crossing the end is contiguous) or from a copy at `base` 0.
      let base = start;
      let bytes = this.#data;
      let view = this.#dataView;
      let words = headers;
      if (!this.#readInPlace) {
        const scratch = this.#scratch.fill(this.#data, start, end);
        base = 0;
        bytes = scratch.bytes;
        view = scratch.view;
        words = scratch.words;
      }
      let at = 0;
      const length = end - start;
      let stopped = false;
      try {
        while (at < length) {
          const header = words[(base + at) >>> 2];
          const recordLength = header & LENGTH_MASK;
          const step = (recordLength + HEADER_SIZE + 7) & ~7;
          at += step;
          if (header & DISCARD) continue;
          delivered++;
          callback(view, base + at - step + HEADER_SIZE, recordLength, bytes);
          // The callback may have closed the reader: the memory is gone.
          if (this.#unmapped) return delivered;
          if (this.#interrupts !== interrupts) {
            stopped = true;
            break;
          }
        }
      } finally {
        if (!this.#unmapped) storePosition(this.#consumerWords, this.#consumerPos, consumer, consumer + at);
      }
      consumer += at;
      consumed += at;
      if (stopped) break;
    }
    return delivered;
  }

  /** Ends a running drain after the record being delivered (a reader stopped from inside its callback). */
  interrupt(): void {
    this.#interrupts++;
  }

  /** Unmaps both regions; views handed out earlier become detached (zero length). Idempotent. */
  unmap(): void {
    if (this.#unmapped) return;
    this.#unmapped = true;
    native.munmap(this.#producerPages);
    native.munmap(this.#consumerPage);
  }
}
