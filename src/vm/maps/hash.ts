// Hash maps: hash, percpu_hash, lru_hash and lru_percpu_hash. Elements are
// indexed by their key bytes in a JS Map and kept in an insertion-ordered
// list for BPF_MAP_GET_NEXT_KEY (a key that is gone restarts from the first,
// as the kernel does); values live in a ValueSlab, so program pointers stay
// valid. The LRU variants keep exact recency lists (one common list, or one
// per CPU with BPF_F_NO_COMMON_LRU): a new element in a full list evicts the
// least recently used one; program lookups and updates count as a use, user
// lookups do not (as the kernel's syscall path).
import * as E from "../../sys/errno.js";
import { MapFlags, MapType, UpdateFlags } from "../../map/types.js";
import type { MapSpec } from "../../map/spec.js";
import { VmMap, type VmMapOptions } from "./base.js";
import { keyId } from "./bytes.js";
import { ValueSlab } from "./slab.js";
import type { VmMapHost } from "./types.js";

interface Element {
  readonly key: Uint8Array;
  readonly id: number | string;
  readonly slot: number;
  /** The slot's bytes (valueBufferSize of them) and address, kept so lookups allocate nothing. */
  readonly value: Uint8Array;
  readonly address: bigint;
  prev: Element | undefined;
  next: Element | undefined;
  /** LRU maps: neighbours in the recency list (newer, older) and which list. */
  newer: Element | undefined;
  older: Element | undefined;
  list: number;
}

/** One LRU list: newest first. */
interface Recency {
  newest: Element | undefined;
  oldest: Element | undefined;
  count: number;
  readonly capacity: number;
}

/** The update flags the kernel's hash maps accept: ANY, NOEXIST or EXIST, optionally with F_LOCK. */
function badUpdateFlags(flags: number): boolean {
  return (flags & ~UpdateFlags.F_LOCK) > UpdateFlags.EXIST;
}

/** hash, percpu_hash, lru_hash, lru_percpu_hash. */
export class HashVmMap extends VmMap {
  readonly #elements = new Map<number | string, Element>();
  #first: Element | undefined;
  #last: Element | undefined;
  readonly #slab: ValueSlab;
  readonly #perCpu: boolean;
  readonly #lru: Recency[] | undefined;

  constructor(spec: MapSpec, host: VmMapHost, options: VmMapOptions = {}) {
    super(spec, host, options);
    this.#perCpu = spec.type === MapType.PercpuHash || spec.type === MapType.LruPercpuHash;
    const slotBytes = this.#perCpu ? this.valueStride * this.cpus : this.valueStride;
    this.#slab = new ValueSlab(slotBytes, spec.maxEntries, (what, bytes) => this.mapRegion(what, bytes));
    if (spec.type === MapType.LruHash || spec.type === MapType.LruPercpuHash) {
      // As the kernel, per-CPU lists split max_entries rounded up to a multiple of the CPUs.
      const lists = (this.flags & MapFlags.NO_COMMON_LRU) !== 0 ? host.cpus : 1;
      const capacity = Math.ceil(spec.maxEntries / lists);
      this.#lru = Array.from({ length: lists }, () => ({ newest: undefined, oldest: undefined, count: 0, capacity }));
    }
  }

  /** Number of elements. */
  get size(): number {
    return this.#elements.size;
  }

  // ---- element bookkeeping ----

  #find(key: Uint8Array): Element | undefined {
    return this.#elements.get(keyId(key));
  }

  /** A new element for `key` (capacity already checked), zeroed; LRU maps evict to make room. */
  #insert(key: Uint8Array): Element | number {
    let list = 0;
    if (this.#lru) {
      list = this.#lru.length > 1 ? this.currentCpu() : 0;
      const recency = this.#lru[list] as Recency;
      if (recency.count >= recency.capacity && recency.oldest) this.#remove(recency.oldest);
    } else if (this.#elements.size >= this.maxEntries) {
      return -E.E2BIG;
    }
    const copy = key.slice();
    const slot = this.#slab.alloc();
    const e: Element = {
      key: copy, id: keyId(copy), slot, value: this.#slab.bytes(slot).subarray(0, this.valueBufferSize), address: this.#slab.address(slot),
      prev: this.#last, next: undefined, newer: undefined, older: undefined, list,
    };
    if (this.#last) this.#last.next = e;
    else this.#first = e;
    this.#last = e;
    this.#elements.set(e.id, e);
    if (this.#lru) {
      const recency = this.#lru[list] as Recency;
      recency.count++;
      this.#linkNewest(recency, e);
    }
    return e;
  }

  #remove(e: Element): void {
    this.#elements.delete(e.id);
    if (e.prev) e.prev.next = e.next;
    else this.#first = e.next;
    if (e.next) e.next.prev = e.prev;
    else this.#last = e.prev;
    if (this.#lru) {
      const recency = this.#lru[e.list] as Recency;
      this.#unlink(recency, e);
      recency.count--;
    }
    this.#slab.free(e.slot);
  }

  #linkNewest(recency: Recency, e: Element): void {
    e.older = recency.newest;
    e.newer = undefined;
    if (recency.newest) recency.newest.newer = e;
    else recency.oldest = e;
    recency.newest = e;
  }

  #unlink(recency: Recency, e: Element): void {
    if (e.newer) e.newer.older = e.older;
    else recency.newest = e.older;
    if (e.older) e.older.newer = e.newer;
    else recency.oldest = e.newer;
  }

  /** Marks an element as just used (LRU maps). */
  #touch(e: Element): void {
    if (!this.#lru) return;
    const recency = this.#lru[e.list] as Recency;
    if (recency.newest === e) return;
    this.#unlink(recency, e);
    this.#linkNewest(recency, e);
  }

  /** Finds or creates the element an update of `key` writes, honouring NOEXIST/EXIST. */
  #elementForUpdate(key: Uint8Array, flags: number): Element | number {
    if (badUpdateFlags(flags)) return -E.EINVAL;
    const e = this.#find(key);
    const mode = flags & ~UpdateFlags.F_LOCK;
    if (e && mode === UpdateFlags.NOEXIST) return -E.EEXIST;
    if (!e && mode === UpdateFlags.EXIST) return -E.ENOENT;
    if (e) {
      this.#touch(e);
      return e;
    }
    return this.#insert(key);
  }

  // ---- user side ----

  protected sysLookup(key: Uint8Array, out: Uint8Array): number {
    const e = this.#find(key);
    if (!e) return -E.ENOENT;
    this.copyOut(e.value, out);
    return 0;
  }

  protected sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    const e = this.#elementForUpdate(key, flags);
    if (typeof e === "number") return e;
    this.copyIn(e.value, value.subarray(0, this.valueBufferSize));
    return 0;
  }

  protected sysDelete(key: Uint8Array): number {
    const e = this.#find(key);
    if (!e) return -E.ENOENT;
    this.#remove(e);
    return 0;
  }

  protected override sysLookupAndDelete(key: Uint8Array, out: Uint8Array, flags: number): number {
    if (flags & ~UpdateFlags.F_LOCK) return -E.EINVAL;
    const r = this.sysLookup(key, out);
    return r < 0 ? r : this.sysDelete(key);
  }

  protected sysNextKey(key: Uint8Array | undefined, out: Uint8Array): number {
    const e = key === undefined ? undefined : this.#find(key);
    const next = e ? e.next : this.#first;
    if (!next) return -E.ENOENT;
    out.set(next.key);
    return 0;
  }

  // ---- program side ----

  programLookup(key: Uint8Array): bigint {
    const e = this.#find(key);
    return e ? this.#use(e, this.#perCpu ? this.currentCpu() * this.valueStride : 0) : 0n;
  }

  /** bpf_map_lookup_percpu_elem: per-CPU maps only (the kernel's other maps answer NULL). */
  override programLookupPerCpu(key: Uint8Array, cpu: number): bigint {
    if (!this.#perCpu || !Number.isInteger(cpu) || cpu < 0 || cpu >= this.cpus) return 0n;
    const e = this.#find(key);
    return e ? this.#use(e, cpu * this.valueStride) : 0n;
  }

  #use(e: Element, offset: number): bigint {
    this.#touch(e);
    return offset === 0 ? e.address : e.address + BigInt(offset);
  }

  programUpdate(key: Uint8Array, value: Uint8Array, flags: bigint): number {
    if (!this.programWritable) return -E.EPERM;
    if (flags > 0xffff_ffffn || this.badLock(flags)) return -E.EINVAL;
    const e = this.#elementForUpdate(key, Number(flags));
    if (typeof e === "number") return e;
    const slot = e.value;
    if (!this.#perCpu) {
      this.copyIn(slot.subarray(0, this.valueSize), value.subarray(0, this.valueSize));
      return 0;
    }
    // A program writes its own CPU's value; a new element starts zeroed on the others.
    slot.set(value.subarray(0, this.valueSize), this.currentCpu() * this.valueStride);
    return 0;
  }

  programDelete(key: Uint8Array): number {
    if (!this.programWritable) return -E.EPERM;
    return this.sysDelete(key);
  }
}
