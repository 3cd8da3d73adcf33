// Public API of the link layer: attaching programs, one file per attach family.
export { Link, LinkGroup, type LinkUpdateOptions } from "./link.js";
export { describeLinkInfo } from "./describe.js";
export {
  attachTracepoint, parseTracepoint, tracepointOfSection, type TracepointName, type TracepointOptions,
} from "./tracepoint.js";
export { attachUprobe, uprobeOfSection, type UprobeOptions, type UprobeSection } from "./uprobe.js";
export { resolveUprobeBinary } from "./uprobe-binary.js";
export { symbolFileOffset, type SymbolOffset } from "./elf-symbol-offset.js";
export {
  attachUprobeMulti, uprobeMultiOfSection, type UprobeMultiAttachOptions, type UprobeMultiSection,
} from "./uprobe-multi.js";
export {
  attachUsdt, usdtOfSection, usdtNotes, UsdtArgumentError, type UsdtOptions, type UsdtSection, type UsdtNote,
} from "./usdt/index.js";
export { attachKprobe, kprobeOfSection, type KprobeOptions, type KprobeSection, type KprobeInterface } from "./kprobe.js";
export { attachKprobeMulti, kprobeMultiOfSection, type KprobeMultiOptions, type KprobeMultiSection } from "./kprobe-multi.js";
export { attachKsyscall, ksyscallOfSection, type KsyscallOptions, type KsyscallSection } from "./ksyscall.js";
export { attachRawTracepoint, rawTracepointOfSection, type RawTracepointOptions, type RawTracepointSection } from "./raw-tracepoint.js";
export { attachTracing, tracingOfSection, type TracingKind, type TracingOptions, type TracingSection } from "./tracing.js";
export { attachIter, iterOfSection, IterLink, CgroupIterOrder, type IterOptions, type IterSection } from "./iter.js";
export { attachPerfEvent, HARDWARE_EVENTS, SOFTWARE_EVENTS, type PerfEventName, type PerfEventOptions } from "./perf-event.js";
export { attachXdp, xdpOfSection, type XdpMode, type XdpOptions, type XdpSection } from "./xdp.js";
export { attachTcx, tcxAttachments, tcxOfSection, type TcDirection, type TcSection, type TcxOptions } from "./tcx.js";
export { attachNetkit, netkitAttachments, netkitOfSection, type NetkitOptions, type NetkitSide } from "./netkit.js";
export type { MprogAnchor, MprogAttachments, MprogPosition } from "./mprog.js";
export type { InterfaceRef } from "./net-device.js";
export { attachTc, tcOfSection, type TcOptions } from "./tc.js";
export { AutoAttachment, type AutoAttachOptions, type SkippedProgram } from "./auto-attach.js";
export { attachCgroup, cgroupOfSection, isCgroupAttachType, type CgroupOptions, type CgroupAttachMode } from "./cgroup.js";
export { cgroupAttachments, type CgroupAttachment } from "./cgroup-query.js";
export { type CgroupRef } from "./cgroup-target.js";
export { attachSocketFilter, attachReuseport, nodeSocketFd, type SocketRef } from "./socket.js";
export { attachNetns, netnsOfSection, type NetnsOptions, type NetnsRef } from "./netns.js";
export { attachNetfilter, netfilterOfSection, NetfilterFamily, NetfilterHook, type NetfilterOptions } from "./netfilter.js";
export { attachSockmap, sockmapOfSection, type SockmapOptions } from "./sockmap.js";
