// The mmap()ed ring of one perf event (struct perf_event_mmap_page followed
// by 2^n data pages) and the reader side of its protocol: the kernel moves
// data_head, we read records up to it and publish data_tail. Unlike the BPF
// ring buffer, the data area is mapped once, so a record crossing its end is
// copied into a scratch buffer.
import { endianness } from "node:os";
import { native } from "../sys/native.js";
import type { FD } from "../sys/fd.js";
import { mmapSharedFd, pageSize } from "../map/mmap.js";

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
/** The largest record: header.size is a u16. */
const MAX_RECORD = 0xffff;

const LITTLE = endianness() === "LE";

/** Called with the raw bytes of one sample (PERF_SAMPLE_RAW), valid only during the call. */
export type SampleCallback = (data: Uint8Array) => void;
/** Called with the number of samples the kernel dropped because the ring was full. */
export type LostCallback = (lost: number) => void;

/** The mapping of one perf event's ring and the drain loop over it. */
export class PerfRing {
  readonly #buffer: ArrayBuffer;
  readonly #head: BigUint64Array;
  readonly #tail: BigUint64Array;
  readonly #data: Uint8Array;
  readonly #view: DataView;
  #scratch: Uint8Array | undefined;
  #scratchView: DataView | undefined;
  /** Size of the data area in bytes (2^n pages). */
  readonly size: number;
  #unmapped = false;

  /** Maps the metadata page and `dataPages` data pages (a power of two) of the perf event `fd`. */
  constructor(fd: FD, dataPages: number, what: string) {
    const page = pageSize();
    // Writable: data_tail in the metadata page is ours to publish.
    const r = mmapSharedFd(fd.raw, (1 + dataPages) * page, true, `perf ring of ${what}`);
    this.#buffer = r;
    const meta = new DataView(r, 0, page);
    // data_offset/data_size exist since Linux 4.1; older kernels leave them 0.
    const offset = Number(meta.getBigUint64(DATA_OFFSET, LITTLE)) || page;
    this.size = Number(meta.getBigUint64(DATA_SIZE, LITTLE)) || dataPages * page;
    this.#head = new BigUint64Array(r, DATA_HEAD, 1);
    this.#tail = new BigUint64Array(r, DATA_TAIL, 1);
    this.#data = new Uint8Array(r, offset, this.size);
    this.#view = new DataView(r, offset, this.size);
  }

  /** Bytes written by the kernel and not yet read. */
  get pending(): number {
    if (this.#unmapped) return 0;
    return Number(Atomics.load(this.#head, 0) - Atomics.load(this.#tail, 0));
  }

  /**
   * Reads every record up to the data_head read at the start: samples go to
   * `onSample`, lost-record notices to `onLost`, other record types are
   * skipped. data_tail is published once, at the end, also when a callback
   * throws (the record that threw counts as read). `stop`, checked after
   * each sample, ends the batch early. Returns how many samples were delivered.
   */
  drain(onSample: SampleCallback, onLost: LostCallback, stop?: () => boolean): number {
    // Positions are u64 but stay far below 2^53: one BigInt per batch.
    // Atomics.load of data_head is the acquire the protocol asks for.
    let tail = Number(Atomics.load(this.#tail, 0));
    const head = Number(Atomics.load(this.#head, 0));
    const size = this.size;
    let delivered = 0;
    try {
      while (tail < head) {
        const at = tail % size;
        // Records are 8-byte aligned and the area is a multiple of 8: the header never wraps.
        const type = this.#view.getUint32(at, LITTLE);
        const length = this.#view.getUint16(at + 6, LITTLE);
        if (length < HEADER_SIZE) break; // corrupt ring: stop rather than spin
        let view = this.#view;
        let base = at;
        let bytes = this.#data;
        if (at + length > size) {
          base = 0;
          bytes = this.#copyWrapped(at, length);
          view = this.#scratchView!;
        }
        tail += length;
        if (type === RECORD_SAMPLE) {
          const rawSize = view.getUint32(base + HEADER_SIZE, LITTLE);
          const start = base + HEADER_SIZE + 4;
          delivered++;
          onSample(bytes.subarray(start, Math.min(start + rawSize, base + length)));
        } else if (type === RECORD_LOST) {
          // struct { header; u64 id; u64 lost; }
          onLost(Number(view.getBigUint64(base + HEADER_SIZE + 8, LITTLE)));
        }
        // A callback may have closed the reader: the memory is gone.
        if (this.#unmapped) return delivered;
        if (stop?.()) break;
      }
    } finally {
      if (!this.#unmapped) Atomics.store(this.#tail, 0, BigInt(tail));
    }
    return delivered;
  }

  /** Copies the record at `at` that runs past the end of the data area into the scratch buffer. */
  #copyWrapped(at: number, length: number): Uint8Array {
    if (this.#scratch === undefined) {
      this.#scratch = new Uint8Array(MAX_RECORD + 1);
      this.#scratchView = new DataView(this.#scratch.buffer);
    }
    const first = this.size - at;
    this.#scratch.set(this.#data.subarray(at), 0);
    this.#scratch.set(this.#data.subarray(0, length - first), first);
    return this.#scratch;
  }

  /** Unmaps the ring; views handed out earlier become detached. Idempotent. */
  unmap(): void {
    if (this.#unmapped) return;
    this.#unmapped = true;
    native.munmap(this.#buffer);
  }
}
