// The mmap()ed ring of one perf event (struct perf_event_mmap_page followed
// by 2^n data pages) and the reader side of its protocol: the kernel moves
// data_head, we read records up to it and publish data_tail.
import { endianness } from "node:os";
import { native } from "../sys/native.js";
import type { FD } from "../sys/fd.js";
import { mmapSharedFd, pageSize } from "../map/mmap.js";
import { BatchScratch, type BatchRecordCallback } from "./batch-scratch.js";
import { loadPosition, storePosition } from "./positions.js";

/** Offsets in struct perf_event_mmap_page (stable uapi). */
const DATA_HEAD = 1024;
const DATA_TAIL = 1032;
const DATA_OFFSET = 1040;
const DATA_SIZE = 1048;

/** enum perf_event_type values we read. */
const RECORD_LOST = 2;
const RECORD_SAMPLE = 9;
/** struct perf_event_header: u32 type, u16 misc, u16 size. */
const HEADER_SIZE = 8;

const LITTLE = endianness() === "LE";

/** Called with the raw bytes of one sample (PERF_SAMPLE_RAW), valid only during the call. */
export type SampleCallback = (data: Uint8Array) => void;
/** Called with the number of samples the kernel dropped because the ring was full, and the event's id. */
export type LostCallback = (lost: number, id: number) => void;

/** Bytes copied per batch at most (a record is at most 64 KiB, so one always fits). */
const BATCH_BYTES = 64 * 1024;

/**
 * The mapping of one perf event's ring and the drain loop over it. Like the
 * BPF ring buffer reader (see ring-memory.ts), records are copied a batch at
 * a time into a reused writable buffer (one or two memcpy: the data area is
 * mapped once, so a batch may wrap) and handed out from there; data_tail is
 * published after each batch.
 */
export class PerfRing {
  readonly #buffer: ArrayBuffer;
  readonly #head: Uint32Array;
  readonly #tail: Uint32Array;
  readonly #tailWhole: BigUint64Array;
  readonly #data: Uint8Array;
  readonly #view: DataView;
  readonly #scratch = new BatchScratch();
  /** Size of the data area in bytes (2^n pages). */
  readonly size: number;
  #unmapped = false;
  /** Bumped by interrupt(); see RingMemory for why a counter and not a callback. */
  #interrupts = 0;
  /** Samples start with a u64 time stamp (PERF_SAMPLE_TIME) before the raw data. */
  readonly #timestamps: boolean;
  /** The time stamp of the sample being delivered (ns, the perf clock), when the event records them; else 0. */
  sampleTime = 0;

  /** Maps the metadata page and `dataPages` data pages (a power of two) of the perf event `fd`. */
  constructor(fd: FD, dataPages: number, what: string, timestamps = false) {
    const page = pageSize();
    this.#timestamps = timestamps;
    // Writable: data_tail in the metadata page is ours to publish.
    const r = mmapSharedFd(fd.raw, (1 + dataPages) * page, true, `perf ring of ${what}`);
    this.#buffer = r;
    const meta = new DataView(r, 0, page);
    // data_offset/data_size exist since Linux 4.1; older kernels leave them 0.
    const offset = Number(meta.getBigUint64(DATA_OFFSET, LITTLE)) || page;
    this.size = Number(meta.getBigUint64(DATA_SIZE, LITTLE)) || dataPages * page;
    this.#head = new Uint32Array(r, DATA_HEAD, 2);
    this.#tail = new Uint32Array(r, DATA_TAIL, 2);
    this.#tailWhole = new BigUint64Array(r, DATA_TAIL, 1);
    this.#data = new Uint8Array(r, offset, this.size);
    this.#view = new DataView(r, offset, this.size);
  }

  /** Bytes written by the kernel and not yet read. */
  get pending(): number {
    if (this.#unmapped) return 0;
    return loadPosition(this.#head) - loadPosition(this.#tail);
  }

  /** Ends a running drain after the record being delivered (a reader stopped from inside its callback). */
  interrupt(): void {
    this.#interrupts++;
  }

  /** Like drainBatches, with each sample as a Uint8Array (a view reused for samples of the same length). */
  drain(onSample: SampleCallback, onLost: LostCallback, budget = Infinity): number {
    const scratch = this.#scratch;
    return this.drainBatches((_view, offset, length) => onSample(scratch.recordView(offset, length)), onLost, budget);
  }

  /**
   * Reads records up to data_head, a batch at a time, reading data_head again
   * after each batch until the ring is empty or `budget` bytes were read:
   * samples go to `onSample` (the reused copy, the raw data's offset and
   * length), lost-record notices to `onLost`, other record types are
   * skipped. data_tail is published after each batch, also when a callback
   * throws (the record that threw counts as read). interrupt() ends the
   * drain early. Returns how many samples were delivered.
   */
  drainBatches(onSample: BatchRecordCallback, onLost: LostCallback, budget = Infinity): number {
    const size = this.size;
    const source = this.#view;
    const timestamps = this.#timestamps;
    let tail = loadPosition(this.#tail);
    const interrupts = this.#interrupts;
    let delivered = 0;
    let consumed = 0;
    while (consumed < budget) {
      const head = loadPosition(this.#head);
      if (tail >= head) break;
      // Whole records only: walk the headers (8-byte aligned, the area a
      // multiple of 8, so a header never wraps) up to the batch size.
      let length = 0;
      while (tail + length < head) {
        const recordSize = source.getUint16((tail + length + 6) % size, LITTLE);
        if (recordSize < HEADER_SIZE || length + recordSize > BATCH_BYTES) break; // corrupt, or the batch is full
        length += recordSize;
      }
      if (length === 0) break; // a corrupt ring: stop rather than spin
      const start = tail % size;
      const scratch = start + length <= size ? this.#scratch.fill(this.#data, start, start + length) : this.#copyWrapped(start, length);
      const view = scratch.view;
      const bytes = scratch.bytes;
      let at = 0;
      let stopped = false;
      try {
        while (at < length) {
          const type = view.getUint32(at, LITTLE);
          const recordSize = view.getUint16(at + 6, LITTLE);
          const record = at;
          at += recordSize;
          if (type === RECORD_SAMPLE) {
            // struct { header; [u64 time;] u32 size; u8 data[size]; } (padded to 8 bytes)
            let field = record + HEADER_SIZE;
            if (timestamps) {
              // Two u32 halves: no BigInt per sample (ns since boot stay below 2^53).
              const low = view.getUint32(field + (LITTLE ? 0 : 4), LITTLE);
              const high = view.getUint32(field + (LITTLE ? 4 : 0), LITTLE);
              this.sampleTime = high * 2 ** 32 + low;
              field += 8;
            }
            const rawSize = view.getUint32(field, LITTLE);
            const dataStart = field + 4;
            delivered++;
            onSample(view, dataStart, Math.min(rawSize, at - dataStart), bytes);
          } else if (type === RECORD_LOST) {
            // struct { header; u64 id; u64 lost; }
            onLost(Number(view.getBigUint64(record + HEADER_SIZE + 8, LITTLE)), Number(view.getBigUint64(record + HEADER_SIZE, LITTLE)));
          }
          // A callback may have closed the reader: the memory is gone.
          if (this.#unmapped) return delivered;
          if (this.#interrupts !== interrupts) {
            stopped = true;
            break;
          }
        }
      } finally {
        if (!this.#unmapped) storePosition(this.#tail, this.#tailWhole, tail, tail + at);
      }
      tail += at;
      consumed += at;
      if (stopped) break;
    }
    return delivered;
  }

  /** Copies `length` bytes from `start` that run past the end of the data area into the scratch buffer. */
  #copyWrapped(start: number, length: number): BatchScratch {
    const scratch = this.#scratch;
    scratch.reserve(length);
    const first = this.size - start;
    scratch.bytes.set(this.#data.subarray(start), 0);
    scratch.bytes.set(this.#data.subarray(0, length - first), first);
    return scratch;
  }

  /** Unmaps the ring; views handed out earlier become detached. Idempotent. */
  unmap(): void {
    if (this.#unmapped) return;
    this.#unmapped = true;
    native.munmap(this.#buffer);
  }
}
