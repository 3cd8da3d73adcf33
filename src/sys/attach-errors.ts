// Errors of the attach family (LINK_CREATE, PROG_ATTACH, RAW_TRACEPOINT_OPEN …)
// explained in terms of what the user asked for. The kernel answers these
// calls with a handful of errnos whose meaning depends on the attach type, so
// the messages name the attach type and the usual cause.
import * as E from "./errno.js";
import {
  BadFdError, BpfError, BusyError, InvalidArgumentError, NotFoundError, NotSupportedError, PermissionError, errorFromErrno,
} from "./errors.js";
import { explainPermissionDenied } from "./privileges.js";

// [bpftool name, first Linux version] per enum bpf_attach_type value. The
// names duplicate src/program/types.ts on purpose: sys must not import from
// the layers above it.
const attachTypes: ReadonlyArray<readonly [string, string]> = [
  ["cgroup_inet_ingress", "4.10"], ["cgroup_inet_egress", "4.10"], ["cgroup_inet_sock_create", "4.10"],
  ["cgroup_sock_ops", "4.13"], ["sk_skb_stream_parser", "4.14"], ["sk_skb_stream_verdict", "4.14"],
  ["cgroup_device", "4.15"], ["sk_msg_verdict", "4.17"], ["cgroup_inet4_bind", "4.17"], ["cgroup_inet6_bind", "4.17"],
  ["cgroup_inet4_connect", "4.17"], ["cgroup_inet6_connect", "4.17"], ["cgroup_inet4_post_bind", "4.17"],
  ["cgroup_inet6_post_bind", "4.17"], ["cgroup_udp4_sendmsg", "4.18"], ["cgroup_udp6_sendmsg", "4.18"],
  ["lirc_mode2", "4.18"], ["flow_dissector", "4.20"], ["cgroup_sysctl", "5.2"], ["cgroup_udp4_recvmsg", "5.2"],
  ["cgroup_udp6_recvmsg", "5.2"], ["cgroup_getsockopt", "5.3"], ["cgroup_setsockopt", "5.3"], ["trace_raw_tp", "5.5"],
  ["trace_fentry", "5.5"], ["trace_fexit", "5.5"], ["modify_return", "5.7"], ["lsm_mac", "5.7"], ["trace_iter", "5.8"],
  ["cgroup_inet4_getpeername", "5.8"], ["cgroup_inet6_getpeername", "5.8"], ["cgroup_inet4_getsockname", "5.8"],
  ["cgroup_inet6_getsockname", "5.8"], ["xdp_devmap", "5.8"], ["cgroup_inet_sock_release", "5.9"], ["xdp_cpumap", "5.9"],
  ["sk_lookup", "5.9"], ["xdp", "5.9"], ["sk_skb_verdict", "5.13"], ["sk_reuseport_select", "5.14"],
  ["sk_reuseport_select_or_migrate", "5.14"], ["perf_event", "5.15"], ["trace_kprobe_multi", "5.18"],
  ["lsm_cgroup", "6.0"], ["struct_ops", "6.4"], ["netfilter", "6.4"], ["tcx_ingress", "6.6"], ["tcx_egress", "6.6"],
  ["trace_uprobe_multi", "6.6"], ["cgroup_unix_connect", "6.7"], ["cgroup_unix_sendmsg", "6.7"],
  ["cgroup_unix_recvmsg", "6.7"], ["cgroup_unix_getpeername", "6.7"], ["cgroup_unix_getsockname", "6.7"],
  ["netkit_primary", "6.7"], ["netkit_peer", "6.7"], ["trace_kprobe_session", "6.10"], ["trace_uprobe_session", "6.13"],
];

/** bpftool's name of an attach type with its number ("tcx_ingress (46)"). */
export function describeAttachType(attachType: number): string {
  const name = attachTypes[attachType]?.[0];
  return name ? `${name} (${attachType})` : `attach type ${attachType}`;
}

/** The first Linux version that knows an attach type, when known. */
export function attachTypeSince(attachType: number): string | undefined {
  return attachTypes[attachType]?.[1];
}

/** What an attach call was doing, for the error message. */
export interface AttachContext {
  /** The bpf command ("BPF_LINK_CREATE"). */
  operation: string;
  /** The attach type, when the call has one. */
  attachType?: number;
  /** The target in words ("ifindex 3", "cgroup fd 12"). */
  target?: string;
  /** The attr, so E2BIG can name the field the kernel does not know. */
  attr?: {
    /** The last field of the attr that is not zero. */
    lastNonZeroField(): string | undefined;
  };
}

/** Turns the errno of a failed attach-family call into a typed error with a hint. */
export function attachError(errno: number, ctx: AttachContext): BpfError {
  const type = ctx.attachType === undefined ? undefined : describeAttachType(ctx.attachType);
  const what = [type, ctx.target].filter(Boolean).join(" on ");
  const op = ctx.operation;
  const head = what ? `${op} (${what})` : op;
  const d = { operation: op, errno };
  switch (errno) {
    case E.EPERM:
    case E.EACCES:
      return new PermissionError(
        `${head}: ${E.errnoName(errno)}: attaching needs CAP_BPF plus CAP_PERFMON (tracing) or CAP_NET_ADMIN ` +
          `(networking and cgroups); for cgroup attach it also means a program that forbids overriding is already ` +
          `attached (use ALLOW_OVERRIDE/ALLOW_MULTI) — ${explainPermissionDenied()}`,
        d,
      );
    case E.EINVAL:
      return new InvalidArgumentError(
        `${head}: EINVAL: the kernel rejected the attach — the program's type and the expected_attach_type it was ` +
          `loaded with must match the attach type, the target must be of the kind this attach type expects, and ` +
          `unused flags/options must be zero` +
          (ctx.target?.startsWith("ifindex")
            ? ` (for XDP this is also the answer when no device has that ifindex in the caller's network namespace)`
            : ""),
        undefined,
        d,
      );
    case E.EBADF:
      return new BadFdError(`${head}: EBADF: a file descriptor is closed or of the wrong kind (program, target or link)`, d);
    case E.EBUSY:
    case E.EEXIST:
      return new BusyError(
        `${head}: ${E.errnoName(errno)}: something is already attached there (detach it, or use the replace/multi flags)`,
        d,
      );
    case E.ENODEV:
      return new NotFoundError(`${head}: ENODEV: the target device does not exist (check the ifindex and the netns)`, d);
    case E.ENOENT:
      return new NotFoundError(`${head}: ENOENT: the target does not exist (unknown tracepoint, function or attachment)`, d);
    case E.ENOSYS:
    case E.EOPNOTSUPP:
    case E.ENOTSUPP: {
      const since = ctx.attachType === undefined ? undefined : attachTypeSince(ctx.attachType);
      return new NotSupportedError(`${head} (${E.errnoName(errno)})`, since, d);
    }
    default:
      return errorFromErrno(errno, op, what, ctx.attr);
  }
}
