// Flag bits of the attach family of bpf(2) commands (include/uapi/linux/bpf.h
// and if_link.h), named once so callers never write magic numbers.

/** `attach_flags` of BPF_PROG_ATTACH / BPF_PROG_DETACH and `flags` of BPF_LINK_CREATE for tcx/netkit. */
export const AttachFlags = {
  /** BPF_F_ALLOW_OVERRIDE: a program in a child cgroup may override this one (Linux 4.10). */
  ALLOW_OVERRIDE: 1 << 0,
  /** BPF_F_ALLOW_MULTI: several programs per cgroup and attach type (Linux 4.15). */
  ALLOW_MULTI: 1 << 1,
  /** BPF_F_REPLACE: replace the program given by replace fd / old prog fd (Linux 5.6). */
  REPLACE: 1 << 2,
  /** BPF_F_BEFORE: insert before the relative program or link (tcx/netkit, Linux 6.6). */
  BEFORE: 1 << 3,
  /** BPF_F_AFTER: insert after the relative program or link (Linux 6.6). */
  AFTER: 1 << 4,
  /** BPF_F_ID: the relative object is given by id instead of fd (Linux 6.6). */
  ID: 1 << 5,
  /** BPF_F_LINK: the relative object is a link, not a program (Linux 6.6). */
  LINK: 1 << 13,
} as const;

/** `query_flags` of BPF_PROG_QUERY. */
export const QueryFlags = {
  /** BPF_F_QUERY_EFFECTIVE: the programs that run, inherited ones included (cgroups). */
  EFFECTIVE: 1 << 0,
} as const;

/** XDP_FLAGS_* for `flags` of an XDP link (Linux 5.9). */
export const XdpFlags = {
  UPDATE_IF_NOEXIST: 1 << 0,
  SKB_MODE: 1 << 1,
  DRV_MODE: 1 << 2,
  HW_MODE: 1 << 3,
} as const;

/** BPF_F_KPROBE_MULTI_RETURN / BPF_F_UPROBE_MULTI_RETURN: attach to function return. */
export const MULTI_RETURN = 1 << 0;

/** Flags of BPF_LINK_CREATE for netfilter links (BPF_F_NETFILTER_IP_DEFRAG, Linux 6.6). */
export const NetfilterFlags = {
  IP_DEFRAG: 1 << 0,
} as const;
