// Names of program and map types exactly as bpftool prints them (the uapi
// enum name, lower-cased, without the BPF_PROG_TYPE_/BPF_MAP_TYPE_ prefix),
// indexed by their uapi number. The feature probes and the CLI share them.

/** bpftool's name of each program type, indexed by `enum bpf_prog_type`. */
export const PROGRAM_TYPE_NAMES: readonly string[] = [
  "unspec", "socket_filter", "kprobe", "sched_cls", "sched_act", "tracepoint", "xdp", "perf_event",
  "cgroup_skb", "cgroup_sock", "lwt_in", "lwt_out", "lwt_xmit", "sock_ops", "sk_skb", "cgroup_device",
  "sk_msg", "raw_tracepoint", "cgroup_sock_addr", "lwt_seg6local", "lirc_mode2", "sk_reuseport",
  "flow_dissector", "cgroup_sysctl", "raw_tracepoint_writable", "cgroup_sockopt", "tracing", "struct_ops",
  "ext", "lsm", "sk_lookup", "syscall", "netfilter",
];

/** bpftool's name of each map type, indexed by `enum bpf_map_type`. */
export const MAP_TYPE_NAMES: readonly string[] = [
  "unspec", "hash", "array", "prog_array", "perf_event_array", "percpu_hash", "percpu_array", "stack_trace",
  "cgroup_array", "lru_hash", "lru_percpu_hash", "lpm_trie", "array_of_maps", "hash_of_maps", "devmap",
  "sockmap", "cpumap", "xskmap", "sockhash", "cgroup_storage", "reuseport_sockarray", "percpu_cgroup_storage",
  "queue", "stack", "sk_storage", "devmap_hash", "struct_ops", "ringbuf", "inode_storage", "task_storage",
  "bloom_filter", "user_ringbuf", "cgrp_storage", "arena",
];

/** Name of a program type, or `type N` for numbers newer than this table (as bpftool does). */
export function programTypeName(type: number): string {
  return PROGRAM_TYPE_NAMES[type] ?? `type ${type}`;
}

/** Name of a map type, or `type N` for numbers newer than this table. */
export function mapTypeName(type: number): string {
  return MAP_TYPE_NAMES[type] ?? `type ${type}`;
}

/** Program type number for a bpftool name (`xdp`), or undefined. */
export function programTypeByName(name: string): number | undefined {
  const i = PROGRAM_TYPE_NAMES.indexOf(name);
  return i > 0 ? i : undefined;
}

/** Map type number for a bpftool name (`hash`), or undefined. */
export function mapTypeByName(name: string): number | undefined {
  const i = MAP_TYPE_NAMES.indexOf(name);
  return i > 0 ? i : undefined;
}
