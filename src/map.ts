// Map: a live BPF map owning its fd. Element operations reuse one attr and
// scratch buffers per map (src/map/elem.ts), so lookupInto/update allocate
// nothing; the other files of src/map/ hold the pieces (spec, batch,
// iteration, per-CPU values, mmap, pins, info).
import { bpfFdKindMismatch } from "./sys/fd-kind.js";
import { join } from "node:path";
import { Attr } from "./sys/attr.js";
import { Cmd, MapCreateAttr } from "./sys/layouts.js";
import { bpfRaw } from "./sys/syscall.js";
import { checkFdArgument, FD } from "./sys/fd.js";
import * as E from "./sys/errno.js";
import { possibleCpuCount } from "./sys/cpus.js";
import { allIds, fdById, openPinnedFd, pinFd, type AccessMode } from "./sys/objects.js";
import {
  BadFdError,
  type BpfError,
  errorFromErrno,
  InvalidArgumentError,
  NoSpaceError,
  NotFoundError,
  ClosedError,
  NotSupportedError,
  PermissionError,
} from "./sys/errors.js";
import { bytesArgument, roundUp8, type BytesLike } from "./map/bytes.js";
import { checkAccessMode, checkFlags, checkObjectId, describeValue } from "./sys/arguments.js";
import { ElemOps } from "./map/elem.js";
import { describeMap, elemError } from "./map/errors.js";
import { BatchOps, MapBatchCursor, type BatchOptions } from "./map/batch.js";
import { iterateEntries, iterateKeys } from "./map/iteration.js";
import { packPerCpu, splitPerCpu } from "./map/percpu.js";
import { MapMemory, mmapSharedFd, pageSize } from "./map/mmap.js";
import { checkCompatible } from "./map/pin.js";
import { unpinPath } from "./sys/objects.js";
import { accessModeOf, mapInfoByFd, mapInfoById, type MapInfoData } from "./map/info.js";
import { describeSpec, fillCreateAttr, validateSpec, type MapSpec } from "./map/spec.js";
import { createError } from "./map/create-error.js";
import { TypedMap } from "./map/typed.js";
import { mapCodecs, type MapTypeSource, type TypedMapOptions } from "./map/typed-btf.js";
import {
  isPerCpuType,
  MapFlags,
  MapType,
  mapTypeName,
  UpdateFlags,
} from "./map/types.js";

export {
  MapType,
  MapFlags,
  UpdateFlags,
  mapTypeName,
  mapTypeFromName,
  mapTypeSince,
  isKnownMapType,
  isPerCpuType,
  isKeylessType,
  isMapInMapType,
  isFdValuedType,
} from "./map/types.js";
export { validateSpec, MAP_NAME_MAX } from "./map/spec.js";
export type { MapSpec, MapPinning } from "./map/spec.js";
export type { MapInfoData } from "./map/info.js";
export type { BytesLike } from "./map/bytes.js";
export { MapBatchCursor, type BatchOptions } from "./map/batch.js";
export { MapMemory } from "./map/mmap.js";
export { TypedMap, type TypedMapOptions, type MapTypeSource, type TypedBatchOptions, type TypedBatchReadOptions } from "./map/typed.js";

/** Anything that owns a BPF object fd: a Map, a Program, an FD. */
export interface FdHolder {
  readonly fd: FD;
}

/**
 * A value for `Map.update`: bytes (for per-CPU maps: the flat kernel buffer,
 * one 8-byte-aligned slot per possible CPU), an array of per-CPU values, or,
 * for maps of fds (map-in-map, prog/perf/cgroup arrays, sockmaps), the object
 * whose fd is stored.
 */
export type MapValue = BytesLike | readonly BytesLike[] | FD | FdHolder;

/** Options of `Map.openPinned`. */
export interface OpenPinnedOptions {
  /** Open read-only or write-only (BPF_F_RDONLY/WRONLY); default read-write. */
  mode?: AccessMode;
  /** Properties the pinned map must have; a mismatch is an IncompatibleError naming the property. */
  expect?: Partial<MapSpec>;
}

/** Options of `Map.create`. */
export interface CreateOptions {
  /** With `spec.pinning === "by-name"`: reuse `<pinDir>/<name>` if compatible, else create and pin it there. */
  pinDir?: string;
}

/** Options of `Map.batchEntries`. */
export interface BatchIterationOptions {
  /** Elements per syscall (grown automatically when a hash bucket does not fit); default 256. */
  batchSize?: number;
}

const EMPTY_KEY = new Uint8Array(0);

function isFdHolder(v: unknown): v is FD | FdHolder {
  return v instanceof FD || (typeof v === "object" && v !== null && "fd" in v && (v as FdHolder).fd instanceof FD);
}

/** A BPF map in the kernel, owning one fd. Use `close()` or `using`. */
export class BpfMap implements Disposable {
  /** The owned fd. */
  readonly fd: FD;
  /** Map type number. */
  readonly type: MapType | number;
  /** Key size in bytes (0 for key-less maps). */
  readonly keySize: number;
  /** Size of one value (for per-CPU maps: of one CPU's value). */
  readonly valueSize: number;
  /** Capacity (bytes for ring buffers, pages for arenas). */
  readonly maxEntries: number;
  /** map_flags at creation. */
  readonly flags: number;
  /** Object name ("" when unnamed). */
  readonly name: string;
  /** Number of values per element: possible CPUs for per-CPU maps, else 1. */
  readonly cpus: number;
  /** Size of the kernel value buffer of one element (per-CPU: roundUp8(valueSize) × cpus). */
  readonly valueBufferSize: number;
  /** How this fd was opened. */
  readonly mode: AccessMode;
  readonly #ops: ElemOps;
  #batch: BatchOps | undefined;
  #pinnedPath: string | undefined;
  readonly #mappings = new Set<MapMemory>();
  /** The key/value types the map's creator knew (typed()'s default before the kernel's). */
  #typeSource: MapTypeSource | undefined;

  private constructor(fd: FD, info: Pick<MapInfoData, "type" | "keySize" | "valueSize" | "maxEntries" | "flags" | "name">, mode: AccessMode) {
    this.fd = fd;
    this.type = info.type;
    this.keySize = info.keySize;
    this.valueSize = info.valueSize;
    this.maxEntries = info.maxEntries;
    this.flags = info.flags;
    this.name = info.name;
    this.mode = mode;
    const perCpu = isPerCpuType(info.type);
    this.cpus = perCpu ? possibleCpuCount() : 1;
    this.valueBufferSize = perCpu ? roundUp8(info.valueSize) * this.cpus : info.valueSize;
    this.#ops = new ElemOps(fd, info.keySize, this.valueBufferSize);
  }

  // ---- creation and opening -------------------------------------------------

  /**
   * Creates a map (BPF_MAP_CREATE). Sizes and names are checked before the
   * syscall (InvalidArgumentError naming the field); a type the kernel does
   * not know is a NotSupportedError.
   */
  static create(spec: MapSpec, options: CreateOptions = {}): BpfMap {
    validateSpec(spec);
    if (spec.pinning === "by-name" && options.pinDir !== undefined) return BpfMap.#createPinnedByName(spec, options.pinDir);
    // As libbpf: a perf event array of 0 entries gets one slot per possible CPU.
    if (spec.type === MapType.PerfEventArray && spec.maxEntries === 0) spec = { ...spec, maxEntries: possibleCpuCount() };
    let inner: BpfMap | undefined;
    try {
      if (spec.innerMap) inner = BpfMap.create({ ...spec.innerMap, pinning: "none" });
      const attr = new Attr(MapCreateAttr);
      fillCreateAttr(attr, spec, inner?.fd.raw);
      const r = bpfRaw(Cmd.MAP_CREATE, attr.address, attr.size);
      if (r < 0) throw createError(-r, spec, attr);
      const fd = new FD(r, "map fd");
      try {
        const flags = (spec.flags ?? 0) | (spec.numaNode !== undefined ? MapFlags.NUMA_NODE : 0);
        const { type, keySize, valueSize, maxEntries } = spec;
        return new BpfMap(fd, { type, keySize, valueSize, maxEntries, flags, name: spec.name ?? "" }, "rw");
      } catch (e) {
        fd.close();
        throw e;
      }
    } finally {
      inner?.close();
    }
  }

  static #createPinnedByName(spec: MapSpec, pinDir: string): BpfMap {
    if (!spec.name) throw new InvalidArgumentError(`${describeSpec(spec)}: pinning by name needs a name`, "name");
    const path = join(pinDir, spec.name);
    try {
      return BpfMap.openPinned(path, { expect: spec });
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
    const map = BpfMap.create({ ...spec, pinning: "none" });
    try {
      map.pin(path);
    } catch (e) {
      map.close();
      throw e;
    }
    return map;
  }

  /**
   * Wraps an fd of an existing map, taking ownership (a number is wrapped in
   * a new FD). Reads the map's properties from the kernel; a non-map fd is a
   * BadFdError (and is not closed). The access mode is read from fdinfo
   * unless given.
   */
  static fromFd(fd: FD | number, mode?: AccessMode): BpfMap {
    checkFdArgument(fd, "BpfMap.fromFd");
    const raw = typeof fd === "number" ? fd : fd.raw;
    // Without /proc, trust the caller; BPF_OBJ_GET_INFO_BY_FD still validates the fd.
    const other = bpfFdKindMismatch(raw, "map");
    if (other !== undefined) throw new BadFdError(`fd ${raw} is not a BPF map (it is ${other})`, { errno: E.EBADF });
    checkAccessMode(mode, "BpfMap.fromFd");
    const owned = typeof fd === "number" ? new FD(fd, "map fd") : fd;
    try {
      return new BpfMap(owned, mapInfoByFd(owned), mode ?? accessModeOf(owned.raw));
    } catch (e) {
      // A number stays the caller's: the leak net must not close it later.
      if (typeof fd === "number") owned.release();
      throw e;
    }
  }

  /** Opens a map by its kernel id (BPF_MAP_GET_FD_BY_ID, needs CAP_SYS_ADMIN); NotFoundError when no such map. */
  static fromId(id: number, mode: AccessMode = "rw"): BpfMap {
    checkObjectId(id, "BpfMap.fromId");
    checkAccessMode(mode, "BpfMap.fromId");
    const fd = fdById("map", id, mode);
    try {
      return new BpfMap(fd, mapInfoByFd(fd), mode);
    } catch (e) {
      fd.close();
      throw e;
    }
  }

  /**
   * Opens the map pinned at `path` (BPF_OBJ_GET). With `expect`, checks
   * type, key/value size, max entries and flags → IncompatibleError naming
   * the first mismatch. NotFoundError when nothing is pinned there.
   */
  static openPinned(path: string, options: OpenPinnedOptions = {}): BpfMap {
    const mode = options.mode ?? "rw";
    if (typeof path !== "string") throw new InvalidArgumentError(`BpfMap.openPinned: path must be a string (got ${describeValue(path)})`, "path");
    checkAccessMode(mode, "BpfMap.openPinned");
    const fd = openPinnedFd(path, mode, "map");
    try {
      // Map info read from a program (or link) fd is garbage: tell the kinds apart first.
      const other = bpfFdKindMismatch(fd.raw, "map");
      if (other !== undefined) {
        const hint = other === "a BPF program" ? ": open it with Program.openPinned" : "";
        throw new BadFdError(`${path} is not a pinned map: it is ${other}${hint}`, { operation: "BPF_OBJ_GET", errno: E.EBADF });
      }
      const info = mapInfoByFd(fd);
      if (options.expect) checkCompatible(info, options.expect, `map pinned at ${path}`);
      const map = new BpfMap(fd, info, mode);
      map.#pinnedPath = path;
      return map;
    } catch (e) {
      fd.close();
      throw e;
    }
  }

  /** Ids of every map in the system, ascending (BPF_MAP_GET_NEXT_ID; needs CAP_SYS_ADMIN). Same shape as Program.ids. */
  static ids(): number[] {
    return [...allIds("map")];
  }

  /**
   * Info of every map in the system; maps that vanish while listing are
   * skipped. Same shape as Program.list (ids alone: BpfMap.ids).
   */
  static list(): MapInfoData[] {
    return [...BpfMap.listInfo()];
  }

  /** @deprecated Use BpfMap.list (an array of the same infos). */
  static *listInfo(): Generator<MapInfoData> {
    for (const id of allIds("map")) {
      try {
        yield mapInfoById(id);
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
      }
    }
  }

  /** Info of the map with kernel id `id`. */
  static infoById(id: number): MapInfoData {
    checkObjectId(id, "BpfMap.infoById");
    return mapInfoById(id);
  }

  // ---- properties -------------------------------------------------------------

  /** bpftool's name of the type ("lru_hash"). */
  get typeName(): string {
    return mapTypeName(this.type);
  }

  /** True for percpu_hash, percpu_array, lru_percpu_hash, percpu_cgroup_storage. */
  get isPerCpu(): boolean {
    return isPerCpuType(this.type);
  }

  /** The path this map was pinned at or opened from, if any. */
  get pinnedPath(): string | undefined {
    return this.#pinnedPath;
  }

  /** What the kernel reports about this map now (BPF_OBJ_GET_INFO_BY_FD, frozen from fdinfo). */
  info(): MapInfoData {
    return mapInfoByFd(this.fd);
  }

  // ---- element operations ------------------------------------------------------

  #sizeError(field: "key" | "value", got: number, want: number): InvalidArgumentError {
    return new InvalidArgumentError(`${describeMap(this)}: ${field} is ${got} bytes, the map's ${field} size is ${want}`, field);
  }

  #putKey(key: BytesLike): void {
    const k = key instanceof Uint8Array ? key : bytesArgument(key, "key", describeMap(this));
    const n = this.keySize;
    if (k.byteLength !== n) throw this.#sizeError("key", k.byteLength, n);
    const dst = this.#ops.key;
    // A byte loop beats TypedArray.prototype.set for the usual tiny keys.
    if (n <= 16) for (let i = 0; i < n; i++) dst[i] = k[i] as number;
    else dst.set(k);
  }

  #putValue(value: MapValue): void {
    const scratch = this.#ops.value;
    if (ArrayBuffer.isView(value)) {
      const v = value instanceof Uint8Array ? value : bytesArgument(value, "value", describeMap(this));
      const n = this.valueBufferSize;
      if (v.byteLength !== n) throw this.#sizeError("value", v.byteLength, n);
      if (n <= 16) for (let i = 0; i < n; i++) scratch[i] = v[i] as number;
      else scratch.set(v);
    } else if (Array.isArray(value)) {
      if (!this.isPerCpu) throw new InvalidArgumentError(`${describeMap(this)}: an array of values is only valid for per-CPU maps`, "value");
      packPerCpu(scratch, value, this.valueSize, roundUp8(this.valueSize), describeMap(this));
    } else if (isFdHolder(value)) {
      const raw = value instanceof FD ? value.raw : value.fd.raw;
      if (this.valueSize === 4) new DataView(scratch.buffer, scratch.byteOffset, 4).setUint32(0, raw, true);
      else if (this.valueSize === 8) new DataView(scratch.buffer, scratch.byteOffset, 8).setBigUint64(0, BigInt(raw), true);
      else throw new InvalidArgumentError(`${describeMap(this)}: value size ${this.valueSize} cannot hold an fd`, "value");
    } else {
      throw new InvalidArgumentError(`${describeMap(this)}: value must be bytes, per-CPU values or an fd holder (got ${describeValue(value)})`, "value");
    }
  }

  // Flags are a u64 field: NaN would reach the kernel as 0, -1 as all ones.
  #checkFlags(flags: number): void {
    if (flags !== 0 && flags !== 2 && flags !== 1 && flags !== 4) checkFlags(flags, describeMap(this), "flags", Number.MAX_SAFE_INTEGER);
  }

  #fail(errno: number, operation: string): BpfError {
    if (errno === E.EPERM) {
      const reading = operation === "BPF_MAP_LOOKUP_ELEM" || operation === "BPF_MAP_GET_NEXT_KEY";
      let why: string;
      if (reading) why = this.mode === "write-only" ? "the map was opened write-only" : "the map is write-only for user space (BPF_F_WRONLY)";
      else why = this.mode === "read-only" ? "the map was opened read-only" : "the map is frozen or read-only for user space (BPF_F_RDONLY)";
      return new PermissionError(`${operation} (${describeMap(this)}): not permitted: ${why}`, { operation, errno });
    }
    return elemError(errno, operation, this);
  }

  /** The value of `key` as a new Uint8Array (per-CPU maps: the flat buffer); KeyNotFoundError when absent. */
  lookup(key: BytesLike, flags = 0): Uint8Array {
    this.#putKey(key);
    this.#checkFlags(flags);
    const r = this.#ops.lookup(flags);
    if (r < 0) throw this.#fail(-r, "BPF_MAP_LOOKUP_ELEM");
    return this.#ops.value.slice(0, this.valueBufferSize);
  }

  /** Like lookup, but undefined when the key is absent. */
  tryLookup(key: BytesLike, flags = 0): Uint8Array | undefined {
    this.#putKey(key);
    this.#checkFlags(flags);
    const r = this.#ops.lookup(flags);
    if (r === -E.ENOENT) return undefined;
    if (r < 0) throw this.#fail(-r, "BPF_MAP_LOOKUP_ELEM");
    return this.#ops.value.slice(0, this.valueBufferSize);
  }

  /**
   * Copies the value of `key` into `out` (at least valueBufferSize bytes) and
   * returns true, or returns false when the key is absent. Allocates nothing
   * when key and out are Uint8Arrays (or Buffers).
   */
  lookupInto(key: BytesLike, out: BytesLike, flags = 0): boolean {
    this.#putKey(key);
    this.#checkFlags(flags);
    const o = out instanceof Uint8Array ? out : bytesArgument(out, "out", describeMap(this));
    if (o.byteLength < this.valueBufferSize) throw this.#sizeError("value", o.byteLength, this.valueBufferSize);
    const r = this.#ops.lookup(flags);
    if (r === -E.ENOENT) return false;
    if (r < 0) throw this.#fail(-r, "BPF_MAP_LOOKUP_ELEM");
    const src = this.#ops.value;
    const n = this.valueBufferSize;
    if (n <= 16) for (let i = 0; i < n; i++) o[i] = src[i] as number;
    else o.set(src);
    return true;
  }

  /** Per-CPU maps: the value of each possible CPU; KeyNotFoundError when absent. */
  lookupPerCpu(key: BytesLike): Uint8Array[] {
    const flat = this.lookup(key);
    return splitPerCpu(flat, this.valueSize, roundUp8(this.valueSize), this.cpus);
  }

  /**
   * Sets `key` to `value`. flags: UpdateFlags.ANY (default), NOEXIST
   * (KeyExistsError if present), EXIST (KeyNotFoundError if absent), F_LOCK.
   * A full hash map is a NoSpaceError. Allocates nothing for Uint8Array input.
   */
  update(key: BytesLike, value: MapValue, flags: number = UpdateFlags.ANY): void {
    this.#putKey(key);
    this.#putValue(value);
    this.#checkFlags(flags);
    const r = this.#ops.update(flags);
    if (r < 0) throw this.#fail(-r, "BPF_MAP_UPDATE_ELEM");
  }

  /** Deletes `key`; KeyNotFoundError when absent. */
  delete(key: BytesLike): void {
    if (!this.tryDelete(key)) throw this.#fail(E.ENOENT, "BPF_MAP_DELETE_ELEM");
  }

  /** Deletes `key`; false when it was absent. */
  tryDelete(key: BytesLike): boolean {
    this.#putKey(key);
    const r = this.#ops.delete();
    if (r === -E.ENOENT) return false;
    if (r < 0) throw this.#fail(-r, "BPF_MAP_DELETE_ELEM");
    return true;
  }

  /** Looks up and deletes `key` atomically (hash maps 5.14+; queue/stack 4.20+); KeyNotFoundError when absent. */
  lookupAndDelete(key: BytesLike, flags = 0): Uint8Array {
    this.#putKey(key);
    this.#checkFlags(flags);
    const r = this.#ops.lookupAndDelete(flags);
    if (r < 0) throw this.#fail(-r, "BPF_MAP_LOOKUP_AND_DELETE_ELEM");
    return this.#ops.value.slice(0, this.valueBufferSize);
  }

  /** The key after `key` (the first key when `key` is undefined), or undefined at the end. */
  nextKey(key?: BytesLike | null): Uint8Array | undefined {
    if (key !== undefined && key !== null) this.#putKey(key);
    const r = this.#ops.nextKey(key === undefined || key === null);
    if (r === -E.ENOENT) return undefined;
    if (r < 0) throw this.#fail(-r, "BPF_MAP_GET_NEXT_KEY");
    return this.#ops.next.slice();
  }

  /**
   * Every key, tolerating concurrent changes: deleting the key just
   * received is safe and restarts nothing; a key is surfaced at most once
   * per pass; keys added meanwhile may be missed. Throws BusyError if the
   * map churns so fast the walk cannot finish.
   */
  keys(): Generator<Uint8Array, void, undefined> {
    return iterateKeys(this.#ops, this);
  }

  /** Every [key, value] pair (values as lookup returns them); keys deleted meanwhile are skipped. */
  entries(): Generator<[Uint8Array, Uint8Array], void, undefined> {
    return iterateEntries(this);
  }

  /** Iterates [key, value] pairs, as `entries()` does. */
  [Symbol.iterator](): Generator<[Uint8Array, Uint8Array], void, undefined> {
    return this.entries();
  }

  // ---- queue, stack, bloom filter ------------------------------------------------

  /** Queue/stack/bloom filter: adds a value. flags UpdateFlags.EXIST overwrites the oldest when a queue/stack is full. */
  push(value: BytesLike, flags: number = UpdateFlags.ANY): void {
    this.#putKey(EMPTY_KEY);
    this.#putValue(value);
    this.#checkFlags(flags);
    const r = this.#ops.update(flags);
    if (r < 0) {
      if (-r === E.E2BIG || -r === E.ENOSPC) {
        throw new NoSpaceError(`push (${describeMap(this)}): full (max_entries ${this.maxEntries}); push with UpdateFlags.EXIST to overwrite the oldest`, { operation: "BPF_MAP_UPDATE_ELEM", errno: -r });
      }
      throw this.#fail(-r, "BPF_MAP_UPDATE_ELEM");
    }
  }

  /** Queue/stack: removes and returns the head (FIFO for queues, LIFO for stacks); undefined when empty. */
  pop(): Uint8Array | undefined {
    this.#putKey(EMPTY_KEY);
    const r = this.#ops.lookupAndDelete(0);
    if (r === -E.ENOENT) return undefined;
    if (r < 0) throw this.#fail(-r, "BPF_MAP_LOOKUP_AND_DELETE_ELEM");
    return this.#ops.value.slice(0, this.valueBufferSize);
  }

  /** Queue/stack: returns the head without removing it; undefined when empty. */
  peek(): Uint8Array | undefined {
    this.#putKey(EMPTY_KEY);
    const r = this.#ops.lookup(0);
    if (r === -E.ENOENT) return undefined;
    if (r < 0) throw this.#fail(-r, "BPF_MAP_LOOKUP_ELEM");
    return this.#ops.value.slice(0, this.valueBufferSize);
  }

  /** Bloom filter (5.16+): false when `value` was certainly never pushed, true when it may have been. */
  mayContain(value: BytesLike): boolean {
    if (this.type !== MapType.BloomFilter) throw new InvalidArgumentError(`${describeMap(this)}: mayContain is for bloom filters`, "type");
    this.#putKey(EMPTY_KEY);
    this.#putValue(value);
    const r = this.#ops.lookup(0);
    if (r === -E.ENOENT) return false;
    if (r < 0) throw this.#fail(-r, "BPF_MAP_LOOKUP_ELEM");
    return true;
  }

  // ---- batch operations (Linux 5.6+) ---------------------------------------------

  #batchOps(): BatchOps {
    this.#batch ??= new BatchOps(this.fd, { type: this.type, name: this.name, maxEntries: this.maxEntries, keySize: this.keySize, valueStride: this.valueBufferSize });
    return this.#batch;
  }

  /** A fresh cursor for lookupBatch / lookupAndDeleteBatch. */
  batchCursor(): MapBatchCursor {
    return new MapBatchCursor(this.keySize);
  }

  /**
   * BPF_MAP_LOOKUP_BATCH: fills `keysOut` (count × keySize bytes) and
   * `valuesOut` (count × valueBufferSize) from the cursor's position and
   * returns how many elements were written; `cursor.done` turns true at the
   * end of the map. NoSpaceError when a hash bucket does not fit `count`;
   * NotSupportedError for map types (or kernels) without batch support.
   */
  lookupBatch(cursor: MapBatchCursor, keysOut: BytesLike, valuesOut: BytesLike, options?: BatchOptions): number {
    return this.#batchOps().lookup(false, cursor, keysOut, valuesOut, options);
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_BATCH: as lookupBatch, and the returned elements are deleted. */
  lookupAndDeleteBatch(cursor: MapBatchCursor, keysOut: BytesLike, valuesOut: BytesLike, options?: BatchOptions): number {
    return this.#batchOps().lookup(true, cursor, keysOut, valuesOut, options);
  }

  /** BPF_MAP_UPDATE_BATCH of count elements packed in `keys` and `values`; returns the count. */
  updateBatch(keys: BytesLike, values: BytesLike, options?: BatchOptions): number {
    return this.#batchOps().update(keys, values, options);
  }

  /** BPF_MAP_DELETE_BATCH of count keys packed in `keys`; returns the count. KeyNotFoundError if one is absent. */
  deleteBatch(keys: BytesLike, options?: BatchOptions): number {
    return this.#batchOps().delete(keys, options);
  }

  /** Every [key, value] pair read with batch lookups (a consistent bucket-by-bucket walk, fewer syscalls). */
  *batchEntries(options: BatchIterationOptions = {}): Generator<[Uint8Array, Uint8Array], void, undefined> {
    let size = options.batchSize ?? 256;
    if (!Number.isInteger(size) || size < 1) throw new InvalidArgumentError(`${describeMap(this)}: batchSize must be a positive integer (got ${describeValue(size)})`, "batchSize");
    let keys = new Uint8Array(size * this.keySize);
    let values = new Uint8Array(size * this.valueBufferSize);
    const cursor = this.batchCursor();
    while (!cursor.done) {
      let n: number;
      try {
        n = this.lookupBatch(cursor, keys, values);
      } catch (e) {
        if (!(e instanceof NoSpaceError) || size >= this.maxEntries) throw e;
        size *= 2;
        keys = new Uint8Array(size * this.keySize);
        values = new Uint8Array(size * this.valueBufferSize);
        continue;
      }
      for (let i = 0; i < n; i++) {
        yield [
          keys.slice(i * this.keySize, (i + 1) * this.keySize),
          values.slice(i * this.valueBufferSize, (i + 1) * this.valueBufferSize),
        ];
      }
    }
  }

  // ---- typed values ----------------------------------------------------------------

  /**
   * This map with keys and values as JavaScript values, decoded and encoded
   * through its BTF types: by default the kernel's (the map's btf_id and
   * key/value type ids; Linux 4.18+), or `options.btf` and
   * `keyType`/`valueType`. A map created without BTF (queue and stack maps
   * always are) needs them given: InvalidArgumentError otherwise.
   * Per-CPU maps read as `V[]`: declare them `typed<K, V, V[]>()`.
   * The result wraps this map; closing the map ends it.
   */
  typed<K = unknown, V = unknown, R = V>(options: TypedMapOptions = {}): TypedMap<K, V, R> {
    return new TypedMap<K, V, R>(this, mapCodecs<K, V>(this, options, this.#typeSource));
  }

  /** @internal Records the key/value types its creator knew (a collection: the object's BTF), the default of typed(). */
  setTypeSource(source: MapTypeSource): void {
    this.#typeSource = source;
  }

  // ---- whole-map operations ---------------------------------------------------------

  /** Makes the map read-only for user space (BPF_MAP_FREEZE, 5.2+); BusyError while writably mmapped. */
  freeze(): void {
    const r = this.#ops.freeze();
    if (r < 0) throw errorFromErrno(-r, "BPF_MAP_FREEZE", describeMap(this));
  }

  /**
   * Maps the values of a BPF_F_MMAPABLE array (5.5+; element i at
   * i × roundUp8(valueSize)) or the pages of an arena (6.9+). Writable
   * unless the fd is read-only or the map frozen/RDONLY. Unmapped by
   * `memory.close()` or when the map is closed.
   */
  mmap(options: { writable?: boolean } = {}): MapMemory {
    if (this.fd.closed) throw new ClosedError(`${describeMap(this)}`);
    const page = pageSize();
    let length: number;
    if (this.type === MapType.Arena) length = this.maxEntries * page;
    else if (this.flags & MapFlags.MMAPABLE) length = Math.ceil((roundUp8(this.valueSize) * this.maxEntries) / page) * page;
    else throw new NotSupportedError(`mmap of a ${this.typeName} map without BPF_F_MMAPABLE`);
    const writable = options.writable ?? (this.mode !== "read-only" && (this.flags & MapFlags.RDONLY) === 0 && this.info().frozen !== true);
    const buffer = mmapSharedFd(this.fd.raw, length, writable, describeMap(this));
    const memory = new MapMemory(buffer, writable, (m) => this.#mappings.delete(m));
    this.#mappings.add(memory);
    return memory;
  }

  /** Map-in-map: stores `inner` at `key` (the kernel keeps a reference; closing `inner` afterwards is fine). */
  setInner(key: BytesLike, inner: FdHolder | FD, flags: number = UpdateFlags.ANY): void {
    this.update(key, inner, flags);
  }

  /** Map-in-map: the kernel id of the inner map at `key`, or undefined when the slot is empty. */
  innerMapId(key: BytesLike): number | undefined {
    const v = this.tryLookup(key);
    return v === undefined ? undefined : new DataView(v.buffer, v.byteOffset, 4).getUint32(0, true);
  }

  /** Map-in-map: opens the inner map at `key` by id, or undefined when the slot is empty. */
  openInner(key: BytesLike, mode: AccessMode = "rw"): BpfMap | undefined {
    const id = this.innerMapId(key);
    return id === undefined ? undefined : BpfMap.fromId(id, mode);
  }

  // ---- pinning and lifetime ------------------------------------------------------------

  /** Pins the map at `path` in bpffs (BPF_OBJ_PIN). */
  pin(path: string): void {
    pinFd(this.fd, path);
    this.#pinnedPath = path;
  }

  /** @internal Records where a pin of this map made elsewhere ended up (pin staging moves staged pins into place). */
  adoptPin(path: string): void {
    this.#pinnedPath = path;
  }

  /** Removes the pin this map was pinned at or opened from (or `path`); NotFoundError when none. */
  unpin(path: string | undefined = this.#pinnedPath): void {
    if (path === undefined) throw new NotFoundError(`${describeMap(this)} is not pinned`);
    unpinPath(path);
    if (path === this.#pinnedPath) this.#pinnedPath = undefined;
  }

  /** Unmaps every mmap() of this map and closes the fd; idempotent. The map lives on if pinned or used by programs. */
  close(): void {
    for (const m of [...this.#mappings]) m.close();
    this.fd.close();
  }

  /** Closes the map's fd (`using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  toString(): string {
    return `${describeMap(this)} (${this.fd})`;
  }
}

/**
 * @deprecated Use `BpfMap`: importing `Map` shadows JavaScript's own `Map` in
 * the importing module. Kept so code written before the rename keeps working.
 */
export const Map: typeof BpfMap = BpfMap;
/** @deprecated Use `BpfMap`. */
export type Map = BpfMap;
