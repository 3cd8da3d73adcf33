// Typed event readers: a RingBuffer or PerfBuffer whose records come out as
// JavaScript values of one BTF type. A ring buffer's records are decoded by
// BtfCodec.decode in place, from the read-only ring mapping itself (the codec
// only reads, and copies what it returns): no copy of the bytes at all. A
// perf buffer's ring wraps without a second mapping, so its records are
// decoded from the reader's reused batch copy. Either way the decoded value
// shares nothing with the buffer.
import type { Btf } from "../btf/btf.js";
import type { BtfCodec, CodecOptions } from "../btf/codec/index.js";
import type { BpfMap } from "../map.js";
import { checkFunction, optionsArgument } from "../sys/arguments.js";
import { InvalidArgumentError } from "../sys/errors.js";
import { RingBuffer, type RingBufferReadOptions } from "./ring-buffer.js";
import { PERF_BUFFER_OPTION_KEYS, PerfBuffer, type PerfBufferOptions, type PerfBufferReadOptions } from "./perf-buffer.js";
import { readerLabel } from "./label.js";
import { recordCodec } from "./record-type.js";

/** How records decode: a ready codec, or a type of `btf` by name ("struct event") or id, with codec options. */
export type TypedRecordOptions<T> =
  | { readonly codec: BtfCodec<T> }
  | (CodecOptions & {
      /** The record type: a name ("struct event", "event") or a BTF id of `btf`. */
      readonly type: number | string;
      /** The BTF holding it (an object's: ObjectSpec.btf). */
      readonly btf: Btf | undefined;
    });

/** The codec `options` describe; NotFoundError (with the usual fix) for a name `btf` lacks. */
export function codecOfRecords<T>(options: TypedRecordOptions<T>, reader: string): BtfCodec<T> {
  const o = optionsArgument(options, reader) as TypedRecordOptions<T>;
  if ("codec" in o && o.codec !== undefined) return o.codec;
  if (!("type" in o)) throw new InvalidArgumentError(`${reader}: give { codec } or { type, btf }`, "type");
  const { type, btf, codec: _codec, ...codecOptions } = o as CodecOptions & { type: number | string; btf: Btf | undefined; codec?: unknown };
  return recordCodec<T>(btf, type, codecOptions, { reader });
}

/** The PerfBuffer options among `options` (the record type's are not PerfBuffer's business). */
function perfOptionsOf(options: PerfBufferOptions): PerfBufferOptions {
  const perf: Record<string, unknown> = {};
  for (const k of PERF_BUFFER_OPTION_KEYS) if (options[k] !== undefined) perf[k] = options[k];
  return perf as PerfBufferOptions;
}

/** What both typed readers share: the codec, the owned byte-level reader, and the forms built on poll() and records(). */
export abstract class TypedRecordReader<T, B extends RingBuffer | PerfBuffer> implements Disposable {
  /**
   * The byte-level reader underneath. Not public: a TypedRingBuffer's reader
   * hands its callbacks views of the read-only ring, where one store would
   * kill the process. What users need of it is forwarded below.
   */
  protected readonly buffer: B;
  /** The codec of one record. */
  readonly codec: BtfCodec<T>;

  /** @internal Subclasses pass the reader they opened and the codec of one record. */
  constructor(buffer: B, codec: BtfCodec<T>) {
    this.buffer = buffer;
    this.codec = codec;
  }

  /** Decodes every record available now into `callback`, synchronously; returns how many there were. */
  abstract poll(callback: (value: T) => void): number;

  /** An async iterator of the decoded records, waiting on the event loop while the buffer is empty. */
  abstract records(options?: { signal?: AbortSignal }): AsyncGenerator<T, void, undefined>;

  /** Bytes written by programs and not yet read (headers and padding included). */
  get pending(): number {
    return this.buffer.pending;
  }

  /** Size of the buffer in bytes (a ring's data area; a perf buffer's ring per CPU). */
  get size(): number {
    return this.buffer.size;
  }

  /** True after close(). */
  get closed(): boolean {
    return this.buffer.closed;
  }

  /** Every record available now, decoded, in order (possibly none). */
  readAvailable(): T[] {
    const out: T[] = [];
    this.poll((value) => out.push(value));
    return out;
  }

  /** `for await (const event of reader)`: records() without a signal. */
  [Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    return this.records();
  }

  /** Closes the byte-level reader (its fds and mappings; a perf buffer's events leave the map). Idempotent. */
  close(): void {
    this.buffer.close();
  }

  /** Closes the reader (`using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  toString(): string {
    return `${this.constructor.name}<${this.codec.name}>(${String(this.buffer)})`;
  }
}

/**
 * A ring buffer (BPF_MAP_TYPE_RINGBUF, Linux 5.8) whose records are values
 * of one BTF type. It owns its RingBuffer: close it with close()
 * or `using`. A record shorter than the type is an InvalidArgumentError
 * naming the type and both sizes.
 */
export class TypedRingBuffer<T> extends TypedRecordReader<T, RingBuffer> {
  /** Maps the ring of `map` and decodes its records with `options` (a codec, or a type of a BTF). */
  constructor(map: BpfMap, options: TypedRecordOptions<T>) {
    // The codec first: a type that is not there leaves nothing open.
    const codec = codecOfRecords(options, readerLabel("ring buffer", map.name));
    super(new RingBuffer(map, true), codec);
  }

  /** Decodes every record available now into `callback`, synchronously; returns how many there were. */
  poll(callback: (value: T) => void): number {
    checkFunction(callback, "callback", String(this.buffer));
    const codec = this.codec;
    return this.buffer.pollBatch((view, offset, length) => callback(codec.decode(view, offset, length)));
  }

  /**
   * Calls `callback` with each record, decoded, on the event loop as they
   * arrive, until `signal` aborts or the reader is closed (resolves) or the
   * callback (or a decode) throws (rejects with that error).
   */
  consume(callback: (value: T) => void, options: RingBufferReadOptions = {}): Promise<void> {
    checkFunction(callback, "callback", String(this.buffer));
    const codec = this.codec;
    return this.buffer.consumeBatch((view, offset, length) => callback(codec.decode(view, offset, length)), options);
  }

  /** An async iterator of the decoded records, waiting on the event loop when the ring is empty (as RingBuffer.records). */
  records(options: RingBufferReadOptions = {}): AsyncGenerator<T, void, undefined> {
    const codec = this.codec;
    return this.buffer.recordsWith((view, offset, length) => codec.decode(view, offset, length), options);
  }
}

/** Options of TypedPerfBuffer: the record type and the PerfBuffer options. */
export type TypedPerfBufferOptions<T> = TypedRecordOptions<T> & PerfBufferOptions;

/**
 * A perf buffer (BPF_MAP_TYPE_PERF_EVENT_ARRAY) whose samples are values of
 * one BTF type; callbacks also get the CPU that wrote the sample. It owns
 * its PerfBuffer. The kernel pads
 * samples to 8 bytes: a type with a flexible array member may see up to 7
 * bytes of padding as extra elements.
 */
export class TypedPerfBuffer<T> extends TypedRecordReader<T, PerfBuffer> {
  /** Opens the perf events of `map` (as PerfBuffer) and decodes its samples with `options`. */
  constructor(map: BpfMap, options: TypedPerfBufferOptions<T>) {
    const codec = codecOfRecords(options, readerLabel("perf buffer", map.name));
    super(new PerfBuffer(map, perfOptionsOf(options)), codec);
  }

  /** The CPUs whose samples this reader reads (as PerfBuffer.cpus). */
  get cpus(): number[] {
    return this.buffer.cpus;
  }

  /** Samples the kernel dropped because a CPU's ring was full (as PerfBuffer.lost). */
  get lost(): number {
    return this.buffer.lost;
  }

  /** Decodes every sample available now into `callback` (with its CPU), synchronously; returns how many there were. */
  poll(callback: (value: T, cpu: number) => void): number {
    checkFunction(callback, "callback", String(this.buffer));
    const codec = this.codec;
    return this.buffer.pollBatch((cpu, view, offset, length) => callback(codec.decode(view, offset, length), cpu));
  }

  /** As PerfBuffer.consume, with each sample decoded (and its CPU). */
  consume(callback: (value: T, cpu: number) => void, options: PerfBufferReadOptions = {}): Promise<void> {
    checkFunction(callback, "callback", String(this.buffer));
    const codec = this.codec;
    return this.buffer.consumeBatch((cpu, view, offset, length) => callback(codec.decode(view, offset, length), cpu), options);
  }

  /** An async iterator of the decoded samples (as PerfBuffer.records). */
  records(options: PerfBufferReadOptions = {}): AsyncGenerator<T, void, undefined> {
    const codec = this.codec;
    return this.buffer.recordsWith((_cpu, view, offset, length) => codec.decode(view, offset, length), options);
  }
}
