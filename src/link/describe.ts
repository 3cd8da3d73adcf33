// What a link is attached to, in words, from what the kernel reports about it
// ("tracepoint syscalls/sys_enter_openat", "xdp on ifindex 3"): the `target`
// of a Link opened by id or from a pin, and bpftool-like error messages.
import { attachTypeName } from "../program/types.js";
import { LinkType, PerfEventLinkType, linkTypeName, type LinkInfo } from "../sys/link-info.js";

const perfEventKinds: Readonly<Record<number, string>> = {
  [PerfEventLinkType.UPROBE]: "uprobe", [PerfEventLinkType.URETPROBE]: "uretprobe",
  [PerfEventLinkType.KPROBE]: "kprobe", [PerfEventLinkType.KRETPROBE]: "kretprobe",
  [PerfEventLinkType.TRACEPOINT]: "tracepoint", [PerfEventLinkType.EVENT]: "perf event",
};

/** A short description of the attachment `info` describes. */
export function describeLinkInfo(info: LinkInfo): string {
  const type = linkTypeName(info.type);
  switch (info.type) {
    case LinkType.RAW_TRACEPOINT: return `raw_tracepoint ${info.rawTracepoint?.name ?? "?"}`;
    case LinkType.TRACING: return `${attachTypeName(info.tracing?.attachType ?? 0)} btf id ${info.tracing?.targetBtfId ?? 0}`;
    case LinkType.CGROUP: return `${attachTypeName(info.cgroup?.attachType ?? 0)} on cgroup id ${info.cgroup?.cgroupId ?? 0n}`;
    case LinkType.ITER: return `iter ${info.iter?.targetName ?? "?"}`;
    case LinkType.NETNS: return `${attachTypeName(info.netns?.attachType ?? 0)} on netns ${info.netns?.netnsIno ?? 0}`;
    case LinkType.XDP: return `xdp on ifindex ${info.xdp?.ifindex ?? 0}`;
    case LinkType.TCX: return `${attachTypeName(info.tcx?.attachType ?? 0)} on ifindex ${info.tcx?.ifindex ?? 0}`;
    case LinkType.NETKIT: return `${attachTypeName(info.netkit?.attachType ?? 0)} on ifindex ${info.netkit?.ifindex ?? 0}`;
    case LinkType.STRUCT_OPS: return `struct_ops map id ${info.structOps?.mapId ?? 0}`;
    case LinkType.SOCKMAP: return `${attachTypeName(info.sockmap?.attachType ?? 0)} on map id ${info.sockmap?.mapId ?? 0}`;
    case LinkType.NETFILTER: {
      const nf = info.netfilter;
      return nf ? `netfilter pf ${nf.pf} hook ${nf.hooknum} priority ${nf.priority}` : type;
    }
    case LinkType.UPROBE_MULTI: return `uprobe_multi ${info.uprobeMulti?.path ?? "?"} (${info.uprobeMulti?.count ?? 0} probes)`;
    case LinkType.KPROBE_MULTI: return `kprobe_multi (${info.kprobeMulti?.count ?? 0} functions)`;
    case LinkType.PERF_EVENT: {
      const pe = info.perfEvent;
      if (!pe) return type;
      const kind = perfEventKinds[pe.type] ?? "perf event";
      return pe.name ? `${kind} ${pe.name}${pe.offset ? `+0x${pe.offset.toString(16)}` : ""}` : kind;
    }
    default: return type;
  }
}
