// Map type probes: create the smallest map of each type the kernel accepts,
// with the key/value sizes, flags or BTF that type insists on, the way
// libbpf's libbpf_probe_bpf_map_type() does. Cached per process.
import { Attr } from "../sys/attr.js";
import { Cmd, MapCreateAttr } from "../sys/layouts.js";
import { bpfRaw, closeRaw } from "../sys/syscall.js";
import { ENOTSUPP } from "../sys/errno.js";
import { loadProbeBtf, PROBE_BTF_INT, PROBE_BTF_VALUE_STRUCT } from "./btf-blob.js";
import { MAP_TYPE_NAMES, mapTypeByName } from "./names.js";
import { SUPPORTED, unsupported, type ProbeResult } from "./result.js";
import { TypeProbes } from "./probe-types.js";

const BPF_F_NO_PREALLOC = 1;
const BPF_F_MMAPABLE = 1 << 10;
const PAGE_SIZE = 4096;

/** Map type numbers used below (enum bpf_map_type). */
const T = {
  HASH: 1, ARRAY: 2, STACK_TRACE: 7, LPM_TRIE: 11, ARRAY_OF_MAPS: 12, HASH_OF_MAPS: 13,
  CGROUP_STORAGE: 19, PERCPU_CGROUP_STORAGE: 21, QUEUE: 22, STACK: 23, SK_STORAGE: 24, STRUCT_OPS: 26,
  RINGBUF: 27, INODE_STORAGE: 28, TASK_STORAGE: 29, BLOOM_FILTER: 30, USER_RINGBUF: 31, CGRP_STORAGE: 32,
  ARENA: 33,
} as const;

function createRaw(attr: Attr<keyof typeof MapCreateAttr.fields>): number {
  const r = bpfRaw(Cmd.MAP_CREATE, attr.address, attr.size);
  if (r >= 0) closeRaw(r);
  return r;
}

function probe(type: number): ProbeResult {
  const attr = new Attr(MapCreateAttr);
  attr.set("map_type", type).set("key_size", 4).set("value_size", 4).set("max_entries", 1);
  let btfFd = -1;
  let innerFd = -1;
  // struct_ops maps are created against a vmlinux struct; id 1 is never one,
  // and a kernel that knows the map type says so with ENOTSUPP.
  let expectErrno = 0;
  switch (type) {
    case T.STACK_TRACE:
      attr.set("value_size", 8);
      break;
    case T.LPM_TRIE:
      attr.set("key_size", 8).set("value_size", 8).set("map_flags", BPF_F_NO_PREALLOC);
      break;
    case T.CGROUP_STORAGE:
    case T.PERCPU_CGROUP_STORAGE:
      // sizeof(struct bpf_cgroup_storage_key); entries must be 0.
      attr.set("key_size", 16).set("value_size", 8).set("max_entries", 0);
      break;
    case T.QUEUE:
    case T.STACK:
    case T.BLOOM_FILTER:
      attr.set("key_size", 0);
      break;
    case T.RINGBUF:
    case T.USER_RINGBUF:
      attr.set("key_size", 0).set("value_size", 0).set("max_entries", PAGE_SIZE);
      break;
    case T.ARENA:
      attr.set("key_size", 0).set("value_size", 0).set("max_entries", 1).set("map_flags", BPF_F_MMAPABLE);
      break;
    case T.STRUCT_OPS:
      attr.set("key_size", 4).set("value_size", 4).set("btf_vmlinux_value_type_id", 1);
      expectErrno = ENOTSUPP;
      break;
    case T.SK_STORAGE:
    case T.INODE_STORAGE:
    case T.TASK_STORAGE:
    case T.CGRP_STORAGE:
      btfFd = loadProbeBtf();
      if (btfFd < 0) return unsupported(-btfFd, "could not load the BTF this map type needs");
      attr
        .set("value_size", 8).set("max_entries", 0).set("map_flags", BPF_F_NO_PREALLOC)
        .set("btf_fd", btfFd).set("btf_key_type_id", PROBE_BTF_INT).set("btf_value_type_id", PROBE_BTF_VALUE_STRUCT);
      break;
    case T.ARRAY_OF_MAPS:
    case T.HASH_OF_MAPS: {
      const inner = new Attr(MapCreateAttr);
      inner.set("map_type", T.ARRAY).set("key_size", 4).set("value_size", 4).set("max_entries", 1);
      innerFd = bpfRaw(Cmd.MAP_CREATE, inner.address, inner.size);
      if (innerFd < 0) return unsupported(-innerFd, "could not create the inner map");
      attr.set("inner_map_fd", innerFd);
      break;
    }
  }
  try {
    const r = createRaw(attr);
    if (expectErrno) return -r === expectErrno ? SUPPORTED : unsupported(r < 0 ? -r : 0, "unexpected answer to the probe");
    return r >= 0 ? SUPPORTED : unsupported(-r);
  } finally {
    if (btfFd >= 0) closeRaw(btfFd);
    if (innerFd >= 0) closeRaw(innerFd);
  }
}

const mapTypes = new TypeProbes({ kind: "map type", names: MAP_TYPE_NAMES, byName: mapTypeByName, probe });

/**
 * Probes whether the running kernel can create maps of `type` (a uapi
 * number or bpftool name such as "ringbuf"). The answer and its reason are
 * cached for the life of the process.
 */
export function probeMapType(type: number | string): ProbeResult {
  return mapTypes.answer(type);
}

/** True when the running kernel supports maps of `type`. */
export function haveMapType(type: number | string): boolean {
  return probeMapType(type).supported;
}
