// Maps of maps: array_of_maps and hash_of_maps. Values are other emulated
// maps, set with setInner(key, map) or update(key, map) — or, as with kernel
// maps, update() with a map fd that the resolveMap option turns into a VmMap.
// An inner map must match the template (innerMap: type, sizes, flags, and
// max_entries unless the template has BPF_F_INNER_MAP), else -EINVAL as in
// the kernel. A program's lookup answers the inner map's handle address, so
// the helpers can use the result as a map; a user-space lookup answers the
// inner map's id (vmMapId), standing for the kernel's map id.
import * as E from "../../sys/errno.js";
import { InvalidArgumentError } from "../../sys/errors.js";
import { bytesArgument, type BytesLike } from "../../map/bytes.js";
import { describeMap } from "../../map/errors.js";
import type { MapSpec } from "../../map/spec.js";
import { MapFlags, MapType, UpdateFlags } from "../../map/types.js";
import type { MapValue } from "../../map.js";
import { VmMap, type VmMapOptions } from "./base.js";
import { arrayNextKey, keyString, objectIds, readU32, writeU32 } from "./bytes.js";
import type { VmMapHost } from "./types.js";

/** A stable id for a map (1, 2, … in order of first use): what a map-of-maps lookup returns for it. */
export const vmMapId: (map: VmMap) => number = objectIds<VmMap>();

interface Slot {
  readonly key: Uint8Array;
  map: VmMap;
}

/** array_of_maps, hash_of_maps. */
export class MapOfMapsVmMap extends VmMap {
  readonly #slots = new Map<string, Slot>();
  readonly #isArray: boolean;
  readonly #template: MapSpec;
  readonly #resolveMap: ((fd: number) => VmMap | undefined) | undefined;

  constructor(spec: MapSpec, host: VmMapHost, options: VmMapOptions = {}) {
    super(spec, host);
    this.#isArray = spec.type === MapType.ArrayOfMaps;
    this.#template = spec.innerMap as MapSpec;
    this.#resolveMap = options.resolveMap;
  }

  /** The inner maps, in slot order (array) or insertion order (hash). */
  innerMaps(): VmMap[] {
    return [...this.#slots.values()].map((s) => s.map);
  }

  /** The inner map at `key`, if any. */
  inner(key: BytesLike): VmMap | undefined {
    return this.#slots.get(keyString(this.#checkedKey(key)))?.map;
  }

  #checkedKey(key: BytesLike): Uint8Array {
    const k = bytesArgument(key, "key", describeMap(this));
    if (k.byteLength !== this.keySize) throw new InvalidArgumentError(`${describeMap(this)}: key is ${k.byteLength} bytes, the map's key size is ${this.keySize}`, "key");
    return k;
  }

  /** Stores `inner` at `key` (flags as update). */
  setInner(key: BytesLike, inner: VmMap, flags: number = UpdateFlags.ANY): void {
    if (!(inner instanceof VmMap)) throw new InvalidArgumentError(`${describeMap(this)}: setInner takes a VmMap`, "inner");
    this.update(key, inner, flags);
  }

  /** As BpfMap.update; the value may also be a VmMap (the inner map). */
  override update(key: BytesLike, value: MapValue | VmMap, flags: number = UpdateFlags.ANY): void {
    if (!(value instanceof VmMap)) {
      super.update(key, value, flags);
      return;
    }
    const fd = new Uint8Array(4);
    this.#staged = value;
    try {
      super.update(key, fd, flags);
    } finally {
      this.#staged = undefined;
    }
  }

  /** The VmMap update() was given, while its placeholder value goes through the common checks. */
  #staged: VmMap | undefined;

  #compatible(inner: VmMap): boolean {
    const t = this.#template;
    const sameEntries = (t.flags ?? 0) & MapFlags.INNER_MAP ? true : inner.maxEntries === t.maxEntries;
    return inner.type === t.type && inner.keySize === t.keySize && inner.valueSize === t.valueSize && sameEntries &&
      ((inner.flags ^ (t.flags ?? 0)) & ~MapFlags.INNER_MAP) === 0 && !(inner instanceof MapOfMapsVmMap);
  }

  #set(key: Uint8Array, inner: VmMap | undefined, flags: number): number {
    if (!inner) return -E.EBADF;
    if (this.#isArray) {
      if (flags !== UpdateFlags.ANY) return -E.EINVAL;
      if (readU32(key) >= this.maxEntries) return -E.E2BIG;
    } else if ((flags & ~UpdateFlags.F_LOCK) > UpdateFlags.EXIST) {
      return -E.EINVAL;
    }
    if (!this.#compatible(inner)) return -E.EINVAL;
    const id = keyString(key);
    const slot = this.#slots.get(id);
    if (!this.#isArray) {
      if (slot && flags === UpdateFlags.NOEXIST) return -E.EEXIST;
      if (!slot && flags === UpdateFlags.EXIST) return -E.ENOENT;
      if (!slot && this.#slots.size >= this.maxEntries) return -E.E2BIG;
    }
    if (slot) slot.map = inner;
    else this.#slots.set(id, { key: key.slice(), map: inner });
    return 0;
  }

  protected sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.#set(key, this.#staged ?? this.#resolveMap?.(readU32(value)), flags);
  }

  protected sysLookup(key: Uint8Array, out: Uint8Array): number {
    const slot = this.#slots.get(keyString(key));
    if (!slot) return -E.ENOENT;
    writeU32(out, vmMapId(slot.map));
    return 0;
  }

  protected sysDelete(key: Uint8Array): number {
    if (this.#isArray && readU32(key) >= this.maxEntries) return -E.E2BIG;
    return this.#slots.delete(keyString(key)) ? 0 : -E.ENOENT;
  }

  protected sysNextKey(key: Uint8Array | undefined, out: Uint8Array): number {
    if (this.#isArray) return arrayNextKey(key, out, this.maxEntries);
    const keys = [...this.#slots.values()];
    const at = key === undefined ? -1 : keys.findIndex((s) => keyString(s.key) === keyString(key));
    const next = keys[at + 1];
    if (!next) return -E.ENOENT;
    out.set(next.key);
    return 0;
  }

  protected override sysLookupAndDelete(): number {
    return -E.ENOTSUPP;
  }

  programLookup(key: Uint8Array): bigint {
    return this.#slots.get(keyString(key))?.map.handle.base ?? 0n;
  }

  programUpdate(): number {
    return -E.EINVAL;
  }

  programDelete(key: Uint8Array): number {
    return this.programWritable ? this.sysDelete(key) : -E.EPERM;
  }
}
