// bpftool's renderings of `link show`: plain text and JSON, per link type,
// in upstream bpftool's layout (fields, order, spacing). Older bpftools (the
// Debian 7.1 one) print a subset: the same header and the details they knew.
import { attachTypeName, programTypeName } from "../program/types.js";
import { LinkType, PerfEventLinkType, linkTypeName, type LinkInfo, type PerfEventLinkInfo } from "../sys/link-info.js";
import { pidsJson, pidsPlain, type ObjectRef } from "./pids.js";

/** What `link show` prints besides the link's own info. */
export interface LinkShowExtras {
  /** Program type of the program behind a tracing link (bpftool reads it from the program). */
  readonly progType?: number;
  /** Paths the link is pinned at (-f); undefined when bpftool would print no "pinned" member at all. */
  readonly pinned?: readonly string[];
  /** Processes holding the link. */
  readonly refs?: readonly ObjectRef[];
  /** Interface names by ifindex, in the caller's network namespace. */
  readonly ifname?: (ifindex: number) => string | undefined;
  /** Kernel symbol at an address (kprobe_multi). */
  readonly ksym?: (addr: bigint) => string | undefined;
}

const knownLinkType = (type: number): boolean => !linkTypeName(type).startsWith("type ");
const knownAttachType = (type: number): boolean => !attachTypeName(type).startsWith("attach_type ");
const knownProgType = (type: number): boolean => !programTypeName(type).startsWith("type ");

/** enum bpf_cgroup_iter_order, as bpftool names it. */
const CGROUP_ITER_ORDERS = ["order_unspec", "self_only", "descendants_pre", "descendants_post", "ancestors_up"];
const cgroupOrder = (order: number): string => CGROUP_ITER_ORDERS[order] ?? "unknown";

const isMapIter = (t: string): boolean => t === "bpf_map_elem" || t === "bpf_sk_storage_map";
const isTaskIter = (t: string): boolean => t === "task" || t === "task_file" || t === "task_vma";

const KPROBE_MULTI_RETURN = 1;
const UPROBE_MULTI_RETURN = 1;

/** perf_event_attr.type names and per-type config names (bpftool's tables, from perf). */
const PERF_TYPES = ["hardware", "software", "tracepoint", "hw-cache", "raw", "breakpoint"];
const PERF_HW = [
  "cpu-cycles", "instructions", "cache-references", "cache-misses", "branch-instructions", "branch-misses", "bus-cycles",
  "stalled-cycles-frontend", "stalled-cycles-backend", "ref-cycles",
];
const PERF_SW = [
  "cpu-clock", "task-clock", "page-faults", "context-switches", "cpu-migrations", "minor-faults", "major-faults",
  "alignment-faults", "emulation-faults", "dummy", "bpf-output", "cgroup-switches",
];
const PERF_CACHE = ["L1-dcache", "L1-icache", "LLC", "dTLB", "iTLB", "branch", "node"];
const PERF_CACHE_OP = ["load", "store", "prefetch"];
const PERF_CACHE_RESULT = ["refs", "misses"];
const PERF_TYPE_HARDWARE = 0;
const PERF_TYPE_SOFTWARE = 1;
const PERF_TYPE_HW_CACHE = 3;

function perfConfigName(type: number, config: bigint): string | undefined {
  const pick = (names: readonly string[], v: bigint): string | undefined => (v < BigInt(names.length) ? names[Number(v)] : undefined);
  switch (type) {
    case PERF_TYPE_HARDWARE: return pick(PERF_HW, config);
    case PERF_TYPE_SOFTWARE: return pick(PERF_SW, config);
    case PERF_TYPE_HW_CACHE: {
      const cache = config & 0xffn;
      const op = (config >> 8n) & 0xffn;
      const result = config >> 16n;
      return `${pick(PERF_CACHE, cache) ?? cache}-${pick(PERF_CACHE_OP, op) ?? op}-${pick(PERF_CACHE_RESULT, result) ?? result}`;
    }
    default: return undefined;
  }
}

/** netfilter protocol families and hook names (NFPROTO_*, NF_INET_*, NF_ARP_*). */
const NF_PF: Readonly<Record<number, string>> = { 1: "inet", 2: "ip", 3: "arp", 5: "netdev", 7: "bridge", 10: "ip6" };
const NF_INET_HOOKS = ["prerouting", "input", "forward", "output", "postrouting"];
const NF_ARP_HOOKS = ["input", "output"];

function netfilterHook(pf: number, hook: number): string | undefined {
  if (pf === 7 || pf === 2 || pf === 10 || pf === 1) return NF_INET_HOOKS[hook];
  if (pf === 3) return NF_ARP_HOOKS[hook];
  return undefined;
}

/** The (address, cookie) pairs of a kprobe_multi link, by address, as bpftool sorts them. */
function sortedProbes(info: NonNullable<LinkInfo["kprobeMulti"]>): { addr: bigint; cookie: bigint }[] {
  return info.addrs.map((addr, i) => ({ addr, cookie: info.cookies[i] ?? 0n })).sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
}

const hex = (v: bigint | number): string => v.toString(16);
/** printf("%#x"): 0 prints as "0", others with 0x. */
const altHex = (v: number): string => (v ? `0x${hex(v)}` : "0");

/** `link show` as a JSON object, members in bpftool's order. */
export function linkShowJson(info: LinkInfo, extras: LinkShowExtras = {}): Record<string, unknown> {
  const o: Record<string, unknown> = { id: info.id, type: knownLinkType(info.type) ? info.typeName : info.type, prog_id: info.progId };
  const attachType = (t: number): void => {
    o.attach_type = knownAttachType(t) ? attachTypeName(t) : t;
  };
  const ifindex = (i: number): void => {
    o.devname = i ? extras.ifname?.(i) ?? "(unknown)" : "(detached)";
    o.ifindex = i;
  };
  switch (info.type) {
    case LinkType.RAW_TRACEPOINT:
      o.tp_name = info.rawTracepoint?.name ?? "";
      break;
    case LinkType.TRACING: {
      const t = info.tracing!;
      const pt = extras.progType ?? 0;
      o.prog_type = knownProgType(pt) ? programTypeName(pt) : pt;
      attachType(t.attachType);
      o.target_obj_id = t.targetObjId;
      o.target_btf_id = t.targetBtfId;
      break;
    }
    case LinkType.CGROUP:
      o.cgroup_id = info.cgroup!.cgroupId;
      attachType(info.cgroup!.attachType);
      break;
    case LinkType.ITER: {
      const it = info.iter!;
      o.target_name = it.targetName;
      if (isMapIter(it.targetName)) o.map_id = it.mapId;
      else if (isTaskIter(it.targetName)) {
        if (it.tid) o.tid = it.tid;
        else if (it.pid) o.pid = it.pid;
      }
      if (it.targetName === "cgroup") {
        o.cgroup_id = it.cgroupId;
        o.order = cgroupOrder(it.order);
      }
      break;
    }
    case LinkType.NETNS:
      o.netns_ino = info.netns!.netnsIno;
      attachType(info.netns!.attachType);
      break;
    case LinkType.NETFILTER: {
      const nf = info.netfilter!;
      Object.assign(o, { pf: nf.pf, hook: nf.hooknum, prio: nf.priority, flags: nf.flags });
      break;
    }
    case LinkType.TCX:
      ifindex(info.tcx!.ifindex);
      attachType(info.tcx!.attachType);
      break;
    case LinkType.NETKIT:
      ifindex(info.netkit!.ifindex);
      attachType(info.netkit!.attachType);
      break;
    case LinkType.SOCKMAP:
      o.map_id = info.sockmap!.mapId;
      attachType(info.sockmap!.attachType);
      break;
    case LinkType.XDP:
      ifindex(info.xdp!.ifindex);
      break;
    case LinkType.STRUCT_OPS:
      o.map_id = info.structOps!.mapId;
      break;
    case LinkType.KPROBE_MULTI: {
      const km = info.kprobeMulti!;
      o.retprobe = (km.flags & KPROBE_MULTI_RETURN) !== 0;
      o.func_cnt = km.count;
      o.missed = km.missed;
      o.funcs = sortedProbes(km).map((p) => ({ addr: p.addr, func: extras.ksym?.(p.addr) ?? "", module: null, cookie: p.cookie }));
      break;
    }
    case LinkType.UPROBE_MULTI: {
      const um = info.uprobeMulti!;
      o.retprobe = (um.flags & UPROBE_MULTI_RETURN) !== 0;
      o.path = um.path;
      o.func_cnt = um.count;
      o.pid = um.pid | 0;
      o.funcs = um.offsets.map((offset, i) => ({ offset, ref_ctr_offset: um.refCtrOffsets[i] ?? 0n, cookie: um.cookies[i] ?? 0n }));
      break;
    }
    case LinkType.PERF_EVENT:
      if (info.perfEvent) Object.assign(o, perfEventJson(info.perfEvent));
      break;
  }
  if (extras.pinned) o.pinned = [...extras.pinned];
  if (extras.refs?.length) o.pids = pidsJson(extras.refs);
  return o;
}

function perfEventJson(pe: PerfEventLinkInfo): Record<string, unknown> {
  switch (pe.type) {
    case PerfEventLinkType.EVENT: {
      const type = pe.eventType ?? 0;
      const config = pe.config ?? 0n;
      return { event_type: PERF_TYPES[type] ?? type, event_config: perfConfigName(type, config) ?? config, cookie: pe.cookie };
    }
    case PerfEventLinkType.TRACEPOINT:
      return { tracepoint: pe.name ?? "", cookie: pe.cookie };
    case PerfEventLinkType.KPROBE:
    case PerfEventLinkType.KRETPROBE:
      return {
        retprobe: pe.type === PerfEventLinkType.KRETPROBE, addr: pe.addr ?? 0n, func: pe.name ?? "", offset: pe.offset ?? 0,
        missed: pe.missed ?? 0n, cookie: pe.cookie,
      };
    case PerfEventLinkType.UPROBE:
    case PerfEventLinkType.URETPROBE:
      return { retprobe: pe.type === PerfEventLinkType.URETPROBE, file: pe.name ?? "", offset: pe.offset ?? 0, cookie: pe.cookie };
    default:
      return {};
  }
}

/** `link show` as bpftool's plain text (without the final newline). */
export function linkShowPlain(info: LinkInfo, extras: LinkShowExtras = {}): string {
  let s = `${info.id}: ${info.typeName}  `;
  s += info.type === LinkType.STRUCT_OPS ? `map ${info.structOps?.mapId ?? 0}  ` : `prog ${info.progId}  `;
  const attachType = (t: number): string => `attach_type ${knownAttachType(t) ? attachTypeName(t) : t}  `;
  const ifindex = (i: number): string => {
    if (!i) return "ifindex (detached)  ";
    const name = extras.ifname?.(i);
    return `ifindex ${name === undefined ? "(unknown)" : `${name}(${i})`}  `;
  };
  switch (info.type) {
    case LinkType.RAW_TRACEPOINT:
      s += `\n\ttp '${info.rawTracepoint?.name ?? ""}'  `;
      break;
    case LinkType.TRACING: {
      const t = info.tracing!;
      const pt = extras.progType ?? 0;
      s += `\n\tprog_type ${knownProgType(pt) ? programTypeName(pt) : pt}  ${attachType(t.attachType)}`;
      if (t.targetObjId || t.targetBtfId) s += `\n\ttarget_obj_id ${t.targetObjId}  target_btf_id ${t.targetBtfId}  `;
      break;
    }
    case LinkType.CGROUP:
      s += `\n\tcgroup_id ${info.cgroup!.cgroupId}  ${attachType(info.cgroup!.attachType)}`;
      break;
    case LinkType.ITER: {
      const it = info.iter!;
      s += `target_name ${it.targetName}  `;
      if (isMapIter(it.targetName)) s += `map_id ${it.mapId}  `;
      else if (isTaskIter(it.targetName)) {
        // One space after these two, as bpftool prints them.
        if (it.tid) s += `tid ${it.tid} `;
        else if (it.pid) s += `pid ${it.pid} `;
      }
      if (it.targetName === "cgroup") s += `cgroup_id ${it.cgroupId}  order ${cgroupOrder(it.order)}  `;
      break;
    }
    case LinkType.NETNS:
      s += `\n\tnetns_ino ${info.netns!.netnsIno}  ${attachType(info.netns!.attachType)}`;
      break;
    case LinkType.NETFILTER: {
      const nf = info.netfilter!;
      const pf = NF_PF[nf.pf];
      const hook = netfilterHook(nf.pf, nf.hooknum);
      s += pf ? `\n\t${pf}` : `\n\tpf: ${nf.pf}`;
      s += hook ? ` ${hook}` : `, hook ${nf.hooknum},`;
      s += ` prio ${nf.priority}`;
      if (nf.flags) s += ` flags 0x${hex(nf.flags)}`;
      break;
    }
    case LinkType.TCX:
      s += `\n\t${ifindex(info.tcx!.ifindex)}${attachType(info.tcx!.attachType)}`;
      break;
    case LinkType.NETKIT:
      s += `\n\t${ifindex(info.netkit!.ifindex)}${attachType(info.netkit!.attachType)}`;
      break;
    case LinkType.SOCKMAP:
      s += `\n\tmap_id ${info.sockmap!.mapId}  ${attachType(info.sockmap!.attachType)}`;
      break;
    case LinkType.XDP:
      s += `\n\t${ifindex(info.xdp!.ifindex)}`;
      break;
    case LinkType.KPROBE_MULTI:
      s += kprobeMultiPlain(info.kprobeMulti!, extras);
      break;
    case LinkType.UPROBE_MULTI:
      s += uprobeMultiPlain(info.uprobeMulti!);
      break;
    case LinkType.PERF_EVENT:
      if (info.perfEvent) s += perfEventPlain(info.perfEvent);
      break;
  }
  for (const p of extras.pinned ?? []) s += `\n\tpinned ${p}`;
  return s + pidsPlain(extras.refs ?? []);
}

function kprobeMultiPlain(km: NonNullable<LinkInfo["kprobeMulti"]>, extras: LinkShowExtras): string {
  if (!km.count) return "";
  let s = (km.flags & KPROBE_MULTI_RETURN ? "\n\tkretprobe.multi  " : "\n\tkprobe.multi  ") + `func_cnt ${km.count}  `;
  if (km.missed) s += `missed ${km.missed}  `;
  s += `\n\t${"addr".padEnd(16)} ${"cookie".padEnd(16)} func [module]`;
  for (const p of sortedProbes(km)) {
    s += `\n\t${hex(p.addr).padStart(16, "0")} ${hex(p.cookie).padEnd(16)} ${extras.ksym?.(p.addr) ?? ""}  `;
  }
  return s;
}

function uprobeMultiPlain(um: NonNullable<LinkInfo["uprobeMulti"]>): string {
  if (!um.count) return "";
  let s = um.flags & UPROBE_MULTI_RETURN ? "\n\turetprobe.multi  " : "\n\tuprobe.multi  ";
  s += `path ${um.path}  func_cnt ${um.count}  `;
  if (um.pid) s += `pid ${um.pid | 0}  `;
  s += `\n\t${"offset".padEnd(16)}   ${"ref_ctr_offset".padEnd(16)}   ${"cookies".padEnd(16)}`;
  um.offsets.forEach((off, i) => {
    s += `\n\t0x${hex(off).padEnd(16)} 0x${hex(um.refCtrOffsets[i] ?? 0n).padEnd(16)} 0x${hex(um.cookies[i] ?? 0n).padEnd(16)}`;
  });
  return s;
}

function perfEventPlain(pe: PerfEventLinkInfo): string {
  switch (pe.type) {
    case PerfEventLinkType.EVENT: {
      const type = pe.eventType ?? 0;
      const config = pe.config ?? 0n;
      const typeName = PERF_TYPES[type];
      let s = `\n\tevent ${typeName ? `${typeName}:` : `${type} :`}${perfConfigName(type, config) ?? config}  `;
      if (pe.cookie) s += `cookie ${pe.cookie}  `;
      return s;
    }
    case PerfEventLinkType.TRACEPOINT: {
      if (!pe.name) return "";
      return `\n\ttracepoint ${pe.name}  ${pe.cookie ? `cookie ${pe.cookie}  ` : ""}`;
    }
    case PerfEventLinkType.KPROBE:
    case PerfEventLinkType.KRETPROBE: {
      if (!pe.name && !pe.addr) return "";
      let s = pe.type === PerfEventLinkType.KRETPROBE ? "\n\tkretprobe " : "\n\tkprobe ";
      if (pe.addr) s += `${hex(pe.addr)} `;
      s += pe.name ?? "";
      if (pe.offset) s += `+${altHex(pe.offset)}`;
      if (pe.missed) s += `  missed ${pe.missed}`;
      if (pe.cookie) s += `  cookie ${pe.cookie}`;
      return `${s}  `;
    }
    case PerfEventLinkType.UPROBE:
    case PerfEventLinkType.URETPROBE: {
      if (!pe.name) return "";
      let s = `${pe.type === PerfEventLinkType.URETPROBE ? "\n\turetprobe " : "\n\tuprobe "}${pe.name}+${altHex(pe.offset ?? 0)}  `;
      if (pe.cookie) s += `cookie ${pe.cookie}  `;
      return s;
    }
    default:
      return "";
  }
}
