// RingBufferReader: several ring buffer maps read through one epoll instance
// and one event-loop watcher, each with its own callback — what libbpf's
// ring_buffer__new + ring_buffer__add give C programs. One watcher instead of
// one per ring keeps a reader of many rings to one wake-up per loop turn.
import type { BpfMap } from "../map.js";
import { checkFunction, optionsArgument } from "../sys/arguments.js";
import type { FD } from "../sys/fd.js";
import { epollAdd, epollCreate, EPOLL_IN } from "../sys/epoll.js";
import { BusyError, ClosedError } from "../sys/errors.js";
import type { BatchRecordCallback } from "./batch-scratch.js";
import { openRing, type OpenRing, type RingBufferReadOptions } from "./ring-buffer.js";
import type { RecordCallback } from "./ring-memory.js";
import { consumeWhileReady, watchOne } from "./consume-loop.js";

interface ReaderRing extends OpenRing {
  /** Drains the ring into its callback, at most `budget` bytes. */
  readonly drain: (budget: number) => number;
}

/**
 * Reads several ring buffer maps, each with its own callback, through one
 * epoll fd watched on the event loop. Add rings with add() (a Uint8Array per
 * record) or addBatch() (the zero-allocation callback of
 * RingBuffer.pollBatch()), then poll() or consume(). It owns duplicates of the
 * map fds and their mappings; release it with `close()` or `using`.
 */
export class RingBufferReader implements Disposable {
  readonly #epoll: FD;
  readonly #rings: ReaderRing[] = [];
  readonly #cancels = new Set<() => void>();
  readonly #what = "ring buffer reader";
  #reading = false;
  #closed = false;

  constructor() {
    this.#epoll = epollCreate(this.#what);
  }

  /** How many rings were added. */
  get rings(): number {
    return this.#rings.length;
  }

  /** True after close(). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Adds `map` (a ringbuf map): its records go to `callback` as a Uint8Array
   * valid only during the call. A ring added while consume() runs is read
   * from its next wake-up on. Returns this reader.
   */
  add(map: BpfMap, callback: RecordCallback): this {
    this.#assertOpen();
    checkFunction(callback, "callback", this.#what);
    return this.#add(map, (ring) => (budget) => ring.memory.drain(callback, budget));
  }

  /** add() with the zero-allocation callback of RingBuffer.pollBatch(). */
  addBatch(map: BpfMap, callback: BatchRecordCallback): this {
    this.#assertOpen();
    checkFunction(callback, "callback", this.#what);
    return this.#add(map, (ring) => (budget) => ring.memory.drainBatches(callback, budget));
  }

  #add(map: BpfMap, drainOf: (ring: OpenRing) => (budget: number) => number): this {
    const ring = openRing(map, "RingBufferReader.add");
    try {
      epollAdd(this.#epoll, ring.fd, EPOLL_IN, this.#rings.length, `${this.#what}: ${ring.what}`);
    } catch (e) {
      ring.memory.unmap();
      ring.fd.close();
      throw e;
    }
    this.#rings.push({ ...ring, drain: drainOf(ring) });
    return this;
  }

  /**
   * Reads every record available now in every ring (ring by ring, each in
   * order), synchronously; returns how many there were.
   */
  poll(): number {
    this.#assertOpen();
    return this.#drainAll(Infinity);
  }

  // Every ring is visited on each wake-up: checking an idle ring costs two
  // loads from its mapping, less than asking epoll which rings are ready.
  #drainAll(budget: number): number {
    let n = 0;
    for (let i = 0; i < this.#rings.length && !this.#closed; i++) n += this.#rings[i]!.drain(budget);
    return n;
  }

  /**
   * Calls each ring's callback on the event loop as records arrive, until
   * `signal` aborts or the reader is closed (the promise resolves) or a
   * callback throws (it rejects with that error). One reader at a time.
   */
  consume(options: RingBufferReadOptions = {}): Promise<void> {
    this.#assertOpen();
    const { signal } = optionsArgument(options, this.#what);
    if (signal?.aborted) return Promise.resolve();
    if (this.#reading) throw new BusyError(`${this.#what} already has a running consume(); use one at a time`);
    this.#reading = true;
    let done = false;
    // Level-triggered: the epoll fd stays readable while any ring has data.
    return consumeWhileReady({
      watch: watchOne(this.#epoll, this.#what), signal, cancels: this.#cancels,
      onReady: () => {
        // At most one ring's worth per ring per loop turn (see RingBuffer.consume()).
        for (let i = 0; i < this.#rings.length && !done; i++) {
          const ring = this.#rings[i]!;
          ring.drain(ring.memory.size);
        }
      },
      onEnd: () => {
        done = true;
        for (const ring of this.#rings) ring.memory.interrupt();
        this.#reading = false;
      },
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError(this.#what);
  }

  /** Ends a running consume(), unmaps every ring and closes every fd. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const cancel of [...this.#cancels]) cancel();
    for (const ring of this.#rings) {
      ring.memory.unmap();
      ring.fd.close();
    }
    this.#epoll.close();
  }

  /** Closes the reader, its epoll and its rings (`using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  toString(): string {
    return `RingBufferReader(${this.#closed ? "closed" : `${this.#rings.length} rings`})`;
  }
}
