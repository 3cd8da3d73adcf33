// Bloom filter maps: a bit array sized and hashed as the kernel's
// (kernel/bpf/bloom_filter.c: max_entries × hashes × 7/5 bits rounded up to a
// power of two, at least 64; jhash of the value seeded with seed + i). The
// seed is 0 — the kernel's with BPF_F_ZERO_SEED — so runs are reproducible and
// a value tests positive exactly when it would in such a kernel map.
import * as E from "../../sys/errno.js";
import { UpdateFlags } from "../../map/types.js";
import type { MapSpec } from "../../map/spec.js";
import { VmMap } from "./base.js";
import { jhash } from "./jhash.js";
import type { VmMapHost } from "./types.js";

/** Hash functions when map_extra leaves the count at 0. */
const DEFAULT_HASHES = 5;
/** Bit arrays up to this many bytes are dense; larger ones (up to the kernel's 2^32 bits) keep only set bits. */
const DENSE_MAX_BYTES = 16 * 1024 * 1024;

/** bloom_filter. */
export class BloomFilterVmMap extends VmMap {
  readonly #hashes: number;
  /** Bits − 1 (the bit count is a power of two, or 2^32). */
  readonly #mask: number;
  readonly #dense: Uint8Array | undefined;
  readonly #sparse = new Set<number>();

  constructor(spec: MapSpec, host: VmMapHost) {
    super(spec, host);
    this.#hashes = Number((spec.mapExtra ?? 0n) & 0xfn) || DEFAULT_HASHES;
    const wanted = Math.floor((spec.maxEntries * this.#hashes) / 5) * 7;
    let bits: number;
    if (spec.maxEntries * this.#hashes > 0xffff_ffff || wanted > 2 ** 31) bits = 2 ** 32;
    else bits = wanted <= 64 ? 64 : 2 ** Math.ceil(Math.log2(wanted));
    this.#mask = bits - 1;
    this.#dense = bits / 8 <= DENSE_MAX_BYTES ? new Uint8Array(bits / 8) : undefined;
  }

  #bit(value: Uint8Array, i: number): number {
    return (jhash(value.subarray(0, this.valueSize), i) & this.#mask) >>> 0;
  }

  #has(bit: number): boolean {
    return this.#dense ? ((this.#dense[bit >>> 3] as number) & (1 << (bit & 7))) !== 0 : this.#sparse.has(bit);
  }

  #set(bit: number): void {
    if (this.#dense) this.#dense[bit >>> 3] = (this.#dense[bit >>> 3] as number) | (1 << (bit & 7));
    else this.#sparse.add(bit);
  }

  #push(value: Uint8Array, flags: number): number {
    if (flags !== UpdateFlags.ANY) return -E.EINVAL;
    for (let i = 0; i < this.#hashes; i++) this.#set(this.#bit(value, i));
    return 0;
  }

  #peek(value: Uint8Array): number {
    for (let i = 0; i < this.#hashes; i++) if (!this.#has(this.#bit(value, i))) return -E.ENOENT;
    return 0;
  }

  /** As the kernel's syscall path: a lookup tests the value found in the value buffer. */
  protected sysLookup(_key: Uint8Array, value: Uint8Array): number {
    return this.#peek(value);
  }

  protected sysUpdate(_key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.#push(value, flags);
  }

  protected sysDelete(): number {
    return -E.EOPNOTSUPP;
  }

  protected sysNextKey(): number {
    return -E.EOPNOTSUPP;
  }

  programLookup(): bigint {
    return 0n;
  }

  programUpdate(): number {
    return -E.EINVAL;
  }

  programDelete(): number {
    return -E.EOPNOTSUPP;
  }

  override programPush(value: Uint8Array, flags: bigint): number {
    if (!this.programWritable) return -E.EPERM;
    return flags > 0xffn ? -E.EINVAL : this.#push(value, Number(flags));
  }

  /** bpf_map_peek_elem tests the value `out` holds; there is no pop (-EOPNOTSUPP). */
  override programPop(out: Uint8Array, remove: boolean): number {
    return remove ? -E.EOPNOTSUPP : this.#peek(out);
  }
}
