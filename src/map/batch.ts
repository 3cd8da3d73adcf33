// BPF_MAP_*_BATCH (Linux 5.6+): many elements per syscall through
// caller-provided key and value buffers, with an opaque cursor for lookups.
import { Attr, addressOf, stableBytes } from "../sys/attr.js";
import { Cmd, MapBatchAttr, cmdName } from "../sys/layouts.js";
import { bpfRaw } from "../sys/syscall.js";
import type { FD } from "../sys/fd.js";
import * as E from "../sys/errno.js";
import { type BpfError, InvalidArgumentError, NotSupportedError } from "../sys/errors.js";
import { describeMap, elemError, type MapIdentity } from "./errors.js";
import { bytesArgument, roundUp8, type BytesLike } from "./bytes.js";
import { checkFlags } from "../sys/arguments.js";
import { kernelOlderThan } from "./kernel-version.js";

/**
 * The position of a batch lookup. The kernel's cursor is opaque (a bucket
 * number for hash maps, a key for arrays); one buffer serves as both
 * in_batch and out_batch because the kernel reads it before it writes it.
 * Create one with `map.batchCursor()`; `done` turns true at the end of the map.
 */
export class MapBatchCursor {
  /** The opaque cursor bytes. */
  readonly bytes: Uint8Array;
  /** @internal address of `bytes`. */
  readonly address: number;
  #started = false;
  #done = false;

  constructor(keySize: number) {
    // Large enough for a u32 bucket index or a key, 8-byte aligned.
    this.bytes = stableBytes(roundUp8(Math.max(keySize, 8)));
    this.address = addressOf(this.bytes);
  }

  /** True after a call has returned the last elements of the map. */
  get done(): boolean {
    return this.#done;
  }

  /** True once a call has moved the cursor (so in_batch is passed). */
  get started(): boolean {
    return this.#started;
  }

  /** Restarts from the beginning of the map. */
  reset(): void {
    this.#started = false;
    this.#done = false;
    this.bytes.fill(0);
  }

  /** @internal */
  advance(done: boolean): void {
    this.#started = true;
    this.#done = done;
  }
}

/** Options of the batch calls. */
export interface BatchOptions {
  /** Number of elements to process; defaults to as many as the buffers hold. */
  count?: number;
  /** elem_flags (UpdateFlags.ANY/NOEXIST/EXIST/F_LOCK). */
  elemFlags?: number;
  /** flags (currently always 0). */
  flags?: number;
}

/** Geometry of a map as the batch code needs it. */
export interface BatchGeometry extends MapIdentity {
  readonly keySize: number;
  /** Bytes per element in the value buffer (per-CPU: padded value × possible CPUs). */
  readonly valueStride: number;
}

/** One map's batch attr and the four batch commands. */
export class BatchOps {
  readonly #fd: FD;
  readonly #geo: BatchGeometry;
  readonly #attr = new Attr(MapBatchAttr);

  constructor(fd: FD, geometry: BatchGeometry) {
    this.#fd = fd;
    this.#geo = geometry;
  }

  #count(keys: Uint8Array | undefined, values: Uint8Array | undefined, opts: BatchOptions | undefined): number {
    const g = this.#geo;
    let max = Number.MAX_SAFE_INTEGER;
    if (keys) {
      if (g.keySize > 0 && keys.byteLength % g.keySize !== 0) {
        throw new InvalidArgumentError(`${describeMap(g)}: keys buffer length ${keys.byteLength} is not a multiple of the key size ${g.keySize}`, "keys");
      }
      if (g.keySize > 0) max = Math.min(max, keys.byteLength / g.keySize);
    }
    if (values) {
      if (values.byteLength % g.valueStride !== 0) {
        throw new InvalidArgumentError(`${describeMap(g)}: values buffer length ${values.byteLength} is not a multiple of the value size ${g.valueStride}`, "values");
      }
      max = Math.min(max, values.byteLength / g.valueStride);
    }
    const count = opts?.count ?? max;
    if (opts?.elemFlags !== undefined) checkFlags(opts.elemFlags, describeMap(g), "elemFlags", Number.MAX_SAFE_INTEGER);
    if (opts?.flags !== undefined) checkFlags(opts.flags, describeMap(g), "flags", Number.MAX_SAFE_INTEGER);
    if (!Number.isInteger(count) || count < 0 || count > max) {
      throw new InvalidArgumentError(`${describeMap(g)}: count ${count} does not fit the buffers (at most ${max})`, "count");
    }
    return count;
  }

  #run(cmd: Cmd, cursor: MapBatchCursor | undefined, keys: Uint8Array | undefined, values: Uint8Array | undefined, count: number, opts: BatchOptions | undefined): { done: number; errno: number } {
    const a = this.#attr.zero();
    a.set("map_fd", this.#fd.raw).set("count", count);
    if (cursor) {
      if (cursor.started) a.set("in_batch", cursor.address);
      a.set("out_batch", cursor.address);
    }
    if (keys && keys.byteLength) a.set("keys", addressOf(keys));
    if (values && values.byteLength) a.set("values", addressOf(values));
    a.set("elem_flags", opts?.elemFlags ?? 0).set("flags", opts?.flags ?? 0);
    const r = bpfRaw(cmd, a.address, a.size);
    return { done: a.get("count"), errno: r < 0 ? -r : 0 };
  }

  #error(errno: number, cmd: Cmd, processed: number): BpfError {
    const op = cmdName[cmd] ?? "BPF_MAP_*_BATCH";
    // Before 5.6 the batch commands do not exist and bpf(2) says EINVAL.
    if (errno === E.ENOTSUPP || errno === E.EOPNOTSUPP || (errno === E.EINVAL && kernelOlderThan("5.6"))) {
      return new NotSupportedError(`${op} on a ${describeMap(this.#geo)}`, "5.6", { operation: op, errno });
    }
    const err = elemError(errno, op, this.#geo);
    err.message += ` (after ${processed} elements)`;
    return err;
  }

  /** LOOKUP_BATCH or LOOKUP_AND_DELETE_BATCH: fills keys/values, returns the element count; sets cursor.done at the end. */
  lookup(andDelete: boolean, cursor: MapBatchCursor, keysOut: BytesLike, valuesOut: BytesLike, opts?: BatchOptions): number {
    const what = describeMap(this.#geo);
    // The kernel writes up to a key into the cursor: it must be one made for this map's key size.
    if (!(cursor instanceof MapBatchCursor) || cursor.bytes.byteLength < roundUp8(Math.max(this.#geo.keySize, 8))) {
      throw new InvalidArgumentError(`${what}: the cursor must come from this map's batchCursor()`, "cursor");
    }
    if (cursor.done) return 0;
    const keys = bytesArgument(keysOut, "keys", what);
    const values = bytesArgument(valuesOut, "values", what);
    const cmd = andDelete ? Cmd.MAP_LOOKUP_AND_DELETE_BATCH : Cmd.MAP_LOOKUP_BATCH;
    const count = this.#count(keys, values, opts);
    // The kernel answers a zero count with success and no progress: a caller looping until done would spin.
    if (count === 0) throw new InvalidArgumentError(`${describeMap(this.#geo)}: batch lookup needs room for at least one element`, "count");
    const { done, errno } = this.#run(cmd, cursor, keys, values, count, opts);
    if (errno === 0) {
      cursor.advance(false);
      return done;
    }
    // ENOENT: no more elements; what was returned in this call is valid.
    if (errno === E.ENOENT) {
      cursor.advance(true);
      return done;
    }
    throw this.#error(errno, cmd, done);
  }

  /** UPDATE_BATCH: returns the number of elements written (all of them, or throws). */
  update(keysIn: BytesLike, valuesIn: BytesLike, opts?: BatchOptions): number {
    const keys = bytesArgument(keysIn, "keys", describeMap(this.#geo));
    const values = bytesArgument(valuesIn, "values", describeMap(this.#geo));
    const count = this.#count(keys, values, opts);
    if (count === 0) return 0;
    const { done, errno } = this.#run(Cmd.MAP_UPDATE_BATCH, undefined, keys, values, count, opts);
    if (errno !== 0) throw this.#error(errno, Cmd.MAP_UPDATE_BATCH, done);
    return done;
  }

  /** DELETE_BATCH of the given keys; returns the count deleted (all of them, or throws). */
  delete(keysIn: BytesLike, opts?: BatchOptions): number {
    const keys = bytesArgument(keysIn, "keys", describeMap(this.#geo));
    const count = this.#count(keys, undefined, opts);
    if (count === 0) return 0;
    const { done, errno } = this.#run(Cmd.MAP_DELETE_BATCH, undefined, keys, undefined, count, opts);
    if (errno !== 0) throw this.#error(errno, Cmd.MAP_DELETE_BATCH, done);
    return done;
  }
}
