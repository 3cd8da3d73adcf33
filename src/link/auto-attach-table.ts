// Which SEC() names carry a complete attach target, and which attach function
// takes it from there: the table auto-attach walks, one row per family. A
// program of a family without a row (xdp, tc, cgroup …) needs a target only
// the caller knows (an interface, a cgroup), so it gets the reason and the
// call to make instead.
import type { Program } from "../program/program.js";
import { programTypeName } from "../program/types.js";
import type { Link } from "./link.js";
import { attachTracepoint, tracepointOfSection } from "./tracepoint.js";
import { attachUprobe, uprobeOfSection } from "./uprobe.js";
import { attachUprobeMulti, uprobeMultiOfSection } from "./uprobe-multi.js";
import { attachUsdt, usdtOfSection } from "./usdt/attach.js";
import { attachKprobe, kprobeOfSection } from "./kprobe.js";
import { attachKprobeMulti, kprobeMultiOfSection } from "./kprobe-multi.js";
import { attachKsyscall, ksyscallOfSection } from "./ksyscall.js";
import { attachRawTracepoint, rawTracepointOfSection } from "./raw-tracepoint.js";
import { attachTracing, tracingOfSection } from "./tracing.js";
import { attachIter, iterOfSection } from "./iter.js";

/** One attach family auto-attach knows. */
export interface AutoAttachFamily {
  /** True when `section` (the program's SEC() name) fully describes the target of this family. */
  accepts(section: string, program: Program): boolean;
  attach(program: Program): Link;
}

export const autoAttachFamilies: readonly AutoAttachFamily[] = [
  { accepts: (s) => tracepointOfSection(s) !== undefined, attach: (p) => attachTracepoint(p) },
  { accepts: (s) => uprobeOfSection(s) !== undefined, attach: (p) => attachUprobe(p) },
  { accepts: (s) => uprobeMultiOfSection(s) !== undefined, attach: (p) => attachUprobeMulti(p) },
  { accepts: (s) => usdtOfSection(s) !== undefined, attach: (p) => attachUsdt(p) },
  { accepts: (s) => kprobeOfSection(s) !== undefined, attach: (p) => attachKprobe(p) },
  { accepts: (s) => kprobeMultiOfSection(s) !== undefined, attach: (p) => attachKprobeMulti(p) },
  { accepts: (s) => ksyscallOfSection(s) !== undefined, attach: (p) => attachKsyscall(p) },
  { accepts: (s) => rawTracepointOfSection(s) !== undefined, attach: (p) => attachRawTracepoint(p) },
  // fentry/fexit/fmod_ret/lsm/freplace: the target was fixed at load. lsm_cgroup also needs a cgroup.
  { accepts: (s) => { const t = tracingOfSection(s); return t !== undefined && t.kind !== "lsm_cgroup"; }, attach: (p) => attachTracing(p) },
  { accepts: (s) => iterOfSection(s) !== undefined, attach: (p) => attachIter(p) },
];

/** SEC() prefixes whose target only the caller can give, with the call that attaches them. */
const manualTargets: ReadonlyArray<[RegExp, string]> = [
  [/^xdp/, "an XDP program needs an interface: attachXdp(program, { interface })"],
  [/^(tcx|tc|classifier|action)\b/, "a tc program needs an interface: attachTcx(program, { interface, direction }) or attachTc(…)"],
  [/^netkit/, "a netkit program needs a netkit device: attachNetkit(program, { interface, … })"],
  [/^lsm_cgroup\b/, "an lsm_cgroup program needs a cgroup: attachTracing(program, { cgroup })"],
  [/^(cgroup|cgroup_skb|sockops)\b/, "a cgroup program needs a cgroup: attachCgroup(program, { cgroup })"],
  [/^socket\b/, "a socket filter needs a socket: attachSocketFilter(program, socket)"],
  [/^sk_reuseport\b/, "an sk_reuseport program needs its socket group: attachReuseport(program, socket)"],
  [/^(sk_msg|sk_skb)\b/, "a sockmap program needs its sockmap/sockhash: attachSockmap(program, map)"],
  [/^(sk_lookup|flow_dissector)\b/, "needs a network namespace, chosen by the caller: attachNetns(program[, { netns }])"],
  [/^netfilter\b/, "a netfilter program needs a protocol family and hook: attachNetfilter(program, { family, hook, priority })"],
  [/^perf_event\b/, "a perf_event program needs an event to sample: attachPerfEvent(program, { … })"],
  [/^struct_ops/, "struct_ops programs run when their struct_ops map is registered (attached with the map)"],
  [/^(freplace|ext)\b/, "an freplace program attaches to the target given at load: attachTracing(program)"],
  [/^(uprobe|uretprobe|usdt|kprobe|kretprobe|tracepoint|tp|raw_tp|raw_tracepoint|iter)/, "its SEC() name gives no target; pass one to the attach function"],
];

/** Why `program` is not auto-attached, and how to attach it. */
export function manualAttachReason(program: Program): string {
  const section = program.sectionName;
  if (section === undefined) return `no SEC() name (a ${programTypeName(program.type)} program not loaded from an object)`;
  const hit = manualTargets.find(([re]) => re.test(section));
  return hit ? `SEC("${section}"): ${hit[1]}` : `SEC("${section}") names no target tsbpf can attach to by itself`;
}
