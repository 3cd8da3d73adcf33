// VmMap: the base of every emulated map. Subclasses implement the element
// commands the way the kernel's map implementations do — each returns 0 or a
// negative errno, like bpf(2) — and this class turns them into BpfMap's
// user-side API with the same argument checks and the same typed errors
// (src/map/errors.ts maps errnos for both), so a test can hold a BpfMap or a
// VmMap and not care which. The program side (VmMapOps) is implemented by
// the subclasses against the machine's memory.
import * as E from "../../sys/errno.js";
import { checkFlags, describeValue } from "../../sys/arguments.js";
import { type BpfError, ClosedError, InvalidArgumentError, NoSpaceError, PermissionError } from "../../sys/errors.js";
import { bytesArgument, roundUp8, type BytesLike } from "../../map/bytes.js";
import { describeMap, elemError } from "../../map/errors.js";
import { iterateEntries, walkKeys } from "../../map/iteration.js";
import { packPerCpu, splitPerCpu } from "../../map/percpu.js";
import type { MapSpec } from "../../map/spec.js";
import { isPerCpuType, MapFlags, MapType, mapTypeName, UpdateFlags } from "../../map/types.js";
import type { MapValue } from "../../map.js";
import type { Region } from "../memory.js";
import type { VmProgram } from "../program.js";
import { fdNumberOf } from "./bytes.js";
import type { VmMapHost, VmMapOps } from "./types.js";

/** Options of {@link createVmMap}. */
export interface VmMapOptions {
  /** Prog arrays: the program an fd stored with `update` stands for (undefined: the fd is bad, EBADF). */
  resolveProgram?: (fd: number) => VmProgram | undefined;
  /** Maps of maps: the inner map an fd stored with `update` stands for (undefined: the fd is bad, EBADF). */
  resolveMap?: (fd: number) => VmMap | undefined;
  /**
   * Byte offset of the `struct bpf_spin_lock` in the value, when it holds
   * one (what the kernel learns from the map's BTF; spinLockOffset(btf,
   * valueTypeId) finds it). As in the kernel, BPF_F_LOCK is then accepted,
   * user lookups read the lock as zeros and updates leave it alone. Without
   * it, BPF_F_LOCK is -EINVAL (InvalidArgumentError). Hash and array maps only.
   */
  spinLockOffset?: number;
}

/** sizeof(struct bpf_spin_lock). */
const SPIN_LOCK_SIZE = 4;

const EMPTY = new Uint8Array(0);
/** Bytes of the read-only region standing for the map (what a `struct bpf_map *` points at). */
const HANDLE_SIZE = 64;

/**
 * An emulated map: the user-side API of BpfMap (same names, argument checks
 * and errors) plus the program side the machine's helpers call. Values the
 * user gets are copies; values a program looks up are live memory, so a
 * program's store through a looked-up pointer is seen by the next lookup.
 */
export abstract class VmMap implements VmMapOps, Disposable {
  /** The spec the map was created from (a copy). */
  readonly spec: Readonly<MapSpec>;
  /** Object name ("" when unnamed). */
  readonly name: string;
  /** Map type number. */
  readonly type: MapType | number;
  /** Key size in bytes (0 for key-less maps). */
  readonly keySize: number;
  /** Size of one value (for per-CPU maps: of one CPU's value). */
  readonly valueSize: number;
  /** Capacity (bytes for ring buffers; perf event arrays: slots). */
  readonly maxEntries: number;
  /** map_flags at creation. */
  readonly flags: number;
  /** Number of values per element: the host's CPUs for per-CPU maps, else 1. */
  readonly cpus: number;
  /** Bytes of one value as the kernel lays out an array element or per-CPU slot: valueSize rounded up to 8. */
  readonly valueStride: number;
  /** Size of the user-side value buffer of one element (per-CPU: valueStride × cpus). */
  readonly valueBufferSize: number;
  readonly handle: Region;
  /** Where values and records are mapped, and which CPU programs run on. */
  protected readonly host: VmMapHost;
  /** Regions to unmap at close (besides the handle). */
  protected readonly regions = new Set<Region>();
  readonly #scratch: Uint8Array;
  #closed = false;
  #frozen = false;

  /** Where the value's bpf_spin_lock is (VmMapOptions.spinLockOffset), if it has one: BPF_F_LOCK is valid. */
  readonly spinLockOffset: number | undefined;

  constructor(spec: MapSpec, host: VmMapHost, options: VmMapOptions = {}) {
    this.spinLockOffset = options.spinLockOffset;
    this.spec = { ...spec };
    this.host = host;
    this.name = spec.name ?? "";
    this.type = spec.type;
    this.keySize = spec.keySize;
    this.valueSize = spec.valueSize;
    this.maxEntries = spec.maxEntries;
    this.flags = spec.flags ?? 0;
    this.cpus = isPerCpuType(spec.type) ? host.cpus : 1;
    this.valueStride = roundUp8(spec.valueSize);
    this.valueBufferSize = isPerCpuType(spec.type) ? this.valueStride * this.cpus : spec.valueSize;
    this.#scratch = new Uint8Array(this.valueBufferSize);
    this.handle = host.memory.map(`map ${this.label}`, new Uint8Array(HANDLE_SIZE), { writable: false });
  }

  /** "counts" or "(unnamed hash)": how regions of this map are named in fault messages. */
  protected get label(): string {
    return this.name || `(unnamed ${mapTypeName(this.type)})`;
  }

  /** Whether programs may write values (false for BPF_F_RDONLY_PROG maps). */
  protected get programWritable(): boolean {
    return (this.flags & MapFlags.RDONLY_PROG) === 0;
  }

  /** The CPU programs run on now; one outside 0 … cpus − 1 is a mistake of the host (InvalidArgumentError naming `cpu`). */
  protected currentCpu(): number {
    const cpu = this.host.currentCpu();
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.host.cpus) {
      throw new InvalidArgumentError(`${describeMap(this)}: the current CPU is ${String(cpu)}, but the machine has CPUs 0 to ${this.host.cpus - 1}`, "cpu");
    }
    return cpu;
  }

  /** BPF_F_LOCK on a map whose value has no spin lock (the kernel's -EINVAL). */
  protected badLock(flags: number | bigint): boolean {
    return this.spinLockOffset === undefined && (BigInt(flags) & BigInt(UpdateFlags.F_LOCK)) !== 0n;
  }

  /** Copies a stored value out for user space: the spin lock, if any, reads as zeros (as the kernel's copy_map_value). */
  protected copyOut(stored: Uint8Array, out: Uint8Array): void {
    out.set(stored);
    const lock = this.spinLockOffset;
    if (lock !== undefined) out.fill(0, lock, lock + SPIN_LOCK_SIZE);
  }

  /** Writes `value` over a stored value, leaving its spin lock, if any, as it is. */
  protected copyIn(stored: Uint8Array, value: Uint8Array): void {
    const lock = this.spinLockOffset;
    if (lock === undefined) {
      stored.set(value);
      return;
    }
    const held = stored.slice(lock, lock + SPIN_LOCK_SIZE);
    stored.set(value);
    stored.set(held, lock);
  }

  /** Maps `bytes` as one of this map's regions (unmapped at close). */
  protected mapRegion(what: string, bytes: Uint8Array, writable = this.programWritable): Region {
    const region = this.host.memory.map(`map ${this.label} ${what}`, bytes, { writable });
    this.regions.add(region);
    return region;
  }

  /** Unmaps one of this map's regions. */
  protected unmapRegion(region: Region): void {
    this.host.memory.unmap(region);
    this.regions.delete(region);
  }

  // ---- the element commands, as the kernel's map implementations answer them ----

  /** BPF_MAP_LOOKUP_ELEM from user space into `out` (valueBufferSize bytes): 0 or -errno. */
  protected abstract sysLookup(key: Uint8Array, out: Uint8Array, flags: number): number;
  /** BPF_MAP_UPDATE_ELEM from user space (`value`: valueBufferSize bytes): 0 or -errno. */
  protected abstract sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number;
  /** BPF_MAP_DELETE_ELEM from user space: 0 or -errno. */
  protected abstract sysDelete(key: Uint8Array): number;
  /** BPF_MAP_GET_NEXT_KEY: writes the key after `key` (the first when undefined) to `out`; 0 or -errno. */
  protected abstract sysNextKey(key: Uint8Array | undefined, out: Uint8Array): number;
  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM: 0 or -errno (map types without it: -ENOTSUPP, as the kernel). */
  protected sysLookupAndDelete(_key: Uint8Array, _out: Uint8Array, _flags: number): number {
    return -E.ENOTSUPP;
  }

  // ---- program side (VmMapOps); subclasses override what their type supports ----

  abstract programLookup(key: Uint8Array): bigint;

  /** bpf_map_lookup_percpu_elem: only per-CPU maps answer (they override this); the others give NULL, as in the kernel. */
  programLookupPerCpu(_key: Uint8Array, _cpu: number): bigint {
    return 0n;
  }

  abstract programUpdate(key: Uint8Array, value: Uint8Array, flags: bigint): number;

  abstract programDelete(key: Uint8Array): number;

  programPush(_value: Uint8Array, _flags: bigint): number {
    return -E.EINVAL;
  }

  programPop(_out: Uint8Array, _remove: boolean): number {
    return -E.EINVAL;
  }

  // ---- the user-side API of BpfMap ------------------------------------------------

  /** bpftool's name of the type ("lru_hash"). */
  get typeName(): string {
    return mapTypeName(this.type);
  }

  /** True for percpu_hash, percpu_array, lru_percpu_hash. */
  get isPerCpu(): boolean {
    return isPerCpuType(this.type);
  }

  /** True after close(). */
  get closed(): boolean {
    return this.#closed;
  }

  /** True after freeze(): user space may no longer write. */
  get frozen(): boolean {
    return this.#frozen;
  }

  #check(): void {
    if (this.#closed) throw new ClosedError(describeMap(this));
  }

  #sizeError(field: "key" | "value", got: number, want: number): InvalidArgumentError {
    return new InvalidArgumentError(`${describeMap(this)}: ${field} is ${got} bytes, the map's ${field} size is ${want}`, field);
  }

  #key(key: BytesLike): Uint8Array {
    this.#check();
    const k = bytesArgument(key, "key", describeMap(this));
    if (k.byteLength !== this.keySize) throw this.#sizeError("key", k.byteLength, this.keySize);
    return k;
  }

  #value(value: MapValue | VmMap): Uint8Array {
    const scratch = this.#scratch;
    if (value instanceof VmMap) throw new InvalidArgumentError(`${describeMap(this)}: a map as the value is only valid for array_of_maps and hash_of_maps`, "value");
    if (ArrayBuffer.isView(value)) {
      const v = bytesArgument(value, "value", describeMap(this));
      if (v.byteLength !== this.valueBufferSize) throw this.#sizeError("value", v.byteLength, this.valueBufferSize);
      return v;
    }
    if (Array.isArray(value)) {
      if (!this.isPerCpu) throw new InvalidArgumentError(`${describeMap(this)}: an array of values is only valid for per-CPU maps`, "value");
      packPerCpu(scratch, value as readonly BytesLike[], this.valueSize, this.valueStride, describeMap(this));
      return scratch;
    }
    const fd = fdNumberOf(value);
    if (fd !== undefined) {
      const view = new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength);
      if (this.valueSize === 4) view.setUint32(0, fd, true);
      else if (this.valueSize === 8) view.setBigUint64(0, BigInt(fd), true);
      else throw new InvalidArgumentError(`${describeMap(this)}: value size ${this.valueSize} cannot hold an fd`, "value");
      return scratch;
    }
    throw new InvalidArgumentError(`${describeMap(this)}: value must be bytes, per-CPU values or an fd holder (got ${describeValue(value)})`, "value");
  }

  #checkFlags(flags: number): void {
    if (flags !== 0 && flags !== 2 && flags !== 1 && flags !== 4) checkFlags(flags, describeMap(this), "flags", Number.MAX_SAFE_INTEGER);
  }

  /** User-space access as the kernel checks it: BPF_F_RDONLY / BPF_F_WRONLY at creation, and freeze(). */
  #denied(reading: boolean, writing: boolean): boolean {
    if (reading && this.flags & MapFlags.WRONLY) return true;
    return writing && (this.#frozen || (this.flags & MapFlags.RDONLY) !== 0);
  }

  #fail(errno: number, operation: string): BpfError {
    if (errno === E.EPERM) {
      const reading = operation === "BPF_MAP_LOOKUP_ELEM" || operation === "BPF_MAP_GET_NEXT_KEY";
      const why = reading ? "the map is write-only for user space (BPF_F_WRONLY)" : "the map is frozen or read-only for user space (BPF_F_RDONLY)";
      return new PermissionError(`${operation} (${describeMap(this)}): not permitted: ${why}`, { operation, errno });
    }
    return elemError(errno, operation, this);
  }

  #lookupRaw(key: Uint8Array, out: Uint8Array, flags: number): number {
    if (this.#denied(true, false)) return -E.EPERM;
    if (flags & ~UpdateFlags.F_LOCK || this.badLock(flags)) return -E.EINVAL;
    return this.sysLookup(key, out, flags);
  }

  /** The value of `key` as a new Uint8Array (per-CPU maps: the flat buffer); KeyNotFoundError when absent. */
  lookup(key: BytesLike, flags = 0): Uint8Array {
    const k = this.#key(key);
    this.#checkFlags(flags);
    const out = new Uint8Array(this.valueBufferSize);
    const r = this.#lookupRaw(k, out, flags);
    if (r < 0) throw this.#fail(-r, "BPF_MAP_LOOKUP_ELEM");
    return out;
  }

  /** Like lookup, but undefined when the key is absent. */
  tryLookup(key: BytesLike, flags = 0): Uint8Array | undefined {
    const k = this.#key(key);
    this.#checkFlags(flags);
    const out = new Uint8Array(this.valueBufferSize);
    const r = this.#lookupRaw(k, out, flags);
    if (r === -E.ENOENT) return undefined;
    if (r < 0) throw this.#fail(-r, "BPF_MAP_LOOKUP_ELEM");
    return out;
  }

  /** Copies the value of `key` into `out` (at least valueBufferSize bytes) and returns true, or false when absent. */
  lookupInto(key: BytesLike, out: BytesLike, flags = 0): boolean {
    const k = this.#key(key);
    this.#checkFlags(flags);
    const o = bytesArgument(out, "out", describeMap(this));
    if (o.byteLength < this.valueBufferSize) throw this.#sizeError("value", o.byteLength, this.valueBufferSize);
    const r = this.#lookupRaw(k, o, flags);
    if (r === -E.ENOENT) return false;
    if (r < 0) throw this.#fail(-r, "BPF_MAP_LOOKUP_ELEM");
    return true;
  }

  /** Per-CPU maps: the value of each CPU; KeyNotFoundError when absent. */
  lookupPerCpu(key: BytesLike): Uint8Array[] {
    return splitPerCpu(this.lookup(key), this.valueSize, this.valueStride, this.cpus);
  }

  /**
   * Sets `key` to `value`. flags: UpdateFlags.ANY (default), NOEXIST
   * (KeyExistsError if present), EXIST (KeyNotFoundError if absent), F_LOCK
   * (accepted; the machine runs one program at a time). A full hash map is a
   * NoSpaceError, an index past an array's end an InvalidArgumentError.
   * Maps of maps also take a VmMap (the inner map) as the value.
   */
  update(key: BytesLike, value: MapValue | VmMap, flags: number = UpdateFlags.ANY): void {
    const k = this.#key(key);
    const v = this.#value(value);
    this.#checkFlags(flags);
    const r = this.#denied(false, true) ? -E.EPERM : this.badLock(flags) ? -E.EINVAL : this.sysUpdate(k, v, flags);
    if (r < 0) throw this.#fail(-r, "BPF_MAP_UPDATE_ELEM");
  }

  /** Deletes `key`; KeyNotFoundError when absent. */
  delete(key: BytesLike): void {
    if (!this.tryDelete(key)) throw this.#fail(E.ENOENT, "BPF_MAP_DELETE_ELEM");
  }

  /** Deletes `key`; false when it was absent. */
  tryDelete(key: BytesLike): boolean {
    const k = this.#key(key);
    const r = this.#denied(false, true) ? -E.EPERM : this.sysDelete(k);
    if (r === -E.ENOENT) return false;
    if (r < 0) throw this.#fail(-r, "BPF_MAP_DELETE_ELEM");
    return true;
  }

  /** Looks up and deletes `key` (hash maps; queue/stack: the head); KeyNotFoundError when absent. */
  lookupAndDelete(key: BytesLike, flags = 0): Uint8Array {
    const k = this.#key(key);
    this.#checkFlags(flags);
    const out = new Uint8Array(this.valueBufferSize);
    const r = this.#denied(true, true) ? -E.EPERM : this.badLock(flags) ? -E.EINVAL : this.sysLookupAndDelete(k, out, flags);
    if (r < 0) throw this.#fail(-r, "BPF_MAP_LOOKUP_AND_DELETE_ELEM");
    return out;
  }

  /** The key after `key` (the first key when `key` is undefined), or undefined at the end. */
  nextKey(key?: BytesLike | null): Uint8Array | undefined {
    const k = key === undefined || key === null ? undefined : this.#key(key);
    this.#check();
    const out = new Uint8Array(this.keySize);
    const r = this.#denied(true, false) ? -E.EPERM : this.sysNextKey(k, out);
    if (r === -E.ENOENT) return undefined;
    if (r < 0) throw this.#fail(-r, "BPF_MAP_GET_NEXT_KEY");
    return out;
  }

  /**
   * Every key. Deleting the key just received is safe (the successor is
   * fetched before a key is handed out); keys added meanwhile may be missed.
   */
  keys(): Generator<Uint8Array, void, undefined> {
    return walkKeys((key) => this.nextKey(key), this);
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
    this.#key(EMPTY);
    const v = this.#value(value);
    this.#checkFlags(flags);
    const r = this.#denied(false, true) ? -E.EPERM : this.sysUpdate(EMPTY, v, flags);
    if (r < 0) {
      if (-r === E.E2BIG || -r === E.ENOSPC) {
        throw new NoSpaceError(`push (${describeMap(this)}): full (max_entries ${this.maxEntries}); push with UpdateFlags.EXIST to overwrite the oldest`, { operation: "BPF_MAP_UPDATE_ELEM", errno: -r });
      }
      throw this.#fail(-r, "BPF_MAP_UPDATE_ELEM");
    }
  }

  /** Queue/stack: removes and returns the head (FIFO for queues, LIFO for stacks); undefined when empty. */
  pop(): Uint8Array | undefined {
    this.#key(EMPTY);
    const out = new Uint8Array(this.valueBufferSize);
    const r = this.#denied(true, true) ? -E.EPERM : this.sysLookupAndDelete(EMPTY, out, 0);
    if (r === -E.ENOENT) return undefined;
    if (r < 0) throw this.#fail(-r, "BPF_MAP_LOOKUP_AND_DELETE_ELEM");
    return out;
  }

  /** Queue/stack: returns the head without removing it; undefined when empty. */
  peek(): Uint8Array | undefined {
    this.#key(EMPTY);
    const out = new Uint8Array(this.valueBufferSize);
    const r = this.#lookupRaw(EMPTY, out, 0);
    if (r === -E.ENOENT) return undefined;
    if (r < 0) throw this.#fail(-r, "BPF_MAP_LOOKUP_ELEM");
    return out;
  }

  /** Bloom filter: false when `value` was certainly never pushed, true when it may have been. */
  mayContain(value: BytesLike): boolean {
    this.#check();
    if (this.type !== MapType.BloomFilter) throw new InvalidArgumentError(`${describeMap(this)}: mayContain is for bloom filters`, "type");
    // As the kernel: a bloom filter's lookup reads the value to test from the value buffer.
    const v = this.#value(value).slice();
    const r = this.#lookupRaw(EMPTY, v, 0);
    if (r === -E.ENOENT) return false;
    if (r < 0) throw this.#fail(-r, "BPF_MAP_LOOKUP_ELEM");
    return true;
  }

  // ---- whole-map operations ---------------------------------------------------------

  /** Makes the map read-only for user space (as BPF_MAP_FREEZE); programs may still write. PermissionError when already frozen or BPF_F_RDONLY. */
  freeze(): void {
    this.#check();
    // As the kernel: freezing needs write access, which a frozen or BPF_F_RDONLY map no longer gives.
    if (this.#denied(false, true)) {
      throw new PermissionError(`BPF_MAP_FREEZE (${describeMap(this)}): not permitted: the map is already frozen or read-only for user space (BPF_F_RDONLY)`, { operation: "BPF_MAP_FREEZE", errno: E.EPERM });
    }
    this.#frozen = true;
  }

  /** Unmaps the map's regions (its handle, values, pending records); idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const region of this.regions) this.host.memory.unmap(region);
    this.regions.clear();
    this.host.memory.unmap(this.handle);
  }

  /** Closes the map (`using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  toString(): string {
    return `${describeMap(this)} (emulated)`;
  }
}
