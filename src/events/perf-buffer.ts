// PerfBuffer: the user-space reader of a BPF_MAP_TYPE_PERF_EVENT_ARRAY map
// (Linux 4.4), the way libbpf's perf_buffer works: one BPF output perf event
// and ring per online CPU, stored in the map at key = CPU, read on the event
// loop through one readiness watch per CPU.
import { BpfMap } from "../map.js";
import { checkFunction, checkInstance, describeValue, optionsArgument } from "../sys/arguments.js";
import { MapType } from "../map/types.js";
import { onlineCpus } from "../sys/cpus.js";
import { BusyError, ClosedError, InvalidArgumentError } from "../sys/errors.js";
import { CpuRing } from "./perf-cpu-ring.js";
import { readerLabel } from "./label.js";
import { watchReadable, type Watch } from "./readiness.js";
import { consumeWhileReady } from "./consume-loop.js";

/** Options of {@link PerfBuffer}. */
export interface PerfBufferOptions {
  /** Data pages of each CPU's ring, a power of two (default 8); one more page holds the metadata. */
  pages?: number;
  /** Wake the reader after this many records (default 1); exclusive with `wakeupWatermark`. */
  wakeupEvents?: number;
  /** Wake the reader once this many bytes are in a ring (instead of counting records). */
  wakeupWatermark?: number;
  /**
   * Told how many records the kernel dropped on `cpu` because its ring was
   * full (a PERF_RECORD_LOST, written once the ring has room again), and the
   * id of that CPU's perf event. The running total is `lost`.
   */
  onLost?: (cpu: number, lost: number, id: number) => void;
  /**
   * Read only these CPUs (default: every online CPU), each through the map
   * slot at the same position in `keys` (default: the CPU number), as
   * libbpf's perf_buffer__new_raw cpus/map_keys.
   */
  cpus?: readonly number[];
  /** The map keys of `cpus` (needs `cpus`; same length). */
  keys?: readonly number[];
  /** Have samples carry the kernel's time stamp (PERF_SAMPLE_TIME), read through `sampleTime` in the callback. */
  timestamps?: boolean;
}

/** Every key of PerfBufferOptions (the `satisfies` makes a new option a compile error until it is listed). */
export const PERF_BUFFER_OPTION_KEYS = Object.keys({
  pages: true, wakeupEvents: true, wakeupWatermark: true, onLost: true, cpus: true, keys: true, timestamps: true,
} satisfies Record<keyof PerfBufferOptions, true>) as readonly (keyof PerfBufferOptions)[];

/** Options of the waiting readers. */
export interface PerfBufferReadOptions {
  /** Ends the reader: consume() resolves, the iterator finishes. */
  signal?: AbortSignal;
}

/**
 * Called with the CPU that wrote a record and a view of its bytes, valid only
 * during the call. The kernel pads raw samples so that their size field plus
 * the data is a multiple of 8: the view may end with up to 7 bytes of
 * padding whose content is unspecified (the kernel skips over them).
 */
export type PerfRecordCallback = (cpu: number, data: Uint8Array) => void;

/**
 * The zero-allocation callback of pollBatch()/consumeBatch(): the CPU, a view
 * of a reused writable copy of a batch of records, the sample's offset and
 * length in it (raw data, possibly with up to 7 bytes of padding, as for
 * PerfRecordCallback) and the same bytes as a Uint8Array. Valid only during
 * the call: the next batch overwrites them.
 */
export type PerfBatchCallback = (cpu: number, view: DataView, offset: number, length: number, bytes: Uint8Array) => void;

/** A record copied out of a perf buffer. */
export interface PerfRecord {
  cpu: number;
  data: Uint8Array;
}

function checkPositive(value: number | undefined, name: string, what: string): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > 0xffff_ffff)) {
    throw new InvalidArgumentError(`${what}: ${name} must be a positive 32-bit integer, got ${describeValue(value)}`, name);
  }
}

/** Resolves on the next call of the function given to `setWake`, or when `signal` aborts. */
function nextWake(signal: AbortSignal | undefined, setWake: (wake: () => void) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      signal?.removeEventListener("abort", done);
      resolve();
    };
    if (signal?.aborted) return done();
    setWake(done);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** The CPUs to read and the map key of each, from the options (every online CPU at its own key by default). */
function ringPlacement(options: PerfBufferOptions, what: string): { cpus: readonly number[]; keys: readonly number[] } {
  if (options.cpus === undefined) {
    if (options.keys !== undefined) throw new InvalidArgumentError(`${what}: keys needs cpus`, "keys");
    const cpus = onlineCpus();
    return { cpus, keys: cpus };
  }
  const check = (list: unknown, name: string): readonly number[] => {
    if (!Array.isArray(list) || list.length === 0 || !list.every((n) => Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff)) {
      throw new InvalidArgumentError(`${what}: ${name} must be a non-empty list of non-negative integers, got ${describeValue(list)}`, name);
    }
    return list as readonly number[];
  };
  const cpus = check(options.cpus, "cpus");
  const keys = options.keys === undefined ? cpus : check(options.keys, "keys");
  if (keys.length !== cpus.length) throw new InvalidArgumentError(`${what}: cpus and keys must have the same length`, "keys");
  return { cpus, keys };
}

/**
 * Reader of one perf event array map. It owns a duplicate of the map fd, so
 * it keeps working (and can clear its slots on close) if the Map object is
 * closed; release it with `close()` or `using`. At most one waiting reader
 * (consume() or records()) runs at a time.
 */
export class PerfBuffer implements Disposable {
  readonly #map: BpfMap;
  readonly #rings: CpuRing[] = [];
  readonly #what: string;
  readonly #onLost: ((cpu: number, lost: number, id: number) => void) | undefined;
  readonly #lostCallbacks: ((lost: number, id: number) => void)[] = [];
  readonly #cancels = new Set<() => void>();
  #lost = 0;
  /** The ring whose sample is being delivered (for sampleTime). */
  #current: CpuRing | undefined;
  #reading = false;
  #closed = false;

  /**
   * Opens a BPF output perf event on every online CPU, maps its ring and
   * stores it in `map` (a perf event array; InvalidArgumentError otherwise,
   * or when the map has fewer entries than the highest online CPU needs).
   * On any failure everything opened so far is closed again.
   */
  constructor(map: BpfMap, options: PerfBufferOptions = {}) {
    checkInstance(map, BpfMap, "map", "PerfBuffer");
    options = optionsArgument(options, "PerfBuffer");
    this.#what = readerLabel("perf buffer", map.name);
    if (map.type !== MapType.PerfEventArray) {
      throw new InvalidArgumentError(`${this.#what}: the map is a ${map.typeName} map, not a perf_event_array`, "map");
    }
    const pages = options.pages ?? 8;
    if (!Number.isInteger(pages) || pages < 1 || (pages & (pages - 1)) !== 0 || pages > 1 << 20) {
      throw new InvalidArgumentError(`${this.#what}: pages must be a power of two (1, 2, 4 …), got ${describeValue(pages)}`, "pages");
    }
    checkPositive(options.wakeupEvents, "wakeupEvents", this.#what);
    checkPositive(options.wakeupWatermark, "wakeupWatermark", this.#what);
    if (options.wakeupEvents !== undefined && options.wakeupWatermark !== undefined) {
      throw new InvalidArgumentError(`${this.#what}: give wakeupEvents or wakeupWatermark, not both`, "wakeupWatermark");
    }
    const { cpus, keys } = ringPlacement(options, this.#what);
    this.#onLost = options.onLost;
    // A Map of our own over a duplicate fd: the slots can be cleared on close
    // even if the caller closed `map` first.
    const fd = map.fd.dup();
    try {
      this.#map = BpfMap.fromFd(fd);
    } catch (e) {
      fd.close();
      throw e;
    }
    try {
      cpus.forEach((cpu, i) => {
        const ring = new CpuRing(this.#map, cpu, keys[i]!, pages, options, this.#what);
        this.#rings.push(ring);
        this.#lostCallbacks.push((lost, id) => this.#reportLost(cpu, lost, id));
      });
    } catch (e) {
      for (const ring of this.#rings) ring.close();
      this.#map.close();
      throw e;
    }
  }

  /** The map keys of the CPUs' events, in ring order. */
  get keys(): number[] {
    return this.#rings.map((r) => r.key);
  }

  /** The CPUs read, in ring order. */
  get cpus(): number[] {
    return this.#rings.map((r) => r.cpu);
  }

  /** Size of each CPU's data area in bytes. */
  get size(): number {
    return this.#rings[0]?.ring.size ?? 0;
  }

  /** Bytes written by programs and not yet read, over all CPUs. */
  get pending(): number {
    this.#assertOpen();
    let sum = 0;
    for (const r of this.#rings) sum += r.ring.pending;
    return sum;
  }

  /** Records the kernel reported as lost (ring full) so far, over all CPUs. */
  get lost(): number {
    return this.#lost;
  }

  /** True after close(). */
  get closed(): boolean {
    return this.#closed;
  }

  #reportLost(cpu: number, lost: number, id: number): void {
    this.#lost += lost;
    this.#onLost?.(cpu, lost, id);
  }

  /**
   * The kernel time stamp (ns, the perf clock: CLOCK_MONOTONIC on current
   * kernels) of the sample being delivered, read inside a callback; 0 unless
   * the buffer was opened with `timestamps: true`.
   */
  get sampleTime(): number {
    return this.#current?.ring.sampleTime ?? 0;
  }

  /** Per-ring drains of `callback`, each bound to its CPU once (not per record or per wake-up). */
  #drainers(callback: PerfRecordCallback): ((budget: number) => number)[] {
    return this.#rings.map((r, i) => {
      const onSample = (data: Uint8Array): void => {
        this.#current = r;
        callback(r.cpu, data);
      };
      const onLost = this.#lostCallbacks[i]!;
      return (budget) => r.ring.drain(onSample, onLost, budget);
    });
  }

  /** #drainers() for the batch callback. */
  #batchDrainers(callback: PerfBatchCallback): ((budget: number) => number)[] {
    return this.#rings.map((r, i) => {
      const cpu = r.cpu;
      const onSample = (view: DataView, offset: number, length: number, bytes: Uint8Array): void => {
        this.#current = r;
        callback(cpu, view, offset, length, bytes);
      };
      const onLost = this.#lostCallbacks[i]!;
      return (budget) => r.ring.drainBatches(onSample, onLost, budget);
    });
  }

  /** Runs every drain once (CPU by CPU, each in order); returns how many samples were delivered. */
  #drainAll(drainers: readonly ((budget: number) => number)[]): number {
    let n = 0;
    for (let i = 0; i < drainers.length && !this.#closed; i++) n += drainers[i]!(Infinity);
    return n;
  }

  /**
   * Reads every record available now on every CPU, synchronously (CPU by
   * CPU, each in order), and returns how many there were. The view passed to
   * `callback` is valid only during the call (copy it with `slice()`).
   */
  poll(callback: PerfRecordCallback): number {
    this.#assertOpen();
    checkFunction(callback, "callback", this.#what);
    return this.#drainAll(this.#drainers(callback));
  }

  /**
   * poll() without an object per record, for hot paths (see
   * {@link PerfBatchCallback}): what the callback gets is valid only during the call.
   */
  pollBatch(callback: PerfBatchCallback): number {
    this.#assertOpen();
    checkFunction(callback, "callback", this.#what);
    return this.#drainAll(this.#batchDrainers(callback));
  }

  /** Copies of every record available now (possibly none). */
  readAvailable(): PerfRecord[] {
    const out: PerfRecord[] = [];
    this.poll((cpu, data) => out.push({ cpu, data: data.slice() }));
    return out;
  }

  /**
   * Calls `callback` on the event loop for every record, as they arrive,
   * until `signal` aborts or the reader is closed (the promise resolves) or
   * the callback throws (it rejects with that error).
   */
  consume(callback: PerfRecordCallback, options: PerfBufferReadOptions = {}): Promise<void> {
    this.#assertOpen();
    checkFunction(callback, "callback", this.#what);
    return this.#consumeWith(this.#drainers(callback), options);
  }

  /** consume() with the zero-allocation callback of pollBatch(). */
  consumeBatch(callback: PerfBatchCallback, options: PerfBufferReadOptions = {}): Promise<void> {
    this.#assertOpen();
    checkFunction(callback, "callback", this.#what);
    return this.#consumeWith(this.#batchDrainers(callback), options);
  }

  #consumeWith(drainers: readonly ((budget: number) => number)[], options: PerfBufferReadOptions): Promise<void> {
    const { signal } = optionsArgument(options, this.#what);
    if (signal?.aborted) return Promise.resolve();
    this.#startReading();
    // At most one ring's worth per turn of the event loop, so a CPU that
    // never stops producing cannot starve the others or the loop. A perf fd
    // reports readable once per wake-up, not while data is left, so a ring
    // left non-empty is visited again on the next turn.
    const budget = this.size;
    return consumeWhileReady<number>({
      watch: (ready, fail) => this.#watchAll(ready, fail), signal, cancels: this.#cancels,
      onReady: (i) => {
        drainers[i]!(budget);
        return this.#rings[i]!.ring.pending > 0;
      },
      onEnd: () => {
        // A callback that aborted or closed gets no further records.
        for (const r of this.#rings) r.ring.interrupt();
        this.#reading = false;
      },
    });
  }

  /**
   * An async iterator of copies of the records, waiting on the event loop
   * while every ring is empty. It finishes when `signal` aborts or the
   * reader is closed; records taken from the rings but not yet yielded are
   * dropped at that point.
   */
  records(options: PerfBufferReadOptions = {}): AsyncGenerator<PerfRecord, void, undefined> {
    return this.recordsWith((cpu, _view, offset, length, bytes) => ({ cpu, data: bytes.slice(offset, offset + length) }), options);
  }

  /**
   * records() yielding what `convert` makes of each sample, called on the
   * reused batch copy as pollBatch's callback is: a decoder reads the sample
   * in place, with no copy of its own first. What `convert` returns must not
   * alias `view`/`bytes`.
   */
  recordsWith<T>(convert: (cpu: number, view: DataView, offset: number, length: number, bytes: Uint8Array) => T, options: PerfBufferReadOptions = {}): AsyncGenerator<T, void, undefined> {
    this.#assertOpen();
    checkFunction(convert, "convert", this.#what);
    return this.#iterate(optionsArgument(options, this.#what).signal, convert);
  }

  /** `for await (const { cpu, data } of perfBuffer)`: records() without a signal. */
  [Symbol.asyncIterator](): AsyncGenerator<PerfRecord, void, undefined> {
    return this.records();
  }

  async *#iterate<T>(signal: AbortSignal | undefined, convert: (cpu: number, view: DataView, offset: number, length: number, bytes: Uint8Array) => T): AsyncGenerator<T, void, undefined> {
    // Claimed on the first next(), so an iterator never started holds nothing.
    this.#startReading();
    let ready = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    let stopWatching: (() => void) | undefined;
    // close() stops the watches at once (before the fds go), then wakes the loop.
    const cancel = (): void => {
      stopWatching?.();
      wake?.();
    };
    this.#cancels.add(cancel);
    try {
      stopWatching = this.#watchAll(
        () => {
          ready = true;
          wake?.();
        },
        (e) => {
          failure = e;
          wake?.();
        },
      );
      while (!this.#closed && !signal?.aborted) {
        ready = false;
        const batch: T[] = [];
        this.pollBatch((cpu, view, offset, length, bytes) => {
          batch.push(convert(cpu, view, offset, length, bytes));
        });
        if (batch.length === 0) {
          if (!ready && failure === undefined) await nextWake(signal, (w) => (wake = w));
          wake = undefined;
          if (failure !== undefined) throw failure;
          continue;
        }
        for (const record of batch) {
          if (this.#closed || signal?.aborted) return;
          yield record;
        }
      }
    } finally {
      this.#cancels.delete(cancel);
      stopWatching?.();
      this.#reading = false;
    }
  }

  /**
   * Watches every CPU's fd; `onReady(i)` runs when ring i may have data,
   * `onError` once if polling fails. Returns the function that stops it all.
   *
   * A perf fd reports readable once per kernel wake-up (the flag is cleared
   * by the poll itself), and libuv registers a new watch with epoll only in
   * its next poll phase, where that registration can swallow a pending
   * wake-up. So every ring is also visited once the registration has surely
   * happened: two check phases later (setImmediate twice).
   */
  #watchAll(onReady: (i: number) => void, onError: (e: Error) => void): () => void {
    const watches: Watch[] = [];
    let stopped = false;
    let timer: NodeJS.Immediate | undefined;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      if (timer !== undefined) clearImmediate(timer);
      for (const w of watches) w.stop();
    };
    const fail = (e: Error): void => {
      stop();
      onError(e);
    };
    try {
      this.#rings.forEach((r, i) => {
        watches.push(watchReadable(r.fd, `${this.#what} on CPU ${r.cpu}`, () => onReady(i), fail));
      });
    } catch (e) {
      stop();
      throw e;
    }
    timer = setImmediate(() => {
      timer = setImmediate(() => {
        timer = undefined;
        for (let i = 0; i < this.#rings.length && !stopped; i++) onReady(i);
      });
    });
    return stop;
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
   * Ends running readers, then for every CPU removes the event from the map,
   * disables it, unmaps its ring (views handed out become detached) and
   * closes its fd; finally closes the duplicate map fd. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const cancel of [...this.#cancels]) cancel();
    for (const ring of this.#rings) ring.close();
    this.#map.close();
  }

  /** Closes the per-CPU perf events and unmaps their rings (`using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  toString(): string {
    return `PerfBuffer(${this.#what}, ${this.#closed ? "closed" : `${this.#rings.length} CPUs × ${this.size} bytes`})`;
  }
}
