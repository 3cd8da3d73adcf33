// RingBuffer: the user-space reader of a BPF_MAP_TYPE_RINGBUF map (Linux
// 5.8). Records are read from the shared mapping without syscalls (a batch at
// a time copied into a reused writable buffer: the pages are read-only, see
// ring-memory.ts); waiting for new ones goes through epoll on the event loop,
// never blocking it. The batch callbacks (pollBatch, consumeBatch) are the
// hot path; the Uint8Array ones cost about twice as much per record.
import { BpfMap } from "../map.js";
import { checkFunction, checkInstance, optionsArgument } from "../sys/arguments.js";
import { readerLabel } from "./label.js";
import { MapType } from "../map/types.js";
import type { FD } from "../sys/fd.js";
import { BusyError, ClosedError, InvalidArgumentError } from "../sys/errors.js";
import { RingMemory, type RecordCallback } from "./ring-memory.js";
import type { BatchRecordCallback } from "./batch-scratch.js";
import { watchReadable, type Watch } from "./readiness.js";
import { consumeWhileReady, watchOne } from "./consume-loop.js";

export type { RecordCallback } from "./ring-memory.js";
export type { BatchRecordCallback } from "./batch-scratch.js";

/** A batch record callback that returns what it made of the record. */
type BatchRecordCallbackOf<T> = (view: DataView, offset: number, length: number, bytes: Uint8Array) => T;

/** The duplicate fd and the mappings of one ring buffer map, and its name for messages. */
export interface OpenRing {
  readonly fd: FD;
  readonly memory: RingMemory;
  readonly what: string;
}

/**
 * Checks that `map` is a ringbuf map and maps its ring over a duplicate fd;
 * leaves nothing open on failure. `readInPlace`: see RingMemory.
 */
export function openRing(map: BpfMap, caller: string, readInPlace = false): OpenRing {
  checkInstance(map, BpfMap, "map", caller);
  const what = readerLabel("ring buffer", map.name);
  if (map.type !== MapType.Ringbuf) {
    throw new InvalidArgumentError(`${what}: the map is a ${map.typeName} map, not a ringbuf`, "map");
  }
  const fd = map.fd.dup();
  try {
    return { fd, memory: new RingMemory(fd, map.maxEntries, what, readInPlace), what };
  } catch (e) {
    fd.close();
    throw e;
  }
}

/** Options of the waiting readers. */
export interface RingBufferReadOptions {
  /** Ends the reader: consume() resolves, the iterator finishes. */
  signal?: AbortSignal;
}

/**
 * Reader of one ring buffer map. It owns a duplicate of the map fd and two
 * mappings of the ring, so it keeps working if the Map object is closed;
 * release it with `close()` or `using`. Several RingBuffers (of different
 * maps) can be read at the same time; one RingBuffer has at most one waiting
 * reader (consume() or records()) at a time.
 */
export class RingBuffer implements Disposable {
  readonly #fd: FD;
  readonly #memory: RingMemory;
  readonly #what: string;
  readonly #cancels = new Set<() => void>();
  #reading = false;
  #closed = false;

  /**
   * Maps the ring of `map` (a ringbuf map; InvalidArgumentError otherwise).
   * `readInPlace` is for readers that never write to the records (the
   * library's TypedRingBuffer): the batch callbacks then get views of the
   * read-only ring itself, where one store kills the process. Leave it false.
   */
  constructor(map: BpfMap, readInPlace = false) {
    const ring = openRing(map, "RingBuffer", readInPlace);
    this.#what = ring.what;
    this.#fd = ring.fd;
    this.#memory = ring.memory;
  }

  /** Size of the ring's data area in bytes (the map's max_entries). */
  get size(): number {
    return this.#memory.size;
  }

  /** Bytes written by programs and not yet read (including headers and padding). */
  get pending(): number {
    this.#assertOpen();
    return this.#memory.pending;
  }

  /** True after close(). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Reads every record available now, synchronously, and returns how many
   * there were. `callback` gets the record's bytes in a reused buffer, valid
   * only during the call (copy it with `slice()` to keep it); discarded
   * records are skipped and a record still being written ends the batch.
   */
  poll(callback: RecordCallback): number {
    this.#assertOpen();
    checkFunction(callback, "callback", this.#what);
    return this.#memory.drain(callback);
  }

  /**
   * poll() without an object per record, for hot paths: `callback` gets a
   * reused writable copy of a batch of records (`view`, `bytes`) and the
   * record's `offset` and `length` in it, valid only during the call.
   */
  pollBatch(callback: BatchRecordCallback): number {
    this.#assertOpen();
    checkFunction(callback, "callback", this.#what);
    return this.#memory.drainBatches(callback);
  }

  /** Copies of every record available now (possibly none), in order. */
  readAvailable(): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.poll((record) => out.push(record.slice()));
    return out;
  }

  /**
   * Calls `callback` on the event loop for every record, as they arrive,
   * until `signal` aborts or the reader is closed (the promise resolves) or
   * the callback throws (it rejects with that error). The view passed to the
   * callback is valid only during the call.
   */
  consume(callback: RecordCallback, options: RingBufferReadOptions = {}): Promise<void> {
    this.#assertOpen();
    checkFunction(callback, "callback", this.#what);
    return this.#consumeWith((budget) => this.#memory.drain(callback, budget), options);
  }

  /**
   * consume() with the zero-allocation callback of pollBatch(): the view,
   * bytes, offset and length it gets are valid only during the call.
   */
  consumeBatch(callback: BatchRecordCallback, options: RingBufferReadOptions = {}): Promise<void> {
    this.#assertOpen();
    checkFunction(callback, "callback", this.#what);
    return this.#consumeWith((budget) => this.#memory.drainBatches(callback, budget), options);
  }

  #consumeWith(drain: (budget: number) => void, options: RingBufferReadOptions): Promise<void> {
    const { signal } = optionsArgument(options, this.#what);
    if (signal?.aborted) return Promise.resolve();
    this.#startReading();
    // At most one ring's worth per turn of the event loop: a producer that
    // never pauses must not starve timers and I/O. The watch is level
    // triggered, so what is left brings the next callback at once.
    const budget = this.#memory.size;
    return consumeWhileReady({
      watch: watchOne(this.#fd, this.#what), signal, cancels: this.#cancels,
      onReady: () => drain(budget),
      onEnd: () => {
        // A callback that aborted or closed gets no further records.
        this.#memory.interrupt();
        this.#reading = false;
      },
    });
  }

  /**
   * An async iterator of copies of the records, waiting on the event loop
   * when the ring is empty. It finishes when `signal` aborts or the reader is
   * closed; records already taken from the ring but not yet yielded are
   * dropped at that point.
   */
  records(options: RingBufferReadOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
    return this.recordsWith((_view, offset, length, bytes) => bytes.slice(offset, offset + length), options);
  }

  /**
   * records() yielding what `convert` makes of each record, called on the
   * reused batch copy as pollBatch's callback is (the record at `offset`,
   * `length` bytes): a decoder reads the record in place, with no copy of
   * its own first. What `convert` returns must not alias `view`/`bytes`.
   */
  recordsWith<T>(convert: (view: DataView, offset: number, length: number, bytes: Uint8Array) => T, options: RingBufferReadOptions = {}): AsyncGenerator<T, void, undefined> {
    this.#assertOpen();
    checkFunction(convert, "convert", this.#what);
    return this.#iterate(optionsArgument(options, this.#what).signal, convert);
  }

  /** `for await (const record of ringBuffer)`: records() without a signal (ends when the reader is closed). */
  [Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    return this.records();
  }

  async *#iterate<T>(signal: AbortSignal | undefined, convert: BatchRecordCallbackOf<T>): AsyncGenerator<T, void, undefined> {
    // Claimed on the first next(), so an iterator never started holds nothing.
    this.#startReading();
    try {
      while (!this.#closed && !signal?.aborted) {
        const batch: T[] = [];
        this.#memory.drainBatches((view, offset, length, bytes) => {
          batch.push(convert(view, offset, length, bytes));
        });
        if (batch.length === 0) {
          if (!(await this.#waitReadable(signal))) return;
          continue;
        }
        for (const record of batch) {
          if (this.#closed || signal?.aborted) return;
          yield record;
        }
      }
    } finally {
      this.#reading = false;
    }
  }

  /** Resolves true once the ring has data, false if `signal` aborts or the reader closes first. */
  #waitReadable(signal: AbortSignal | undefined): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      let done = false;
      let watch: Watch | undefined;
      const finish = (ready: boolean, error?: Error): void => {
        if (done) return;
        done = true;
        watch?.stop();
        signal?.removeEventListener("abort", cancel);
        this.#cancels.delete(cancel);
        if (error) reject(error);
        else resolve(ready);
      };
      const cancel = (): void => finish(false);
      if (signal?.aborted) return finish(false);
      try {
        watch = watchReadable(this.#fd, this.#what, () => finish(true), (e) => finish(false, e));
      } catch (e) {
        reject(e);
        return;
      }
      signal?.addEventListener("abort", cancel, { once: true });
      this.#cancels.add(cancel);
    });
  }

  #startReading(): void {
    if (this.#reading) {
      throw new BusyError(`${this.#what} already has a running reader (consume() or records()); use one at a time`);
    }
    this.#reading = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError(this.#what);
  }

  /**
   * Ends running readers (consume() resolves, iterators finish), unmaps the
   * ring (views handed out become detached) and closes the fd. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const cancel of [...this.#cancels]) cancel();
    this.#memory.unmap();
    this.#fd.close();
  }

  /** Closes the reader and unmaps the ring (`using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  toString(): string {
    return `RingBuffer(${this.#what}, ${this.#closed ? "closed" : `${this.size} bytes`})`;
  }
}
