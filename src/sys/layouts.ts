// Every bpf(2) command number and attr layout tsbpf uses, in one place.
// Offsets follow include/uapi/linux/bpf.h; test/sys/sys-layouts.test.ts checks
// them against the installed uapi header with a C compiler (offsetof), and
// the newest fields against the running kernel's BTF.
import { defineLayout, name16, u16, u32, u64 } from "./attr.js";

/** bpf(2) commands (enum bpf_cmd). */
export const enum Cmd {
  MAP_CREATE = 0,
  MAP_LOOKUP_ELEM = 1,
  MAP_UPDATE_ELEM = 2,
  MAP_DELETE_ELEM = 3,
  MAP_GET_NEXT_KEY = 4,
  PROG_LOAD = 5,
  OBJ_PIN = 6,
  OBJ_GET = 7,
  PROG_ATTACH = 8,
  PROG_DETACH = 9,
  PROG_TEST_RUN = 10,
  PROG_GET_NEXT_ID = 11,
  MAP_GET_NEXT_ID = 12,
  PROG_GET_FD_BY_ID = 13,
  MAP_GET_FD_BY_ID = 14,
  OBJ_GET_INFO_BY_FD = 15,
  PROG_QUERY = 16,
  RAW_TRACEPOINT_OPEN = 17,
  BTF_LOAD = 18,
  BTF_GET_FD_BY_ID = 19,
  TASK_FD_QUERY = 20,
  MAP_LOOKUP_AND_DELETE_ELEM = 21,
  MAP_FREEZE = 22,
  BTF_GET_NEXT_ID = 23,
  MAP_LOOKUP_BATCH = 24,
  MAP_LOOKUP_AND_DELETE_BATCH = 25,
  MAP_UPDATE_BATCH = 26,
  MAP_DELETE_BATCH = 27,
  LINK_CREATE = 28,
  LINK_UPDATE = 29,
  LINK_GET_FD_BY_ID = 30,
  LINK_GET_NEXT_ID = 31,
  ENABLE_STATS = 32,
  ITER_CREATE = 33,
  LINK_DETACH = 34,
  PROG_BIND_MAP = 35,
  TOKEN_CREATE = 36,
}

/** Symbolic names of commands, for error messages. */
export const cmdName: Record<number, string> = {
  0: "BPF_MAP_CREATE", 1: "BPF_MAP_LOOKUP_ELEM", 2: "BPF_MAP_UPDATE_ELEM", 3: "BPF_MAP_DELETE_ELEM",
  4: "BPF_MAP_GET_NEXT_KEY", 5: "BPF_PROG_LOAD", 6: "BPF_OBJ_PIN", 7: "BPF_OBJ_GET", 8: "BPF_PROG_ATTACH",
  9: "BPF_PROG_DETACH", 10: "BPF_PROG_TEST_RUN", 11: "BPF_PROG_GET_NEXT_ID", 12: "BPF_MAP_GET_NEXT_ID",
  13: "BPF_PROG_GET_FD_BY_ID", 14: "BPF_MAP_GET_FD_BY_ID", 15: "BPF_OBJ_GET_INFO_BY_FD", 16: "BPF_PROG_QUERY",
  17: "BPF_RAW_TRACEPOINT_OPEN", 18: "BPF_BTF_LOAD", 19: "BPF_BTF_GET_FD_BY_ID", 20: "BPF_TASK_FD_QUERY",
  21: "BPF_MAP_LOOKUP_AND_DELETE_ELEM", 22: "BPF_MAP_FREEZE", 23: "BPF_BTF_GET_NEXT_ID",
  24: "BPF_MAP_LOOKUP_BATCH", 25: "BPF_MAP_LOOKUP_AND_DELETE_BATCH", 26: "BPF_MAP_UPDATE_BATCH",
  27: "BPF_MAP_DELETE_BATCH", 28: "BPF_LINK_CREATE", 29: "BPF_LINK_UPDATE", 30: "BPF_LINK_GET_FD_BY_ID",
  31: "BPF_LINK_GET_NEXT_ID", 32: "BPF_ENABLE_STATS", 33: "BPF_ITER_CREATE", 34: "BPF_LINK_DETACH",
  35: "BPF_PROG_BIND_MAP", 36: "BPF_TOKEN_CREATE",
};

export const MapCreateAttr = defineLayout("map_create", 80, {
  map_type: u32(0), key_size: u32(4), value_size: u32(8), max_entries: u32(12), map_flags: u32(16),
  inner_map_fd: u32(20), numa_node: u32(24), map_name: name16(28), map_ifindex: u32(44), btf_fd: u32(48),
  btf_key_type_id: u32(52), btf_value_type_id: u32(56), btf_vmlinux_value_type_id: u32(60),
  map_extra: u64(64), value_type_btf_obj_fd: u32(72), map_token_fd: u32(76),
});

/** MAP_{LOOKUP,UPDATE,DELETE}_ELEM, GET_NEXT_KEY, LOOKUP_AND_DELETE_ELEM, FREEZE. */
export const MapElemAttr = defineLayout("map_elem", 32, {
  map_fd: u32(0), key: u64(8), value: u64(16), next_key: u64(16), flags: u64(24),
});

/** The four MAP_*_BATCH commands. */
export const MapBatchAttr = defineLayout("map_batch", 56, {
  in_batch: u64(0), out_batch: u64(8), keys: u64(16), values: u64(24), count: u32(32), map_fd: u32(36),
  elem_flags: u64(40), flags: u64(48),
});

export const ProgLoadAttr = defineLayout("prog_load", 148, {
  prog_type: u32(0), insn_cnt: u32(4), insns: u64(8), license: u64(16), log_level: u32(24), log_size: u32(28),
  log_buf: u64(32), kern_version: u32(40), prog_flags: u32(44), prog_name: name16(48), prog_ifindex: u32(64),
  expected_attach_type: u32(68), prog_btf_fd: u32(72), func_info_rec_size: u32(76), func_info: u64(80),
  func_info_cnt: u32(88), line_info_rec_size: u32(92), line_info: u64(96), line_info_cnt: u32(104),
  attach_btf_id: u32(108), attach_prog_fd: u32(112), attach_btf_obj_fd: u32(112), core_relo_cnt: u32(116),
  fd_array: u64(120), core_relos: u64(128), core_relo_rec_size: u32(136), log_true_size: u32(140),
  prog_token_fd: u32(144),
});

/** OBJ_PIN and OBJ_GET. */
export const ObjAttr = defineLayout("obj", 20, {
  pathname: u64(0), bpf_fd: u32(8), file_flags: u32(12), path_fd: u32(16),
});

export const ProgTestRunAttr = defineLayout("prog_test_run", 76, {
  prog_fd: u32(0), retval: u32(4), data_size_in: u32(8), data_size_out: u32(12), data_in: u64(16),
  data_out: u64(24), repeat: u32(32), duration: u32(36), ctx_size_in: u32(40), ctx_size_out: u32(44),
  ctx_in: u64(48), ctx_out: u64(56), flags: u32(64), cpu: u32(68), batch_size: u32(72),
});

/** *_GET_NEXT_ID and *_GET_FD_BY_ID. */
export const GetIdAttr = defineLayout("get_id", 12, {
  start_id: u32(0), id: u32(0), next_id: u32(4), open_flags: u32(8),
});

export const InfoByFdAttr = defineLayout("info_by_fd", 16, {
  bpf_fd: u32(0), info_len: u32(4), info: u64(8),
});

/** PROG_ATTACH and PROG_DETACH. */
export const ProgAttachAttr = defineLayout("prog_attach", 32, {
  target_fd: u32(0), attach_bpf_fd: u32(4), attach_type: u32(8), attach_flags: u32(12),
  replace_bpf_fd: u32(16), relative_fd: u32(20), relative_id: u32(20), expected_revision: u64(24),
});

export const ProgQueryAttr = defineLayout("prog_query", 64, {
  target_fd: u32(0), attach_type: u32(4), query_flags: u32(8), attach_flags: u32(12), prog_ids: u64(16),
  prog_cnt: u32(24), prog_attach_flags: u64(32), link_ids: u64(40), link_attach_flags: u64(48), revision: u64(56),
});

export const RawTracepointOpenAttr = defineLayout("raw_tracepoint", 24, {
  name: u64(0), prog_fd: u32(8), cookie: u64(16),
});

export const BtfLoadAttr = defineLayout("btf_load", 40, {
  btf: u64(0), btf_log_buf: u64(8), btf_size: u32(16), btf_log_size: u32(20), btf_log_level: u32(24),
  btf_log_true_size: u32(28), btf_flags: u32(32), btf_token_fd: u32(36),
});

/** LINK_CREATE: the common head plus the per-attach-type unions at offset 16. */
export const LinkCreateAttr = defineLayout("link_create", 64, {
  prog_fd: u32(0), map_fd: u32(0), target_fd: u32(4), target_ifindex: u32(4), attach_type: u32(8), flags: u32(12),
  target_btf_id: u32(16), iter_info: u64(16), iter_info_len: u32(24),
  perf_event_bpf_cookie: u64(16),
  kprobe_multi_flags: u32(16), kprobe_multi_cnt: u32(20), kprobe_multi_syms: u64(24),
  kprobe_multi_addrs: u64(32), kprobe_multi_cookies: u64(40),
  tracing_target_btf_id: u32(16), tracing_cookie: u64(24),
  tcx_relative_fd: u32(16), tcx_relative_id: u32(16), tcx_expected_revision: u64(24),
  uprobe_multi_path: u64(16), uprobe_multi_offsets: u64(24), uprobe_multi_ref_ctr_offsets: u64(32),
  uprobe_multi_cookies: u64(40), uprobe_multi_cnt: u32(48), uprobe_multi_flags: u32(52), uprobe_multi_pid: u32(56),
  netfilter_pf: u32(16), netfilter_hooknum: u32(20), netfilter_priority: u32(24), netfilter_flags: u32(28),
});

export const LinkUpdateAttr = defineLayout("link_update", 16, {
  link_fd: u32(0), new_prog_fd: u32(4), new_map_fd: u32(4), flags: u32(8), old_prog_fd: u32(12), old_map_fd: u32(12),
});

export const LinkDetachAttr = defineLayout("link_detach", 4, { link_fd: u32(0) });

export const IterCreateAttr = defineLayout("iter_create", 8, { link_fd: u32(0), flags: u32(4) });

export const TaskFdQueryAttr = defineLayout("task_fd_query", 48, {
  pid: u32(0), fd: u32(4), flags: u32(8), buf_len: u32(12), buf: u64(16),
  prog_id: u32(24), fd_type: u32(28), probe_offset: u64(32), probe_addr: u64(40),
});

export const EnableStatsAttr = defineLayout("enable_stats", 4, { type: u32(0) });

export const ProgBindMapAttr = defineLayout("prog_bind_map", 12, { prog_fd: u32(0), map_fd: u32(4), flags: u32(8) });

/** struct bpf_map_info. */
export const MapInfo = defineLayout("bpf_map_info", 88, {
  type: u32(0), id: u32(4), key_size: u32(8), value_size: u32(12), max_entries: u32(16), map_flags: u32(20),
  name: name16(24), ifindex: u32(40), btf_vmlinux_value_type_id: u32(44), netns_dev: u64(48), netns_ino: u64(56),
  btf_id: u32(64), btf_key_type_id: u32(68), btf_value_type_id: u32(72), btf_vmlinux_id: u32(76), map_extra: u64(80),
});

/** struct bpf_prog_info. */
export const ProgInfo = defineLayout("bpf_prog_info", 232, {
  type: u32(0), id: u32(4), tag: u64(8), jited_prog_len: u32(16), xlated_prog_len: u32(20),
  jited_prog_insns: u64(24), xlated_prog_insns: u64(32), load_time: u64(40), created_by_uid: u32(48),
  nr_map_ids: u32(52), map_ids: u64(56), name: name16(64), ifindex: u32(80), gpl_compatible: u32(84),
  netns_dev: u64(88), netns_ino: u64(96), nr_jited_ksyms: u32(104), nr_jited_func_lens: u32(108),
  jited_ksyms: u64(112), jited_func_lens: u64(120), btf_id: u32(128), func_info_rec_size: u32(132),
  func_info: u64(136), nr_func_info: u32(144), nr_line_info: u32(148), line_info: u64(152),
  jited_line_info: u64(160), nr_jited_line_info: u32(168), line_info_rec_size: u32(172),
  jited_line_info_rec_size: u32(176), nr_prog_tags: u32(180), prog_tags: u64(184), run_time_ns: u64(192),
  run_cnt: u64(200), recursion_misses: u64(208), verified_insns: u32(216), attach_btf_obj_id: u32(220),
  attach_btf_id: u32(224),
});

/** struct bpf_btf_info. */
export const BtfInfo = defineLayout("bpf_btf_info", 32, {
  btf: u64(0), btf_size: u32(8), id: u32(12), name: u64(16), name_len: u32(24), kernel_btf: u32(28),
});

/** struct bpf_link_info: the common head; per-type unions start at 16. */
export const LinkInfo = defineLayout("bpf_link_info", 96, {
  type: u32(0), id: u32(4), prog_id: u32(8),
  u0: u32(16), u1: u32(20), u2: u32(24), u3: u32(28), u4: u32(32), u5: u32(36),
  u64_16: u64(16), u64_24: u64(24), u64_32: u64(32), u64_40: u64(40),
});

/**
 * struct bpf_link_info with the per-link-type union members named
 * (`<union member>_<field>`); the head is the same as {@link LinkInfo}.
 */
export const LinkInfoDetail = defineLayout("bpf_link_info_detail", 96, {
  type: u32(0), id: u32(4), prog_id: u32(8),
  raw_tracepoint_tp_name: u64(16), raw_tracepoint_tp_name_len: u32(24), raw_tracepoint_cookie: u64(32),
  tracing_attach_type: u32(16), tracing_target_obj_id: u32(20), tracing_target_btf_id: u32(24), tracing_cookie: u64(32),
  cgroup_cgroup_id: u64(16), cgroup_attach_type: u32(24),
  iter_target_name: u64(16), iter_target_name_len: u32(24), iter_map_id: u32(28),
  iter_cgroup_id: u64(32), iter_order: u32(40), iter_tid: u32(32), iter_pid: u32(36),
  netns_netns_ino: u32(16), netns_attach_type: u32(20),
  xdp_ifindex: u32(16),
  struct_ops_map_id: u32(16),
  netfilter_pf: u32(16), netfilter_hooknum: u32(20), netfilter_priority: u32(24), netfilter_flags: u32(28),
  kprobe_multi_addrs: u64(16), kprobe_multi_count: u32(24), kprobe_multi_flags: u32(28), kprobe_multi_missed: u64(32),
  kprobe_multi_cookies: u64(40),
  uprobe_multi_path: u64(16), uprobe_multi_offsets: u64(24), uprobe_multi_ref_ctr_offsets: u64(32),
  uprobe_multi_cookies: u64(40), uprobe_multi_path_size: u32(48), uprobe_multi_count: u32(52),
  uprobe_multi_flags: u32(56), uprobe_multi_pid: u32(60),
  perf_event_type: u32(16),
  perf_event_uprobe_file_name: u64(24), perf_event_uprobe_name_len: u32(32), perf_event_uprobe_offset: u32(36),
  perf_event_uprobe_cookie: u64(40),
  perf_event_kprobe_func_name: u64(24), perf_event_kprobe_name_len: u32(32), perf_event_kprobe_offset: u32(36),
  perf_event_kprobe_addr: u64(40), perf_event_kprobe_missed: u64(48), perf_event_kprobe_cookie: u64(56),
  perf_event_tracepoint_tp_name: u64(24), perf_event_tracepoint_name_len: u32(32), perf_event_tracepoint_cookie: u64(40),
  perf_event_event_config: u64(24), perf_event_event_type: u32(32), perf_event_event_cookie: u64(40),
  tcx_ifindex: u32(16), tcx_attach_type: u32(20),
  netkit_ifindex: u32(16), netkit_attach_type: u32(20),
  sockmap_map_id: u32(16), sockmap_attach_type: u32(20),
});

/**
 * struct perf_event_attr (PERF_ATTR_SIZE_VER8, Linux 6.3). Older kernels
 * accept the larger size as long as the fields they do not know are zero.
 * `flags` is the 64-bit word holding the bitfields (disabled, inherit …).
 */
export const PerfEventAttr = defineLayout("perf_event_attr", 136, {
  type: u32(0), size: u32(4), config: u64(8), sample_period: u64(16), sample_freq: u64(16), sample_type: u64(24),
  read_format: u64(32), flags: u64(40), wakeup_events: u32(48), wakeup_watermark: u32(48), bp_type: u32(52),
  config1: u64(56), kprobe_func: u64(56), uprobe_path: u64(56), bp_addr: u64(56),
  config2: u64(64), probe_offset: u64(64), kprobe_addr: u64(64), bp_len: u64(64),
  branch_sample_type: u64(72), sample_regs_user: u64(80), sample_stack_user: u32(88), clockid: u32(92),
  sample_regs_intr: u64(96), aux_watermark: u32(104), sample_max_stack: u16(108), aux_sample_size: u32(112),
  aux_action: u32(116), sig_data: u64(120), config3: u64(128),
});
