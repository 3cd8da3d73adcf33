// Map types and flags of include/uapi/linux/bpf.h, with the names bpftool
// prints, plus the few per-type facts the map code needs (per-CPU values,
// key-less maps, fd-valued maps).

/** Every kernel map type, by its uapi number (enum bpf_map_type). */
export enum MapType {
  Unspec = 0,
  Hash = 1,
  Array = 2,
  ProgArray = 3,
  PerfEventArray = 4,
  PercpuHash = 5,
  PercpuArray = 6,
  StackTrace = 7,
  CgroupArray = 8,
  LruHash = 9,
  LruPercpuHash = 10,
  LpmTrie = 11,
  ArrayOfMaps = 12,
  HashOfMaps = 13,
  Devmap = 14,
  Sockmap = 15,
  Cpumap = 16,
  Xskmap = 17,
  Sockhash = 18,
  CgroupStorage = 19,
  ReuseportSockarray = 20,
  PercpuCgroupStorage = 21,
  Queue = 22,
  Stack = 23,
  SkStorage = 24,
  DevmapHash = 25,
  StructOps = 26,
  /** Linux 5.8+. */
  Ringbuf = 27,
  /** Linux 5.10+. */
  InodeStorage = 28,
  /** Linux 5.11+. */
  TaskStorage = 29,
  /** Linux 5.16+. */
  BloomFilter = 30,
  /** Linux 6.1+. */
  UserRingbuf = 31,
  /** Linux 6.2+. */
  CgrpStorage = 32,
  /** Linux 6.9+. */
  Arena = 33,
  /** Linux 6.19+ (instruction arrays for indirect jumps). */
  InsnArray = 34,
}

/** bpftool's name of each map type, indexed by uapi number. */
export const MAP_TYPE_NAMES: readonly string[] = [
  "unspec", "hash", "array", "prog_array", "perf_event_array", "percpu_hash", "percpu_array", "stack_trace",
  "cgroup_array", "lru_hash", "lru_percpu_hash", "lpm_trie", "array_of_maps", "hash_of_maps", "devmap",
  "sockmap", "cpumap", "xskmap", "sockhash", "cgroup_storage", "reuseport_sockarray", "percpu_cgroup_storage",
  "queue", "stack", "sk_storage", "devmap_hash", "struct_ops", "ringbuf", "inode_storage", "task_storage",
  "bloom_filter", "user_ringbuf", "cgrp_storage", "arena", "insn_array",
];

/** The name bpftool prints for a map type (`percpu_hash`), or `type N` for unknown numbers. */
export function mapTypeName(type: number): string {
  return MAP_TYPE_NAMES[type] ?? `type ${type}`;
}

/** The map type for a bpftool name (`lru_hash`), or undefined. */
export function mapTypeFromName(name: string): MapType | undefined {
  const i = MAP_TYPE_NAMES.indexOf(name);
  return i > 0 ? (i as MapType) : undefined;
}

/** The first Linux version with each map type (uapi order), for error messages. */
const MAP_TYPE_SINCE: readonly string[] = [
  "", "3.19", "3.19", "4.2", "4.3", "4.6", "4.6", "4.6", "4.8", "4.10", "4.10", "4.11", "4.12", "4.12", "4.14",
  "4.14", "4.15", "4.18", "4.18", "4.19", "4.19", "4.20", "4.20", "4.20", "5.2", "5.4", "5.6", "5.8", "5.10",
  "5.11", "5.16", "6.1", "6.2", "6.9", "6.19",
];

/** The Linux version that introduced a map type ("5.8"), or undefined for unknown types. */
export function mapTypeSince(type: number): string | undefined {
  return MAP_TYPE_SINCE[type] || undefined;
}

/** Whether tsbpf knows this map type number (the kernel may know newer ones). */
export function isKnownMapType(type: number): boolean {
  return Number.isInteger(type) && type > 0 && type < MAP_TYPE_NAMES.length;
}

/** Map creation flags (map_flags of BPF_MAP_CREATE), and the access flags of BPF_OBJ_GET / *_GET_FD_BY_ID. */
export const MapFlags = {
  /** Hash maps: allocate elements on demand instead of up front. */
  NO_PREALLOC: 1 << 0,
  /** LRU maps: one LRU list per CPU instead of a common one. */
  NO_COMMON_LRU: 1 << 1,
  /** Honour `numaNode`. */
  NUMA_NODE: 1 << 2,
  /** User space may only read (at creation), or open read-only. */
  RDONLY: 1 << 3,
  /** User space may only write (at creation), or open write-only. */
  WRONLY: 1 << 4,
  /** Stack trace maps: store build id + offset instead of addresses. */
  STACK_BUILD_ID: 1 << 5,
  /** Hash maps: hash seed zero (reproducible order, for tests). */
  ZERO_SEED: 1 << 6,
  /** Programs may only read. */
  RDONLY_PROG: 1 << 7,
  /** Programs may only write. */
  WRONLY_PROG: 1 << 8,
  /** Local storage maps: clone the element when the socket is cloned. */
  CLONE: 1 << 9,
  /** Arrays (5.5+) and arenas: the value area can be mmap()ed. */
  MMAPABLE: 1 << 10,
  /** perf event arrays: keep elements when the map's last user-space fd closes (5.10+). */
  PRESERVE_ELEMS: 1 << 11,
  /** Inner map templates: allow inner maps of different max_entries (5.10+). */
  INNER_MAP: 1 << 12,
  /** BPF_OBJ_PIN/GET and GET_FD_BY_ID: the object is a link (6.x, for struct_ops maps). */
  LINK: 1 << 13,
  /** BPF_OBJ_PIN/GET: path_fd is a directory fd for a relative path (6.5+). */
  PATH_FD: 1 << 14,
  /** value_type_btf_obj_fd is set (struct_ops from modules, 6.9+). */
  VTYPE_BTF_OBJ_FD: 1 << 15,
  /** map_token_fd is set (BPF token, 6.9+). */
  TOKEN_FD: 1 << 16,
  /** Arena: user-space faults on unallocated pages raise SIGSEGV instead of allocating (6.9+). */
  SEGV_ON_FAULT: 1 << 17,
  /** Arena: do not convert pointers between user and kernel address spaces (6.9+). */
  NO_USER_CONV: 1 << 18,
} as const;

/** Flags of element updates (BPF_MAP_UPDATE_ELEM) and lookups. */
export const UpdateFlags = {
  /** Create or replace. */
  ANY: 0,
  /** Create only; KeyExistsError when the key is present. */
  NOEXIST: 1,
  /** Replace only; KeyNotFoundError when the key is absent. */
  EXIST: 2,
  /** Take the value's bpf_spin_lock while copying (values with a spin lock, 5.1+). */
  F_LOCK: 4,
} as const;

/** Map types whose values hold one slot per possible CPU. */
export function isPerCpuType(type: number): boolean {
  return (
    type === MapType.PercpuHash ||
    type === MapType.PercpuArray ||
    type === MapType.LruPercpuHash ||
    type === MapType.PercpuCgroupStorage
  );
}

/** Map types without keys, driven by push/pop/peek. */
export function isKeylessType(type: number): boolean {
  return type === MapType.Queue || type === MapType.Stack || type === MapType.BloomFilter;
}

/** Map types whose values are maps (updated with an fd, read back as an id). */
export function isMapInMapType(type: number): boolean {
  return type === MapType.ArrayOfMaps || type === MapType.HashOfMaps;
}

/** Map types keyed by a dense index 0..max_entries-1 whose elements cannot be deleted. */
export function isArrayLikeType(type: number): boolean {
  return type === MapType.Array || type === MapType.PercpuArray;
}

/** Map types whose element updates take a file descriptor as the value. */
export function isFdValuedType(type: number): boolean {
  switch (type) {
    case MapType.ProgArray:
    case MapType.PerfEventArray:
    case MapType.CgroupArray:
    case MapType.ArrayOfMaps:
    case MapType.HashOfMaps:
    case MapType.Sockmap:
    case MapType.Sockhash:
    case MapType.Xskmap:
    case MapType.ReuseportSockarray:
      return true;
    default:
      return false;
  }
}
