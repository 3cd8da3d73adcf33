// createVmMap: the emulated map for a MapSpec, checked first as the kernel's
// map_alloc_check functions check it (sizes, flags, max_entries per type), so
// a spec the kernel would refuse is refused here too, with the same error
// classes BpfMap.create gives: InvalidArgumentError naming the field,
// TooBigError for sizes past the kernel's limits, NotSupportedError for a
// type the machine does not emulate.
import { InvalidArgumentError, NotSupportedError, TooBigError } from "../../sys/errors.js";
import { describeSpec, validateSpec, type MapSpec } from "../../map/spec.js";
import { MapFlags, MapType, mapTypeName } from "../../map/types.js";
import { ArrayVmMap } from "./array.js";
import { VmMap, type VmMapOptions } from "./base.js";
import { BloomFilterVmMap } from "./bloom.js";
import { HashVmMap } from "./hash.js";
import { LpmTrieVmMap } from "./lpm.js";
import { MapOfMapsVmMap } from "./map-of-maps.js";
import { PerfEventArrayVmMap } from "./perf-event-array.js";
import { ProgArrayVmMap } from "./prog-array.js";
import { QueueVmMap } from "./queue.js";
import { RingBufferVmMap } from "./ringbuf.js";
import type { VmMapHost } from "./types.js";

/** PCPU_MIN_UNIT_SIZE: per-CPU values may not be larger. */
const MAX_PERCPU_VALUE = 32768;
/** Ring buffer sizes are page multiples (the page size of x86-64 and most arm64 kernels). */
const PAGE_SIZE = 4096;
/** lpm_trie keys: a u32 prefix length and 1 to 256 data bytes. */
const LPM_KEY_MIN = 5;
const LPM_KEY_MAX = 260;
/** Flags every map type accepts (besides its own). */
const COMMON_FLAGS = MapFlags.NUMA_NODE | MapFlags.RDONLY | MapFlags.WRONLY | MapFlags.RDONLY_PROG | MapFlags.WRONLY_PROG;

function invalid(spec: MapSpec, field: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(`${describeSpec(spec)}: ${why}`, field);
}

function requireSizes(spec: MapSpec, key: number | "nonzero", value: number | "nonzero"): void {
  if (key === "nonzero" ? spec.keySize === 0 : spec.keySize !== key) throw invalid(spec, "keySize", `keySize must be ${key === "nonzero" ? "at least 1" : key} (got ${spec.keySize})`);
  if (value === "nonzero" ? spec.valueSize === 0 : spec.valueSize !== value) throw invalid(spec, "valueSize", `valueSize must be ${value === "nonzero" ? "at least 1" : value} (got ${spec.valueSize})`);
}

function requireEntries(spec: MapSpec): void {
  if (spec.maxEntries === 0) throw invalid(spec, "maxEntries", "maxEntries must be at least 1");
}

function allowFlags(spec: MapSpec, allowed: number): void {
  const extra = (spec.flags ?? 0) & ~allowed;
  if (extra !== 0) throw invalid(spec, "flags", `flags 0x${extra.toString(16)} are not valid for ${mapTypeName(spec.type)} maps`);
  if ((spec.flags ?? 0) & MapFlags.RDONLY && (spec.flags ?? 0) & MapFlags.WRONLY) throw invalid(spec, "flags", "BPF_F_RDONLY and BPF_F_WRONLY exclude each other");
  if ((spec.flags ?? 0) & MapFlags.RDONLY_PROG && (spec.flags ?? 0) & MapFlags.WRONLY_PROG) throw invalid(spec, "flags", "BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG exclude each other");
}

function checkPerCpuValue(spec: MapSpec): void {
  if (spec.valueSize > MAX_PERCPU_VALUE) throw new TooBigError(`${describeSpec(spec)}: per-CPU values are at most ${MAX_PERCPU_VALUE} bytes (got ${spec.valueSize})`);
}

/** Checks `spec` as the kernel would for its type; throws what BpfMap.create would. */
function checkSpec(spec: MapSpec): void {
  validateSpec(spec);
  const flags = spec.flags ?? 0;
  switch (spec.type) {
    case MapType.Hash:
    case MapType.PercpuHash:
    case MapType.LruHash:
    case MapType.LruPercpuHash: {
      const lru = spec.type === MapType.LruHash || spec.type === MapType.LruPercpuHash;
      requireEntries(spec);
      requireSizes(spec, "nonzero", "nonzero");
      allowFlags(spec, COMMON_FLAGS | MapFlags.NO_PREALLOC | MapFlags.ZERO_SEED | (lru ? MapFlags.NO_COMMON_LRU : 0));
      if (lru && flags & MapFlags.NO_PREALLOC) throw new NotSupportedError(`${describeSpec(spec)} with BPF_F_NO_PREALLOC (LRU maps are always preallocated)`);
      if (spec.type === MapType.PercpuHash || spec.type === MapType.LruPercpuHash) checkPerCpuValue(spec);
      return;
    }
    case MapType.Array:
    case MapType.PercpuArray:
      requireEntries(spec);
      requireSizes(spec, 4, "nonzero");
      allowFlags(spec, COMMON_FLAGS | (spec.type === MapType.Array ? MapFlags.MMAPABLE | MapFlags.INNER_MAP : MapFlags.INNER_MAP));
      if (spec.type === MapType.PercpuArray) checkPerCpuValue(spec);
      return;
    case MapType.Queue:
    case MapType.Stack:
      requireEntries(spec);
      requireSizes(spec, 0, "nonzero");
      allowFlags(spec, COMMON_FLAGS);
      return;
    case MapType.BloomFilter:
      requireEntries(spec);
      requireSizes(spec, 0, "nonzero");
      allowFlags(spec, COMMON_FLAGS | MapFlags.ZERO_SEED);
      if ((spec.mapExtra ?? 0n) & ~0xfn) throw invalid(spec, "mapExtra", "mapExtra holds the number of hash functions: 0 to 15");
      return;
    case MapType.LpmTrie:
      requireEntries(spec);
      if (spec.keySize < LPM_KEY_MIN || spec.keySize > LPM_KEY_MAX) throw invalid(spec, "keySize", `keySize must be ${LPM_KEY_MIN} to ${LPM_KEY_MAX} (a u32 prefix length and 1 to 256 data bytes; got ${spec.keySize})`);
      if (spec.valueSize === 0) throw invalid(spec, "valueSize", "valueSize must be at least 1");
      allowFlags(spec, COMMON_FLAGS | MapFlags.NO_PREALLOC);
      if (!(flags & MapFlags.NO_PREALLOC)) throw invalid(spec, "flags", "lpm_trie maps need BPF_F_NO_PREALLOC");
      return;
    case MapType.Ringbuf:
      requireSizes(spec, 0, 0);
      allowFlags(spec, MapFlags.NUMA_NODE | MapFlags.RDONLY | MapFlags.WRONLY);
      if (spec.maxEntries < PAGE_SIZE || spec.maxEntries % PAGE_SIZE !== 0 || (spec.maxEntries & (spec.maxEntries - 1)) !== 0) {
        throw invalid(spec, "maxEntries", `a ring buffer's size (maxEntries) must be a power of 2 and a multiple of the page size, ${PAGE_SIZE} (got ${spec.maxEntries})`);
      }
      return;
    case MapType.PerfEventArray:
      requireSizes(spec, 4, 4);
      allowFlags(spec, COMMON_FLAGS | MapFlags.PRESERVE_ELEMS);
      return;
    case MapType.ProgArray:
      requireEntries(spec);
      requireSizes(spec, 4, 4);
      allowFlags(spec, COMMON_FLAGS);
      return;
    case MapType.ArrayOfMaps:
    case MapType.HashOfMaps:
      requireEntries(spec);
      if (spec.type === MapType.ArrayOfMaps) requireSizes(spec, 4, 4);
      else requireSizes(spec, "nonzero", 4);
      allowFlags(spec, COMMON_FLAGS | (spec.type === MapType.HashOfMaps ? MapFlags.NO_PREALLOC : 0));
      checkSpec(spec.innerMap as MapSpec);
      return;
    default:
      throw unsupported(spec);
  }
}

/** bpf_spin_lock is 4 bytes, 4-aligned, inside the value; only hash and array maps hold one (the kernel: EOPNOTSUPP). */
function checkSpinLock(spec: MapSpec, offset: number): void {
  if (spec.type !== MapType.Hash && spec.type !== MapType.Array) {
    throw new NotSupportedError(`a bpf_spin_lock in the values of ${mapTypeName(spec.type)} maps (only hash and array maps may hold one)`);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset % 4 !== 0 || offset + 4 > spec.valueSize) {
    throw invalid(spec, "spinLockOffset", `spinLockOffset must be a multiple of 4 with the 4-byte lock inside the ${spec.valueSize}-byte value (got ${String(offset)})`);
  }
}

function unsupported(spec: MapSpec): NotSupportedError {
  const e = new NotSupportedError(`${mapTypeName(spec.type)} maps in the user-space machine`);
  e.message = `${describeSpec(spec)}: the user-space machine does not emulate ${mapTypeName(spec.type)} maps ` +
    "(it has hash, percpu_hash, lru_hash, lru_percpu_hash, array, percpu_array, queue, stack, bloom_filter, lpm_trie, " +
    "ringbuf, perf_event_array, prog_array, array_of_maps and hash_of_maps)";
  return e;
}

/**
 * The emulated map for `spec`, its values and handle mapped in
 * `host.memory`. The spec is checked as the kernel checks it for the type;
 * a type the machine does not emulate is a NotSupportedError naming it.
 * Close the map (or `using`) to unmap its regions.
 */
export function createVmMap(spec: MapSpec, host: VmMapHost, options: VmMapOptions = {}): VmMap {
  checkSpec(spec);
  if (options.spinLockOffset !== undefined) checkSpinLock(spec, options.spinLockOffset);
  switch (spec.type) {
    case MapType.Hash:
    case MapType.PercpuHash:
    case MapType.LruHash:
    case MapType.LruPercpuHash:
      return new HashVmMap(spec, host, options);
    case MapType.Array:
    case MapType.PercpuArray:
      return new ArrayVmMap(spec, host, options);
    case MapType.Queue:
    case MapType.Stack:
      return new QueueVmMap(spec, host);
    case MapType.BloomFilter:
      return new BloomFilterVmMap(spec, host);
    case MapType.LpmTrie:
      return new LpmTrieVmMap(spec, host);
    case MapType.Ringbuf:
      return new RingBufferVmMap(spec, host);
    case MapType.PerfEventArray:
      return new PerfEventArrayVmMap(spec, host);
    case MapType.ProgArray:
      return new ProgArrayVmMap(spec, host, options);
    case MapType.ArrayOfMaps:
    case MapType.HashOfMaps:
      return new MapOfMapsVmMap(spec, host, options);
    default:
      throw unsupported(spec);
  }
}
