// Program types, attach types and load/test-run flags: the uapi numbers of
// include/uapi/linux/bpf.h, with the names bpftool prints for them.

/** enum bpf_prog_type. Names of members follow the uapi; {@link programTypeName} gives bpftool's spelling. */
export enum ProgramType {
  Unspec = 0,
  SocketFilter = 1,
  Kprobe = 2,
  SchedCls = 3,
  SchedAct = 4,
  Tracepoint = 5,
  XDP = 6,
  PerfEvent = 7,
  CgroupSKB = 8,
  CgroupSock = 9,
  LwtIn = 10,
  LwtOut = 11,
  LwtXmit = 12,
  SockOps = 13,
  SkSKB = 14,
  CgroupDevice = 15,
  SkMsg = 16,
  RawTracepoint = 17,
  CgroupSockAddr = 18,
  LwtSeg6Local = 19,
  LircMode2 = 20,
  SkReuseport = 21,
  FlowDissector = 22,
  CgroupSysctl = 23,
  RawTracepointWritable = 24,
  CgroupSockopt = 25,
  /** fentry/fexit/fmod_ret/tp_btf/iter (Linux 5.5). */
  Tracing = 26,
  StructOps = 27,
  /** Freplace (Linux 5.6). */
  Ext = 28,
  /** BPF LSM (Linux 5.7). */
  LSM = 29,
  SkLookup = 30,
  /** Programs that run bpf syscalls (Linux 5.14). */
  Syscall = 31,
  /** Netfilter hooks (Linux 6.4). */
  Netfilter = 32,
}

// Index = uapi number; the strings are libbpf's/bpftool's names.
/** bpftool's name of each program type, indexed by `enum bpf_prog_type`. */
export const PROGRAM_TYPE_NAMES: readonly string[] = [
  "unspec", "socket_filter", "kprobe", "sched_cls", "sched_act", "tracepoint", "xdp", "perf_event",
  "cgroup_skb", "cgroup_sock", "lwt_in", "lwt_out", "lwt_xmit", "sock_ops", "sk_skb", "cgroup_device",
  "sk_msg", "raw_tracepoint", "cgroup_sock_addr", "lwt_seg6local", "lirc_mode2", "sk_reuseport",
  "flow_dissector", "cgroup_sysctl", "raw_tracepoint_writable", "cgroup_sockopt", "tracing", "struct_ops",
  "ext", "lsm", "sk_lookup", "syscall", "netfilter",
];

/** enum bpf_attach_type. {@link attachTypeName} gives bpftool's spelling. */
export enum AttachType {
  CgroupInetIngress = 0,
  CgroupInetEgress = 1,
  CgroupInetSockCreate = 2,
  CgroupSockOps = 3,
  SkSKBStreamParser = 4,
  SkSKBStreamVerdict = 5,
  CgroupDevice = 6,
  SkMsgVerdict = 7,
  CgroupInet4Bind = 8,
  CgroupInet6Bind = 9,
  CgroupInet4Connect = 10,
  CgroupInet6Connect = 11,
  CgroupInet4PostBind = 12,
  CgroupInet6PostBind = 13,
  CgroupUDP4Sendmsg = 14,
  CgroupUDP6Sendmsg = 15,
  LircMode2 = 16,
  FlowDissector = 17,
  CgroupSysctl = 18,
  CgroupUDP4Recvmsg = 19,
  CgroupUDP6Recvmsg = 20,
  CgroupGetsockopt = 21,
  CgroupSetsockopt = 22,
  TraceRawTp = 23,
  TraceFentry = 24,
  TraceFexit = 25,
  ModifyReturn = 26,
  LSMMac = 27,
  TraceIter = 28,
  CgroupInet4Getpeername = 29,
  CgroupInet6Getpeername = 30,
  CgroupInet4Getsockname = 31,
  CgroupInet6Getsockname = 32,
  XDPDevmap = 33,
  CgroupInetSockRelease = 34,
  XDPCpumap = 35,
  SkLookup = 36,
  XDP = 37,
  SkSKBVerdict = 38,
  SkReuseportSelect = 39,
  SkReuseportSelectOrMigrate = 40,
  PerfEvent = 41,
  /** Linux 5.18. */
  TraceKprobeMulti = 42,
  /** Linux 6.0. */
  LSMCgroup = 43,
  StructOps = 44,
  /** Linux 6.4. */
  Netfilter = 45,
  /** Linux 6.6. */
  TCXIngress = 46,
  /** Linux 6.6. */
  TCXEgress = 47,
  /** Linux 6.6. */
  TraceUprobeMulti = 48,
  /** Linux 6.7. */
  CgroupUnixConnect = 49,
  CgroupUnixSendmsg = 50,
  CgroupUnixRecvmsg = 51,
  CgroupUnixGetpeername = 52,
  CgroupUnixGetsockname = 53,
  /** Linux 6.7. */
  NetkitPrimary = 54,
  NetkitPeer = 55,
  /** Linux 6.10. */
  TraceKprobeSession = 56,
  /** Linux 6.13. */
  TraceUprobeSession = 57,
}

const attachTypeNames: readonly string[] = [
  "cgroup_inet_ingress", "cgroup_inet_egress", "cgroup_inet_sock_create", "cgroup_sock_ops",
  "sk_skb_stream_parser", "sk_skb_stream_verdict", "cgroup_device", "sk_msg_verdict", "cgroup_inet4_bind",
  "cgroup_inet6_bind", "cgroup_inet4_connect", "cgroup_inet6_connect", "cgroup_inet4_post_bind",
  "cgroup_inet6_post_bind", "cgroup_udp4_sendmsg", "cgroup_udp6_sendmsg", "lirc_mode2", "flow_dissector",
  "cgroup_sysctl", "cgroup_udp4_recvmsg", "cgroup_udp6_recvmsg", "cgroup_getsockopt", "cgroup_setsockopt",
  "trace_raw_tp", "trace_fentry", "trace_fexit", "modify_return", "lsm_mac", "trace_iter",
  "cgroup_inet4_getpeername", "cgroup_inet6_getpeername", "cgroup_inet4_getsockname", "cgroup_inet6_getsockname",
  "xdp_devmap", "cgroup_inet_sock_release", "xdp_cpumap", "sk_lookup", "xdp", "sk_skb_verdict",
  "sk_reuseport_select", "sk_reuseport_select_or_migrate", "perf_event", "trace_kprobe_multi", "lsm_cgroup",
  "struct_ops", "netfilter", "tcx_ingress", "tcx_egress", "trace_uprobe_multi", "cgroup_unix_connect",
  "cgroup_unix_sendmsg", "cgroup_unix_recvmsg", "cgroup_unix_getpeername", "cgroup_unix_getsockname",
  "netkit_primary", "netkit_peer", "trace_kprobe_session", "trace_uprobe_session",
];

/** bpftool's name of a program type ("socket_filter"); unknown numbers print as "type N" like bpftool. */
export function programTypeName(type: number): string {
  return PROGRAM_TYPE_NAMES[type] ?? `type ${type}`;
}

/** The program type bpftool calls `name`, or undefined. */
export function programTypeFromName(name: string): ProgramType | undefined {
  const i = PROGRAM_TYPE_NAMES.indexOf(name);
  return i < 0 ? undefined : (i as ProgramType);
}

/** bpftool's name of an attach type ("cgroup_inet_ingress"), or "attach_type N". */
export function attachTypeName(type: number): string {
  return attachTypeNames[type] ?? `attach_type ${type}`;
}

/** The attach type bpftool calls `name`, or undefined. */
export function attachTypeFromName(name: string): AttachType | undefined {
  const i = attachTypeNames.indexOf(name);
  return i < 0 ? undefined : (i as AttachType);
}

/** Flags of BPF_PROG_LOAD (`prog_flags`). */
export const ProgramFlags = {
  /** BPF_F_STRICT_ALIGNMENT: verify alignment as if the arch required it. */
  STRICT_ALIGNMENT: 1 << 0,
  /** BPF_F_ANY_ALIGNMENT: skip alignment checks (testing only). */
  ANY_ALIGNMENT: 1 << 1,
  /** BPF_F_TEST_RND_HI32: randomise upper halves of 32-bit subregisters (testing). */
  TEST_RND_HI32: 1 << 2,
  /** BPF_F_TEST_STATE_FREQ: checkpoint verifier states often (testing). */
  TEST_STATE_FREQ: 1 << 3,
  /** BPF_F_SLEEPABLE: the program may sleep (Linux 5.10). */
  SLEEPABLE: 1 << 4,
  /** BPF_F_XDP_HAS_FRAGS: an XDP program that handles multi-buffer frames (Linux 5.18). */
  XDP_HAS_FRAGS: 1 << 5,
  /** BPF_F_XDP_DEV_BOUND_ONLY: bound to the device given by ifindex (Linux 6.3). */
  XDP_DEV_BOUND_ONLY: 1 << 6,
  /** BPF_F_TEST_REG_INVARIANTS: fail on broken register invariants (Linux 6.8, testing). */
  TEST_REG_INVARIANTS: 1 << 7,
  /** BPF_F_TOKEN_FD: `prog_token_fd` is set (Linux 6.9). */
  TOKEN_FD: 1 << 16,
} as const;

/** Flags of BPF_PROG_TEST_RUN. */
export const TestRunFlags = {
  /** BPF_F_TEST_RUN_ON_CPU: run on the CPU given by `cpu` (Linux 5.10; raw_tracepoint programs). */
  RUN_ON_CPU: 1 << 0,
  /** BPF_F_TEST_XDP_LIVE_FRAMES: send the XDP frames for real (Linux 5.18). */
  XDP_LIVE_FRAMES: 1 << 1,
  /** BPF_F_TEST_SKB_CHECKSUM_COMPLETE: CHECKSUM_COMPLETE skbs (Linux 6.1). */
  SKB_CHECKSUM_COMPLETE: 1 << 2,
} as const;

/** Bits of `log_level` in BPF_PROG_LOAD and BPF_BTF_LOAD. */
export const LogLevel = {
  /** Instructions on the path to the error (and every processed instruction). */
  INSTRUCTIONS: 1,
  /** Full register state at every instruction (very large). */
  VERBOSE: 2,
  /** Statistics only (processed insns, states). */
  STATS: 4,
  /** BPF_LOG_FIXED: keep the log's beginning instead of rotating (Linux 6.4). */
  FIXED: 8,
} as const;
