// The shared memory of a BPF ring buffer (BPF_MAP_TYPE_RINGBUF, Linux 5.8)
// and the consumer side of its protocol. The kernel exposes three regions
// through mmap of the map fd: the consumer position page (ours to write),
// the producer position page and the data area, which is mapped twice in a
// row so that a record crossing the end of the ring reads as contiguous.
import { native } from "../sys/native.js";
import type { FD } from "../sys/fd.js";
import { mmapSharedFd, pageSize } from "../map/mmap.js";

/** Record header bits (BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT). */
const BUSY = 0x8000_0000;
const DISCARD = 0x4000_0000;
const LENGTH_MASK = 0x3fff_ffff;
/** Size of the record header: u32 length + flags, u32 page offset. */
const HEADER_SIZE = 8;

/**
 * Called with one record's bytes, valid only during the call. They are a copy
 * in a reused buffer: the ring's data pages are mapped read-only (the kernel
 * allows nothing else) and a store through a view of them would crash the
 * process; a memcpy per record keeps the callback free to scribble.
 */
export type RecordCallback = (record: Uint8Array) => void;

/** The two mappings of one ring buffer and the drain loop over them. */
export class RingMemory {
  readonly #consumerPage: ArrayBuffer;
  readonly #producerPages: ArrayBuffer;
  readonly #consumerPos: BigUint64Array;
  readonly #producerPos: BigUint64Array;
  readonly #headers: Uint32Array;
  readonly #data: Uint8Array;
  /** Writable buffer records are copied into before the callback sees them (grows to the longest record). */
  #scratch = new Uint8Array(256);
  /** Size of the data area in bytes (a power of two, a multiple of the page size). */
  readonly size: number;
  #unmapped = false;

  /** Maps the ring of `fd` whose data area is `size` bytes (the map's max_entries). */
  constructor(fd: FD, size: number, what: string) {
    const page = pageSize();
    this.size = size;
    this.#consumerPage = mmapSharedFd(fd.raw, page, true, `consumer page of ${what}`);
    try {
      this.#producerPages = mmapSharedFd(fd.raw, page + 2 * size, false, `producer page and data of ${what}`, page);
    } catch (e) {
      native.munmap(this.#consumerPage);
      throw e;
    }
    this.#consumerPos = new BigUint64Array(this.#consumerPage, 0, 1);
    this.#producerPos = new BigUint64Array(this.#producerPages, 0, 1);
    this.#headers = new Uint32Array(this.#producerPages, page, (2 * size) / 4);
    this.#data = new Uint8Array(this.#producerPages, page, 2 * size);
  }

  /** Bytes written by producers and not yet consumed (records, headers and padding). */
  get pending(): number {
    if (this.#unmapped) return 0;
    return Number(Atomics.load(this.#producerPos, 0) - Atomics.load(this.#consumerPos, 0));
  }

  /**
   * Hands every committed record up to the producer position read at the
   * start to `callback`, skipping discarded ones and stopping at the first
   * record still being written. The consumer position is published once, at
   * the end (also when the callback throws: the record that threw counts as
   * consumed). `stop`, checked after each record, ends the batch early
   * (what is left stays in the ring). Returns how many records were delivered.
   */
  drain(callback: RecordCallback, stop?: () => boolean): number {
    // Positions are u64 but stay far below 2^53 (petabytes of traffic): one
    // BigInt per batch, plain numbers per record.
    let consumer = Number(Atomics.load(this.#consumerPos, 0));
    const producer = Number(Atomics.load(this.#producerPos, 0));
    const size = this.size;
    let delivered = 0;
    try {
      while (consumer < producer) {
        const at = consumer % size;
        // Acquire-load of the header: the producer clears BUSY last.
        const header = Atomics.load(this.#headers, at >>> 2);
        if (header & BUSY) break;
        const length = header & LENGTH_MASK;
        consumer += (length + HEADER_SIZE + 7) & ~7;
        if (header & DISCARD) continue;
        delivered++;
        callback(this.#copyOut(at + HEADER_SIZE, length));
        // The callback may have closed the reader: the memory is gone.
        if (this.#unmapped) return delivered;
        if (stop?.()) break;
      }
    } finally {
      if (!this.#unmapped) Atomics.store(this.#consumerPos, 0, BigInt(consumer));
    }
    return delivered;
  }

  /** A writable copy of `length` bytes of the data area from `start`. */
  #copyOut(start: number, length: number): Uint8Array {
    if (this.#scratch.byteLength < length) this.#scratch = new Uint8Array(Math.max(length, this.#scratch.byteLength * 2));
    const scratch = this.#scratch;
    this.#scratch.set(this.#data.subarray(start, start + length));
    return scratch.subarray(0, length);
  }

  /** Unmaps both regions; views handed out earlier become detached (zero length). Idempotent. */
  unmap(): void {
    if (this.#unmapped) return;
    this.#unmapped = true;
    native.munmap(this.#producerPages);
    native.munmap(this.#consumerPage);
  }
}
