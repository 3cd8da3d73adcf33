// TypedMap: a BpfMap whose keys and values cross as plain JavaScript values,
// encoded and decoded by BtfCodecs of the map's BTF types (typed-btf.ts
// decides which). It wraps the map's byte-level operations and reuses one key
// and one value buffer, so a lookup decodes straight from the buffer the
// kernel filled. Per-CPU maps read as one value per possible CPU.
import { BpfMap, type OpenPinnedOptions } from "../map.js";
import type { BtfCodec } from "../btf/codec/index.js";
import { InvalidArgumentError } from "../sys/errors.js";
import { describeValue } from "../sys/arguments.js";
import { roundUp8 } from "./bytes.js";
import { describeMap, elemError } from "./errors.js";
import * as E from "../sys/errno.js";
import { UpdateFlags } from "./types.js";
import { mapCodecs, type MapCodecs, type TypedMapOptions } from "./typed-btf.js";
import { batchEntries, deleteBatch, updateBatch, type TypedBatchOptions, type TypedBatchReadOptions } from "./typed-batch.js";

export type { TypedMapOptions, MapTypeSource } from "./typed-btf.js";
export type { TypedBatchOptions, TypedBatchReadOptions } from "./typed-batch.js";

/**
 * A map's elements as JavaScript values (see the type mapping in
 * docs/guides/typed-data.md). `K` and `V` are the decoded key and value
 * types; `R` is what one element's value reads as: `V`, or `V[]` (one per
 * possible CPU) for per-CPU maps — declare those as `TypedMap<K, V, V[]>`.
 * It wraps `map` and does not own it: closing the map ends it.
 */
export class TypedMap<K, V, R = V> implements Disposable {
  /** The wrapped map. */
  readonly map: BpfMap;
  /** The codec of the keys; undefined for key-less maps (queue, stack, bloom filter). */
  readonly key: BtfCodec<K> | undefined;
  /** The codec of one value (for per-CPU maps: of one CPU's value). */
  readonly value: BtfCodec<V>;
  /** True for per-CPU maps: values read and write as arrays of one value per possible CPU. */
  readonly perCpu: boolean;
  readonly #keyBytes: Uint8Array;
  readonly #valueBytes: Uint8Array;
  readonly #valueView: DataView;
  readonly #stride: number;
  readonly #owned: boolean;

  /** @internal Use BpfMap.typed or Collection.typedMap. With `owned`, close() closes the map. */
  constructor(map: BpfMap, codecs: MapCodecs<K, V>, owned = false) {
    this.map = map;
    this.key = codecs.key;
    this.value = codecs.value;
    this.perCpu = map.isPerCpu;
    this.#owned = owned;
    this.#stride = this.perCpu ? roundUp8(map.valueSize) : map.valueSize;
    this.#keyBytes = new Uint8Array(map.keySize);
    this.#valueBytes = new Uint8Array(map.valueBufferSize);
    this.#valueView = new DataView(this.#valueBytes.buffer);
  }

  /**
   * Opens the map pinned at `path` (BpfMap.openPinned) typed by its BTF (or
   * `options`); the TypedMap owns that map: close() closes it. On a typing
   * error the map is closed again.
   */
  static openPinned<K = unknown, V = unknown, R = V>(path: string, options: TypedMapOptions & OpenPinnedOptions = {}): TypedMap<K, V, R> {
    const { mode, expect, ...typing } = options;
    const map = BpfMap.openPinned(path, { ...(mode ? { mode } : {}), ...(expect ? { expect } : {}) });
    try {
      return new TypedMap<K, V, R>(map, mapCodecs<K, V>(map, typing), true);
    } catch (e) {
      map.close();
      throw e;
    }
  }

  /** Opens the map with kernel id `id` (BpfMap.fromId), typed by the kernel's BTF of it (or `options`); owned as openPinned. */
  static fromId<K = unknown, V = unknown, R = V>(id: number, options: TypedMapOptions = {}): TypedMap<K, V, R> {
    const map = BpfMap.fromId(id);
    try {
      return new TypedMap<K, V, R>(map, mapCodecs<K, V>(map, options), true);
    } catch (e) {
      map.close();
      throw e;
    }
  }

  // ---- conversions ------------------------------------------------------------

  /** @internal The key's bytes in the reused key buffer (zeroed first: padding is part of a hash key). */
  encodeKey(key: K): Uint8Array {
    const codec = this.key;
    if (codec === undefined) throw new InvalidArgumentError(`${describeMap(this.map)} has no keys: use push/pop/peek`, "key");
    const bytes = this.#keyBytes;
    bytes.fill(0);
    codec.encodeInto(key, bytes, 0);
    return bytes;
  }

  /** @internal Decodes a key from `source` at `offset` (a copy: the result does not alias `source`). */
  decodeKey(source: Uint8Array | DataView, offset = 0): K {
    return this.key!.decode(source, offset, this.map.keySize);
  }

  /** @internal Encodes `value` (V, or V[] for per-CPU maps) into `target` at `offset` (valueBufferSize bytes). */
  encodeValueInto(value: R, target: Uint8Array, offset = 0): void {
    target.fill(0, offset, offset + this.map.valueBufferSize);
    if (!this.perCpu) {
      this.value.encodeInto(value as unknown as V, target, offset);
      return;
    }
    const cpus = this.map.cpus;
    if (!Array.isArray(value) || value.length !== cpus) {
      throw new InvalidArgumentError(
        `${describeMap(this.map)}: a per-CPU value is an array of ${cpus} values (one per possible CPU), got ${describeValue(value)}`,
        "value",
      );
    }
    for (let c = 0; c < cpus; c++) this.value.encodeInto(value[c] as V, target, offset + c * this.#stride);
  }

  /** @internal Decodes a value (V, or V[] for per-CPU maps) from `source` at `offset`. */
  decodeValue(source: Uint8Array | DataView, offset = 0): R {
    if (!this.perCpu) return this.value.decode(source, offset, this.map.valueSize) as unknown as R;
    return this.#decodePerCpu(source, offset) as unknown as R;
  }

  #decodePerCpu(source: Uint8Array | DataView, offset: number): V[] {
    const out = new Array<V>(this.map.cpus);
    for (let c = 0; c < out.length; c++) out[c] = this.value.decode(source, offset + c * this.#stride, this.map.valueSize);
    return out;
  }

  // ---- element operations ----------------------------------------------------------

  /** The value of `key` (per-CPU maps: one per possible CPU); KeyNotFoundError when absent. */
  lookup(key: K): R {
    const value = this.tryLookup(key);
    if (value === undefined) throw elemError(E.ENOENT, "BPF_MAP_LOOKUP_ELEM", this.map);
    return value;
  }

  /** Like lookup, but undefined when the key is absent. */
  tryLookup(key: K): R | undefined {
    if (!this.map.lookupInto(this.encodeKey(key), this.#valueBytes)) return undefined;
    return this.decodeValue(this.#valueView);
  }

  /** Per-CPU maps: the value on each possible CPU; KeyNotFoundError when absent. */
  lookupPerCpu(key: K): V[] {
    if (!this.perCpu) throw new InvalidArgumentError(`${describeMap(this.map)} is not a per-CPU map: use lookup`, "key");
    return this.lookup(key) as unknown as V[];
  }

  /**
   * Sets `key` to `value` (per-CPU maps: an array of one value per possible
   * CPU). flags as BpfMap.update (UpdateFlags.ANY, NOEXIST, EXIST, F_LOCK).
   * A value that does not fit its type is an InvalidArgumentError naming the
   * field, and nothing is written.
   */
  update(key: K, value: R, flags: number = UpdateFlags.ANY): void {
    const k = this.encodeKey(key);
    this.encodeValueInto(value, this.#valueBytes);
    this.map.update(k, this.#valueBytes, flags);
  }

  /** Deletes `key`; KeyNotFoundError when absent. */
  delete(key: K): void {
    this.map.delete(this.encodeKey(key));
  }

  /** Deletes `key`; false when it was absent. */
  tryDelete(key: K): boolean {
    return this.map.tryDelete(this.encodeKey(key));
  }

  /** Looks up and deletes `key` atomically (hash maps 5.14+); KeyNotFoundError when absent. */
  lookupAndDelete(key: K): R {
    return this.decodeValue(this.map.lookupAndDelete(this.encodeKey(key)));
  }

  // ---- iteration --------------------------------------------------------------------------

  /** Every key (as BpfMap.keys: deleting the key just received is safe). */
  *keys(): Generator<K, void, undefined> {
    for (const k of this.map.keys()) yield this.decodeKey(k);
  }

  /** Every value. */
  *values(): Generator<R, void, undefined> {
    for (const [, v] of this.entries()) yield v;
  }

  /** Every [key, value] pair, one lookup per key; keys deleted meanwhile are skipped. */
  *entries(): Generator<[K, R], void, undefined> {
    for (const k of this.map.keys()) {
      if (this.map.lookupInto(k, this.#valueBytes)) yield [this.decodeKey(k), this.decodeValue(this.#valueView)];
    }
  }

  /** `for (const [key, value] of typedMap)`: entries(). */
  [Symbol.iterator](): Generator<[K, R], void, undefined> {
    return this.entries();
  }

  // ---- batch operations -----------------------------------------------------------------

  /**
   * Every [key, value] pair read with BPF_MAP_LOOKUP_BATCH (Linux 5.6+: a
   * bucket-by-bucket walk, many elements per syscall), decoded from the
   * batch buffers; map types or kernels without batch lookup fall back to
   * entries().
   */
  entriesBatch(options: TypedBatchReadOptions = {}): Generator<[K, R], void, undefined> {
    return batchEntries(this, options);
  }

  /**
   * Writes every [key, value] with BPF_MAP_UPDATE_BATCH (Linux 5.6+; one
   * element at a time where the map type has no batch update) and returns
   * how many were written. Every entry is encoded before anything is written.
   */
  updateBatch(entries: Iterable<readonly [K, R]>, options: TypedBatchOptions = {}): number {
    return updateBatch(this, entries, options);
  }

  /** Deletes every key with BPF_MAP_DELETE_BATCH (one at a time where unsupported); KeyNotFoundError if one is absent. */
  deleteBatch(keys: Iterable<K>, options: TypedBatchOptions = {}): number {
    return deleteBatch(this, keys, options);
  }

  // ---- queue, stack ------------------------------------------------------------------------------

  /** Queue/stack (4.20+): adds `value`; flags UpdateFlags.EXIST overwrites the oldest when full. */
  push(value: V, flags: number = UpdateFlags.ANY): void {
    this.encodeValueInto(value as unknown as R, this.#valueBytes);
    this.map.push(this.#valueBytes, flags);
  }

  /** Queue/stack: removes and returns the head (FIFO for queues, LIFO for stacks); undefined when empty. */
  pop(): V | undefined {
    const bytes = this.map.pop();
    return bytes === undefined ? undefined : this.value.decode(bytes, 0, this.map.valueSize);
  }

  /** Queue/stack: the head without removing it; undefined when empty. */
  peek(): V | undefined {
    const bytes = this.map.peek();
    return bytes === undefined ? undefined : this.value.decode(bytes, 0, this.map.valueSize);
  }

  // ---- lifetime ------------------------------------------------------------------------------------

  /** Closes the map if this TypedMap owns it (opened from a pin or an id for it); otherwise does nothing. */
  close(): void {
    if (this.#owned) this.map.close();
  }

  /** Same as close() (`using`): closes the map only if this TypedMap owns it. */
  [Symbol.dispose](): void {
    this.close();
  }

  toString(): string {
    return `TypedMap(${describeMap(this.map)}: ${this.key?.name ?? "no key"} → ${this.value.name})`;
  }
}
