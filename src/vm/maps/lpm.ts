// Longest-prefix-match tries (lpm_trie). A key is a host-order u32 prefix
// length followed by data bytes compared most significant bit first. Entries
// are indexed by (prefix length, data masked to it); a lookup tries the
// stored prefix lengths from longest to shortest. The key bytes are kept as
// last written (bits past the prefix included), because the kernel returns
// them so from BPF_MAP_GET_NEXT_KEY, and keys come out in the kernel's trie
// postorder: more specific prefixes before the prefixes that contain them,
// 0-branches before 1-branches.
import * as E from "../../sys/errno.js";
import { UpdateFlags } from "../../map/types.js";
import type { MapSpec } from "../../map/spec.js";
import { VmMap } from "./base.js";
import { keyString, readU32 } from "./bytes.js";
import { ValueSlab } from "./slab.js";
import type { VmMapHost } from "./types.js";

/** Bytes before the data: the u32 prefix length. */
const PREFIX_FIELD = 4;

interface Entry {
  readonly prefixlen: number;
  /** The key as last written. */
  key: Uint8Array;
  readonly slot: number;
}

/** lpm_trie. */
export class LpmTrieVmMap extends VmMap {
  readonly #maxPrefixlen: number;
  readonly #entries = new Map<string, Entry>();
  /** How many entries have each prefix length. */
  readonly #lengths = new Map<number, number>();
  /** Prefix lengths present, longest first (rebuilt when one appears or vanishes). */
  #order: number[] = [];
  readonly #slab: ValueSlab;
  /** Entries in postorder and their positions, while no entry is added or removed. */
  #sorted: { entries: Entry[]; position: Map<Entry, number> } | undefined;

  constructor(spec: MapSpec, host: VmMapHost) {
    super(spec, host);
    this.#maxPrefixlen = (spec.keySize - PREFIX_FIELD) * 8;
    this.#slab = new ValueSlab(this.valueStride, spec.maxEntries, (what, bytes) => this.mapRegion(what, bytes));
  }

  /** Number of entries. */
  get size(): number {
    return this.#entries.size;
  }

  /** The index string of the first `prefixlen` bits of the key's data. */
  #id(key: Uint8Array, prefixlen: number): string {
    const data = key.slice(PREFIX_FIELD, PREFIX_FIELD + Math.ceil(prefixlen / 8));
    if (prefixlen % 8) data[data.length - 1] = (data[data.length - 1] as number) & (0xff << (8 - (prefixlen % 8)));
    return `${prefixlen}:${keyString(data)}`;
  }

  #exact(key: Uint8Array): Entry | undefined {
    const prefixlen = readU32(key);
    return prefixlen > this.#maxPrefixlen ? undefined : this.#entries.get(this.#id(key, prefixlen));
  }

  #longestMatch(key: Uint8Array): Entry | undefined {
    const limit = readU32(key);
    if (limit > this.#maxPrefixlen) return undefined;
    for (const prefixlen of this.#order) {
      if (prefixlen > limit) continue;
      const e = this.#entries.get(this.#id(key, prefixlen));
      if (e) return e;
    }
    return undefined;
  }

  #count(prefixlen: number, delta: number): void {
    const n = (this.#lengths.get(prefixlen) ?? 0) + delta;
    if (n === 0) this.#lengths.delete(prefixlen);
    else this.#lengths.set(prefixlen, n);
    if (n === 0 || (n === 1 && delta > 0)) this.#order = [...this.#lengths.keys()].sort((a, b) => b - a);
  }

  #update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > UpdateFlags.EXIST) return -E.EINVAL;
    const prefixlen = readU32(key);
    if (prefixlen > this.#maxPrefixlen) return -E.EINVAL;
    const id = this.#id(key, prefixlen);
    let e = this.#entries.get(id);
    if (e) {
      if (flags === UpdateFlags.NOEXIST) return -E.EEXIST;
      e.key = key.slice();
    } else {
      if (flags === UpdateFlags.EXIST) return -E.ENOENT;
      if (this.#entries.size >= this.maxEntries) return -E.ENOSPC;
      e = { prefixlen, key: key.slice(), slot: this.#slab.alloc() };
      this.#entries.set(id, e);
      this.#count(prefixlen, 1);
      this.#sorted = undefined;
    }
    this.#slab.bytes(e.slot).set(value.subarray(0, this.valueSize));
    return 0;
  }

  #delete(key: Uint8Array): number {
    const prefixlen = readU32(key);
    if (prefixlen > this.#maxPrefixlen) return -E.EINVAL;
    const id = this.#id(key, prefixlen);
    const e = this.#entries.get(id);
    if (!e) return -E.ENOENT;
    this.#entries.delete(id);
    this.#count(prefixlen, -1);
    this.#sorted = undefined;
    this.#slab.free(e.slot);
    return 0;
  }

  /** Trie postorder: -1 when `a` comes before `b`. */
  #compare(a: Entry, b: Entry): number {
    const common = Math.min(a.prefixlen, b.prefixlen);
    for (let bit = 0; bit < common; bit += 8) {
      const bits = Math.min(8, common - bit);
      const mask = (0xff << (8 - bits)) & 0xff;
      const x = (a.key[PREFIX_FIELD + bit / 8] as number) & mask;
      const y = (b.key[PREFIX_FIELD + bit / 8] as number) & mask;
      if (x !== y) return x < y ? -1 : 1;
    }
    // One contains the other: the more specific one first.
    return b.prefixlen - a.prefixlen;
  }

  protected sysLookup(key: Uint8Array, out: Uint8Array): number {
    const e = this.#longestMatch(key);
    if (!e) return -E.ENOENT;
    out.set(this.#slab.bytes(e.slot).subarray(0, this.valueSize));
    return 0;
  }

  protected sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.#update(key, value, flags);
  }

  protected sysDelete(key: Uint8Array): number {
    return this.#delete(key);
  }

  protected sysNextKey(key: Uint8Array | undefined, out: Uint8Array): number {
    if (this.#entries.size === 0) return -E.ENOENT;
    if (!this.#sorted) {
      const entries = [...this.#entries.values()].sort((a, b) => this.#compare(a, b));
      this.#sorted = { entries, position: new Map(entries.map((e, i) => [e, i])) };
    }
    const { entries, position } = this.#sorted;
    const current = key === undefined ? undefined : this.#exact(key);
    // An absent (or invalid) key restarts from the leftmost entry, as the kernel does.
    const next = current === undefined ? entries[0] : entries[(position.get(current) as number) + 1];
    if (!next) return -E.ENOENT;
    out.set(next.key);
    return 0;
  }

  programLookup(key: Uint8Array): bigint {
    const e = this.#longestMatch(key);
    return e ? this.#slab.address(e.slot) : 0n;
  }

  programUpdate(key: Uint8Array, value: Uint8Array, flags: bigint): number {
    if (!this.programWritable) return -E.EPERM;
    return flags > 0xffn ? -E.EINVAL : this.#update(key, value, Number(flags));
  }

  programDelete(key: Uint8Array): number {
    if (!this.programWritable) return -E.EPERM;
    return this.#delete(key);
  }
}
