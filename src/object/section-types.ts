// libbpf's SEC() naming conventions: which program type, expected attach
// type and load flags a section name implies. The table mirrors libbpf's
// section_defs (order matters: the first match wins), so an object means the
// same thing to tsbpf as to libbpf.
import { AttachType, ProgramFlags, ProgramType } from "../program/types.js";

/** How a section-name pattern matches (libbpf's "name", "name+" and "name/" forms). */
type MatchKind = "exact" | "plus" | "prefix";

/** What a SEC() name says about a program. */
export interface SectionType {
  /** Program type. */
  readonly type: ProgramType;
  /** Expected attach type (0 when the convention sets none — libbpf passes 0 too). */
  readonly expectedAttachType: AttachType | 0;
  /** BPF_F_SLEEPABLE (".s" sections). */
  readonly sleepable: boolean;
  /** BPF_F_XDP_HAS_FRAGS ("xdp.frags" sections). */
  readonly frags: boolean;
  /** The attach target must be resolved in kernel BTF at load time (fentry, lsm, tp_btf, iter, freplace …). */
  readonly attachBtf: boolean;
  /** The expected attach type must be passed at load (libbpf's SEC_ATTACHABLE). */
  readonly attachTypeRequired: boolean;
  /** A USDT program (attach through the usdt manager). */
  readonly usdt: boolean;
  /** What follows the convention's prefix and '/': the attach target ("do_unlinkat", "syscalls/sys_enter_openat"), if any. */
  readonly attachTo: string | undefined;
  /** The pattern that matched, as libbpf writes it ("kprobe+", "xdp.frags/devmap"). */
  readonly pattern: string;
}

interface Def {
  readonly pattern: string;
  readonly match: MatchKind;
  readonly prefix: string;
  readonly type: ProgramType;
  readonly attach: AttachType | 0;
  readonly flags: number;
}

const SLEEPABLE = 1;
const FRAGS = 2;
const ATTACH_BTF = 4;
const ATTACHABLE = 8;
const USDT = 16;

const T = ProgramType;
const A = AttachType;
/** [pattern, program type, expected attach type, flags] in libbpf's order. */
const table: readonly [string, ProgramType, AttachType | 0, number][] = [
  ["socket", T.SocketFilter, 0, 0],
  ["sk_reuseport/migrate", T.SkReuseport, A.SkReuseportSelectOrMigrate, ATTACHABLE],
  ["sk_reuseport", T.SkReuseport, A.SkReuseportSelect, ATTACHABLE],
  ["kprobe+", T.Kprobe, 0, 0],
  ["uprobe+", T.Kprobe, 0, 0],
  ["uprobe.s+", T.Kprobe, 0, SLEEPABLE],
  ["kretprobe+", T.Kprobe, 0, 0],
  ["uretprobe+", T.Kprobe, 0, 0],
  ["uretprobe.s+", T.Kprobe, 0, SLEEPABLE],
  ["kprobe.multi+", T.Kprobe, A.TraceKprobeMulti, 0],
  ["kretprobe.multi+", T.Kprobe, A.TraceKprobeMulti, 0],
  ["kprobe.session+", T.Kprobe, A.TraceKprobeSession, 0],
  ["uprobe.multi+", T.Kprobe, A.TraceUprobeMulti, 0],
  ["uretprobe.multi+", T.Kprobe, A.TraceUprobeMulti, 0],
  ["uprobe.multi.s+", T.Kprobe, A.TraceUprobeMulti, SLEEPABLE],
  ["uretprobe.multi.s+", T.Kprobe, A.TraceUprobeMulti, SLEEPABLE],
  ["uprobe.session+", T.Kprobe, A.TraceUprobeSession, 0],
  ["uprobe.session.s+", T.Kprobe, A.TraceUprobeSession, SLEEPABLE],
  ["ksyscall+", T.Kprobe, 0, 0],
  ["kretsyscall+", T.Kprobe, 0, 0],
  ["usdt+", T.Kprobe, 0, USDT],
  ["usdt.s+", T.Kprobe, 0, USDT | SLEEPABLE],
  ["tc/ingress", T.SchedCls, A.TCXIngress, 0],
  ["tc/egress", T.SchedCls, A.TCXEgress, 0],
  ["tcx/ingress", T.SchedCls, A.TCXIngress, 0],
  ["tcx/egress", T.SchedCls, A.TCXEgress, 0],
  ["tc", T.SchedCls, 0, 0],
  ["classifier", T.SchedCls, 0, 0],
  ["action", T.SchedAct, 0, 0],
  ["netkit/primary", T.SchedCls, A.NetkitPrimary, 0],
  ["netkit/peer", T.SchedCls, A.NetkitPeer, 0],
  ["tracepoint+", T.Tracepoint, 0, 0],
  ["tp+", T.Tracepoint, 0, 0],
  ["raw_tracepoint+", T.RawTracepoint, 0, 0],
  ["raw_tp+", T.RawTracepoint, 0, 0],
  ["raw_tracepoint.w+", T.RawTracepointWritable, 0, 0],
  ["raw_tp.w+", T.RawTracepointWritable, 0, 0],
  ["tp_btf+", T.Tracing, A.TraceRawTp, ATTACH_BTF],
  ["fentry+", T.Tracing, A.TraceFentry, ATTACH_BTF],
  ["fmod_ret+", T.Tracing, A.ModifyReturn, ATTACH_BTF],
  ["fexit+", T.Tracing, A.TraceFexit, ATTACH_BTF],
  ["fentry.s+", T.Tracing, A.TraceFentry, ATTACH_BTF | SLEEPABLE],
  ["fmod_ret.s+", T.Tracing, A.ModifyReturn, ATTACH_BTF | SLEEPABLE],
  ["fexit.s+", T.Tracing, A.TraceFexit, ATTACH_BTF | SLEEPABLE],
  ["freplace+", T.Ext, 0, ATTACH_BTF],
  ["lsm+", T.LSM, A.LSMMac, ATTACH_BTF],
  ["lsm.s+", T.LSM, A.LSMMac, ATTACH_BTF | SLEEPABLE],
  ["lsm_cgroup+", T.LSM, A.LSMCgroup, ATTACH_BTF],
  ["iter+", T.Tracing, A.TraceIter, ATTACH_BTF],
  ["iter.s+", T.Tracing, A.TraceIter, ATTACH_BTF | SLEEPABLE],
  ["syscall", T.Syscall, 0, SLEEPABLE],
  ["xdp.frags/devmap", T.XDP, A.XDPDevmap, FRAGS],
  ["xdp/devmap", T.XDP, A.XDPDevmap, ATTACHABLE],
  ["xdp.frags/cpumap", T.XDP, A.XDPCpumap, FRAGS],
  ["xdp/cpumap", T.XDP, A.XDPCpumap, ATTACHABLE],
  ["xdp.frags", T.XDP, A.XDP, FRAGS],
  ["xdp", T.XDP, A.XDP, 0],
  ["perf_event", T.PerfEvent, 0, 0],
  ["lwt_in", T.LwtIn, 0, 0],
  ["lwt_out", T.LwtOut, 0, 0],
  ["lwt_xmit", T.LwtXmit, 0, 0],
  ["lwt_seg6local", T.LwtSeg6Local, 0, 0],
  ["sockops", T.SockOps, A.CgroupSockOps, 0],
  ["sk_skb/stream_parser", T.SkSKB, A.SkSKBStreamParser, 0],
  ["sk_skb/stream_verdict", T.SkSKB, A.SkSKBStreamVerdict, 0],
  ["sk_skb/verdict", T.SkSKB, A.SkSKBVerdict, 0],
  ["sk_skb", T.SkSKB, 0, 0],
  ["sk_msg", T.SkMsg, A.SkMsgVerdict, 0],
  ["lirc_mode2", T.LircMode2, A.LircMode2, 0],
  ["flow_dissector", T.FlowDissector, A.FlowDissector, 0],
  ["cgroup_skb/ingress", T.CgroupSKB, A.CgroupInetIngress, 0],
  ["cgroup_skb/egress", T.CgroupSKB, A.CgroupInetEgress, 0],
  ["cgroup/skb", T.CgroupSKB, 0, 0],
  ["cgroup/sock_create", T.CgroupSock, A.CgroupInetSockCreate, ATTACHABLE],
  ["cgroup/sock_release", T.CgroupSock, A.CgroupInetSockRelease, ATTACHABLE],
  ["cgroup/sock", T.CgroupSock, A.CgroupInetSockCreate, 0],
  ["cgroup/post_bind4", T.CgroupSock, A.CgroupInet4PostBind, ATTACHABLE],
  ["cgroup/post_bind6", T.CgroupSock, A.CgroupInet6PostBind, ATTACHABLE],
  ["cgroup/bind4", T.CgroupSockAddr, A.CgroupInet4Bind, ATTACHABLE],
  ["cgroup/bind6", T.CgroupSockAddr, A.CgroupInet6Bind, ATTACHABLE],
  ["cgroup/connect4", T.CgroupSockAddr, A.CgroupInet4Connect, ATTACHABLE],
  ["cgroup/connect6", T.CgroupSockAddr, A.CgroupInet6Connect, ATTACHABLE],
  ["cgroup/connect_unix", T.CgroupSockAddr, A.CgroupUnixConnect, ATTACHABLE],
  ["cgroup/sendmsg4", T.CgroupSockAddr, A.CgroupUDP4Sendmsg, ATTACHABLE],
  ["cgroup/sendmsg6", T.CgroupSockAddr, A.CgroupUDP6Sendmsg, ATTACHABLE],
  ["cgroup/sendmsg_unix", T.CgroupSockAddr, A.CgroupUnixSendmsg, ATTACHABLE],
  ["cgroup/recvmsg4", T.CgroupSockAddr, A.CgroupUDP4Recvmsg, ATTACHABLE],
  ["cgroup/recvmsg6", T.CgroupSockAddr, A.CgroupUDP6Recvmsg, ATTACHABLE],
  ["cgroup/recvmsg_unix", T.CgroupSockAddr, A.CgroupUnixRecvmsg, ATTACHABLE],
  ["cgroup/getpeername4", T.CgroupSockAddr, A.CgroupInet4Getpeername, ATTACHABLE],
  ["cgroup/getpeername6", T.CgroupSockAddr, A.CgroupInet6Getpeername, ATTACHABLE],
  ["cgroup/getpeername_unix", T.CgroupSockAddr, A.CgroupUnixGetpeername, ATTACHABLE],
  ["cgroup/getsockname4", T.CgroupSockAddr, A.CgroupInet4Getsockname, ATTACHABLE],
  ["cgroup/getsockname6", T.CgroupSockAddr, A.CgroupInet6Getsockname, ATTACHABLE],
  ["cgroup/getsockname_unix", T.CgroupSockAddr, A.CgroupUnixGetsockname, ATTACHABLE],
  ["cgroup/sysctl", T.CgroupSysctl, A.CgroupSysctl, ATTACHABLE],
  ["cgroup/getsockopt", T.CgroupSockopt, A.CgroupGetsockopt, ATTACHABLE],
  ["cgroup/setsockopt", T.CgroupSockopt, A.CgroupSetsockopt, ATTACHABLE],
  ["cgroup/dev", T.CgroupDevice, A.CgroupDevice, 0],
  ["struct_ops+", T.StructOps, 0, 0],
  ["struct_ops.s+", T.StructOps, 0, SLEEPABLE],
  ["sk_lookup", T.SkLookup, A.SkLookup, ATTACHABLE],
  ["netfilter", T.Netfilter, A.Netfilter, 0],
];

const defs: readonly Def[] = table.map(([pattern, type, attach, flags]) => {
  const last = pattern[pattern.length - 1];
  const match: MatchKind = last === "+" ? "plus" : last === "/" ? "prefix" : "exact";
  return { pattern, match, prefix: match === "plus" ? pattern.slice(0, -1) : pattern, type, attach, flags };
});

function matches(def: Def, name: string): boolean {
  switch (def.match) {
    case "exact":
      return name === def.prefix;
    case "prefix":
      return name.startsWith(def.prefix);
    case "plus":
      // "type+" is either exactly "type" or "type/extras".
      return name.startsWith(def.prefix) && (name.length === def.prefix.length || name[def.prefix.length] === "/");
  }
}

/**
 * The program type, attach type and flags libbpf derives from a SEC() name
 * (without the leading '?'), or undefined when no convention matches.
 */
export function sectionType(sectionName: string): SectionType | undefined {
  const def = defs.find((d) => matches(d, sectionName));
  if (!def) return undefined;
  const rest = def.match === "plus" && sectionName.length > def.prefix.length ? sectionName.slice(def.prefix.length + 1) : undefined;
  return {
    type: def.type,
    expectedAttachType: def.attach,
    sleepable: (def.flags & SLEEPABLE) !== 0,
    frags: (def.flags & FRAGS) !== 0,
    attachBtf: (def.flags & ATTACH_BTF) !== 0,
    attachTypeRequired: (def.flags & ATTACHABLE) !== 0,
    usdt: (def.flags & USDT) !== 0,
    attachTo: rest === "" ? undefined : rest,
    pattern: def.pattern,
  };
}

/** BPF_PROG_LOAD flags implied by a section type (sleepable, XDP frags). */
export function sectionLoadFlags(t: Pick<SectionType, "sleepable" | "frags">): number {
  return (t.sleepable ? ProgramFlags.SLEEPABLE : 0) | (t.frags ? ProgramFlags.XDP_HAS_FRAGS : 0);
}

/** Every pattern of the table, in matching order (for help texts and tests). */
export const sectionPatterns: readonly string[] = table.map((d) => d[0]);
