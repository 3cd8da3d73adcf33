// BtfCodec: plain JavaScript values ⇄ the bytes of one BTF type, for map
// keys and values, global variables and ring/perf buffer records. The type is
// resolved and compiled once (shape.ts decides the mapping, plan.ts builds
// the readers and writers); decode then reads the caller's memory in place,
// and encode writes into zeroed memory so missing members and padding are 0.
import { endianness } from "node:os";
import type { Buffer } from "node:buffer";
import type { Btf } from "../btf.js";
import { InvalidArgumentError } from "../../sys/errors.js";
import { describeValue } from "../../sys/arguments.js";
import { Ctx, FitError } from "./context.js";
import { cTypeName } from "./c-name.js";
import { resolveTypeArg } from "./lookup.js";
import { compilePlan, type RootPlan } from "./plan.js";
import { shapeOf } from "./shape.js";

/** How a codec maps values (see docs/guides/typed-data.md, "The type mapping"). */
export interface CodecOptions {
  /**
   * char[N] arrays: "string" (default: the bytes up to the first NUL, as UTF-8; encode: UTF-8,
   * NUL-padded, InvalidArgumentError when longer than N) or "bytes" (a Uint8Array copy of N bytes).
   */
  readonly chars?: "string" | "bytes";
  /** Byte order of the encoded bytes. Default: the host's (maps and ring buffers are host order). */
  readonly littleEndian?: boolean;
}

const HOST_LITTLE_ENDIAN = endianness() === "LE";
/** Largest encoding made (a flexible array member decides the size): beyond it a value is a mistake. */
const MAX_ENCODED = 0x7fff_ffff;

/**
 * Encodes and decodes values of one BTF type. Built once per type with {@link BtfCodec.of}
 * (compiled to closures and generated JavaScript); decode and encode then do no type resolution.
 *
 * ```ts
 * const event = BtfCodec.of<{ pid: number; comm: string }>(btf, "struct event");
 * const e = event.decode(record);            // { pid: 42, comm: "bash" }
 * const bytes = event.encode({ pid: 1, comm: "init" });
 * ```
 */
export class BtfCodec<T = unknown> {
  /** The BTF the type belongs to. */
  readonly btf: Btf;
  /** The type id as given or found by name (may be a typedef). */
  readonly typeId: number;
  /** The type's C spelling: "struct event", "__u64", "char[16]". */
  readonly name: string;
  /** Size in bytes (`btf.sizeOf(typeId)`); a flexible array member's elements are not included. */
  readonly size: number;
  /** Whether the encoded bytes are little-endian. */
  readonly littleEndian: boolean;
  readonly #plan: RootPlan;
  #scratch: Uint8Array | undefined;
  #busy = false;
  /**
   * The last decoded source, its DataView and Buffer views: records are decoded one after another from
   * one buffer (a ring, a batch), so the views are made once, not per record. Held weakly.
   */
  #last: WeakRef<object> | undefined;
  #lastView: DataView | undefined;
  #lastBytes: Buffer | undefined;

  private constructor(btf: Btf, typeId: number, littleEndian: boolean, plan: RootPlan) {
    this.btf = btf;
    this.typeId = typeId;
    this.name = cTypeName(btf, typeId);
    this.size = plan.size;
    this.littleEndian = littleEndian;
    this.#plan = plan;
  }

  /**
   * The codec of `type` in `btf`: a type id, or a name — "struct event", "union u", "enum e", or a bare
   * name that finds the struct/union/enum/typedef/int/float so named. BtfError when the name is absent
   * or ambiguous (the message lists candidates) or the type cannot be expressed as a JavaScript value
   * (void, a forward declaration, a function, a struct containing itself, long double), naming the member path.
   */
  static of<T = unknown>(btf: Btf, type: number | string, options: CodecOptions = {}): BtfCodec<T> {
    if (options.chars !== undefined && options.chars !== "string" && options.chars !== "bytes") {
      throw new InvalidArgumentError(`chars must be "string" or "bytes", got ${describeValue(options.chars)}`, "chars");
    }
    if (options.littleEndian !== undefined && typeof options.littleEndian !== "boolean") {
      throw new InvalidArgumentError(`littleEndian must be a boolean, got ${describeValue(options.littleEndian)}`, "littleEndian");
    }
    if (typeof type !== "number" && typeof type !== "string") {
      throw new InvalidArgumentError(`type must be a type id or a name, got ${describeValue(type)}`, "type");
    }
    const id = resolveTypeArg(btf, type);
    const le = options.littleEndian ?? HOST_LITTLE_ENDIAN;
    const shape = shapeOf(btf, id, { chars: options.chars });
    return new BtfCodec<T>(btf, id, le, compilePlan(shape, le));
  }

  /**
   * The value stored in `source` at `offset` (default 0), read in place (the bytes are not copied first).
   * `length` (default: the rest of the source) bounds a flexible array member. InvalidArgumentError when
   * fewer than `size` bytes are available.
   */
  decode(source: Uint8Array | DataView, offset = 0, length?: number): T {
    let view: DataView;
    let bytes: Buffer | undefined;
    if (this.#last !== undefined && this.#last.deref() === source) {
      view = this.#lastView!;
      bytes = this.#lastBytes;
    } else {
      view = viewOf(source, "source");
      this.#last = new WeakRef(source);
      this.#lastView = view;
      this.#lastBytes = undefined;
    }
    const total = view.byteLength;
    if (!Number.isInteger(offset) || offset < 0 || offset > total) {
      throw new InvalidArgumentError(`offset must be an integer from 0 to ${total}, got ${describeValue(offset)}`, "offset");
    }
    const len = length ?? total - offset;
    if (!Number.isInteger(len) || len < 0 || len > total - offset) {
      throw new InvalidArgumentError(`length must be an integer from 0 to ${total - offset} (the bytes after offset ${offset}), got ${describeValue(length)}`, "length");
    }
    if (len < this.size) {
      throw new InvalidArgumentError(`${this.name} is ${this.size} bytes, the source has ${len} at offset ${offset}`, "source");
    }
    const c = new Ctx(view, offset + len, bytes);
    const value = this.#plan.decode(c, offset) as T;
    if (bytes === undefined) this.#lastBytes = c.madeBytes;
    return value;
  }

  /** `value` as a new Uint8Array of `size` bytes (plus a flexible array member's elements). */
  encode(value: T): Uint8Array {
    const n = this.#sizeFor(value);
    const out = new Uint8Array(n);
    this.#write(value, out, n);
    return out;
  }

  /**
   * Writes `value` into `target` at `offset` (default 0); returns the bytes written. Nothing is written
   * when the value does not fit its type or the target.
   */
  encodeInto(value: T, target: Uint8Array | DataView, offset = 0): number {
    const view = viewOf(target, "target");
    if (!Number.isInteger(offset) || offset < 0 || offset > view.byteLength) {
      throw new InvalidArgumentError(`offset must be an integer from 0 to ${view.byteLength}, got ${describeValue(offset)}`, "offset");
    }
    const n = this.#sizeFor(value);
    if (n > view.byteLength - offset) {
      throw new InvalidArgumentError(`${this.name} needs ${n} bytes, the target has ${view.byteLength - offset} at offset ${offset}`, "target");
    }
    // Encoded into zeroed scratch memory first, so a value that does not fit leaves the target untouched.
    let scratch = this.#scratch;
    const reuse = !this.#busy && scratch !== undefined && scratch.byteLength >= n;
    if (reuse) scratch!.fill(0, 0, n);
    else scratch = new Uint8Array(Math.max(n, this.size));
    this.#busy = true;
    try {
      this.#write(value, scratch!, n);
    } finally {
      this.#busy = false;
    }
    if (!reuse && (this.#scratch === undefined || this.#scratch.byteLength < scratch!.byteLength)) this.#scratch = scratch;
    new Uint8Array(view.buffer, view.byteOffset + offset, n).set(n === scratch!.byteLength ? scratch! : scratch!.subarray(0, n));
    return n;
  }

  #write(value: unknown, bytes: Uint8Array, n: number): void {
    try {
      this.#plan.encode(new Ctx(new DataView(bytes.buffer, bytes.byteOffset, n), n), 0, value);
    } catch (e) {
      if (e instanceof FitError) throw new InvalidArgumentError(`${this.name}${e.path}: ${e.what}`, "value");
      throw e;
    }
  }

  /** Bytes `value` encodes to: `size`, or more when a flexible array member has elements. */
  #sizeFor(value: unknown): number {
    const flex = this.#plan.flexible;
    if (!flex || typeof value !== "object" || value === null || !Object.prototype.hasOwnProperty.call(value, flex.name)) return this.size;
    const elements = (value as Record<string, unknown>)[flex.name];
    if (!Array.isArray(elements)) return this.size;
    const n = Math.max(this.size, flex.offset + elements.length * flex.stride);
    if (n > MAX_ENCODED) throw new InvalidArgumentError(`${this.name}.${flex.name}: ${elements.length} elements make ${n} bytes, more than ${MAX_ENCODED}`, "value");
    return n;
  }
}

function viewOf(x: unknown, what: string): DataView {
  if (x instanceof DataView) return x;
  if (x instanceof Uint8Array) return new DataView(x.buffer, x.byteOffset, x.byteLength);
  throw new InvalidArgumentError(`${what} must be a Uint8Array or a DataView, got ${describeValue(x)}`, what);
}
