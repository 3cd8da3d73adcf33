// Arrays: array and percpu_array. Every element exists from the start (zeroed)
// and none can be deleted; values sit in one region, element i at
// i × valueStride (the kernel's layout, which global data sections and
// BPF_F_MMAPABLE maps rely on), per-CPU values one after another inside
// each element's block.
import * as E from "../../sys/errno.js";
import { MapType, UpdateFlags } from "../../map/types.js";
import type { MapSpec } from "../../map/spec.js";
import type { Region } from "../memory.js";
import { VmMap, type VmMapOptions } from "./base.js";
import { arrayNextKey, readU32 } from "./bytes.js";
import type { VmMapHost } from "./types.js";

/** array, percpu_array. */
export class ArrayVmMap extends VmMap {
  readonly #values: Region;
  readonly #perCpu: boolean;
  /** Bytes of one element's block (per-CPU: one stride per CPU). */
  readonly #block: number;

  constructor(spec: MapSpec, host: VmMapHost, options: VmMapOptions = {}) {
    super(spec, host, options);
    this.#perCpu = spec.type === MapType.PercpuArray;
    this.#block = this.#perCpu ? this.valueStride * this.cpus : this.valueStride;
    this.#values = this.mapRegion("values", new Uint8Array(this.#block * spec.maxEntries));
  }

  /**
   * The whole value area, live (element i at i × valueStride; per-CPU
   * arrays: i × valueStride × cpus + cpu × valueStride): what mmap() of a
   * BPF_F_MMAPABLE array shows, and how global data (.data, .bss, .rodata)
   * is read and written directly.
   */
  get memory(): Uint8Array {
    return this.#values.bytes;
  }

  /** The array index a key names, or -1 past the end. */
  #index(key: Uint8Array): number {
    const i = readU32(key);
    return i < this.maxEntries ? i : -1;
  }

  #updateError(key: Uint8Array, flags: number): number {
    // Per-CPU arrays take no BPF_F_LOCK (their values cannot hold a spin lock).
    if ((this.#perCpu ? flags : flags & ~UpdateFlags.F_LOCK) > UpdateFlags.EXIST) return -E.EINVAL;
    if (this.#index(key) < 0) return -E.E2BIG;
    if (flags & UpdateFlags.NOEXIST) return -E.EEXIST;
    return 0;
  }

  protected sysLookup(key: Uint8Array, out: Uint8Array): number {
    const i = this.#index(key);
    if (i < 0) return -E.ENOENT;
    const start = i * this.#block;
    this.copyOut(this.#values.bytes.subarray(start, start + this.valueBufferSize), out);
    return 0;
  }

  protected sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    const r = this.#updateError(key, flags);
    if (r < 0) return r;
    const start = this.#index(key) * this.#block;
    this.copyIn(this.#values.bytes.subarray(start, start + this.valueBufferSize), value.subarray(0, this.valueBufferSize));
    return 0;
  }

  protected sysDelete(): number {
    return -E.EINVAL;
  }

  protected sysNextKey(key: Uint8Array | undefined, out: Uint8Array): number {
    return arrayNextKey(key, out, this.maxEntries);
  }

  programLookup(key: Uint8Array): bigint {
    return this.#address(key, this.#perCpu ? this.currentCpu() : 0);
  }

  /** bpf_map_lookup_percpu_elem: per-CPU arrays only (the kernel's other maps answer NULL). */
  override programLookupPerCpu(key: Uint8Array, cpu: number): bigint {
    if (!this.#perCpu || !Number.isInteger(cpu) || cpu < 0 || cpu >= this.cpus) return 0n;
    return this.#address(key, cpu);
  }

  #address(key: Uint8Array, cpu: number): bigint {
    const i = this.#index(key);
    return i < 0 ? 0n : this.#values.base + BigInt(i * this.#block + cpu * this.valueStride);
  }

  programUpdate(key: Uint8Array, value: Uint8Array, flags: bigint): number {
    if (!this.programWritable) return -E.EPERM;
    if (flags > 0xffff_ffffn || this.badLock(flags)) return -E.EINVAL;
    const r = this.#updateError(key, Number(flags));
    if (r < 0) return r;
    const start = this.#index(key) * this.#block + (this.#perCpu ? this.currentCpu() : 0) * this.valueStride;
    this.copyIn(this.#values.bytes.subarray(start, start + this.valueSize), value.subarray(0, this.valueSize));
    return 0;
  }

  programDelete(): number {
    return -E.EINVAL;
  }
}
