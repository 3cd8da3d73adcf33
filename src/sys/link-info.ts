// Decodes struct bpf_link_info (BPF_OBJ_GET_INFO_BY_FD on a link fd): the
// common head and the per-link-type fields. Strings (tracepoint names,
// iterator targets, uprobe paths) need a second call with a buffer.
import { Attr, stableBytes } from "./attr.js";
import { readCString } from "./cstring.js";
import { LinkInfoDetail } from "./layouts.js";
import { infoByFd } from "./objects.js";
import type { FD } from "./fd.js";

/** enum bpf_link_type. */
export const LinkType = {
  UNSPEC: 0, RAW_TRACEPOINT: 1, TRACING: 2, CGROUP: 3, ITER: 4, NETNS: 5, XDP: 6, PERF_EVENT: 7,
  KPROBE_MULTI: 8, STRUCT_OPS: 9, NETFILTER: 10, TCX: 11, UPROBE_MULTI: 12, NETKIT: 13, SOCKMAP: 14,
} as const;

// bpftool's spelling, indexed by enum bpf_link_type.
const linkTypeNames = [
  "unspec", "raw_tracepoint", "tracing", "cgroup", "iter", "netns", "xdp", "perf_event", "kprobe_multi",
  "struct_ops", "netfilter", "tcx", "uprobe_multi", "netkit", "sockmap",
];

/** bpftool's name of a link type ("raw_tracepoint"), or "type N". */
export function linkTypeName(type: number): string {
  return linkTypeNames[type] ?? `type ${type}`;
}

/** enum bpf_perf_event_type: what a perf_event link is attached to. */
export const PerfEventLinkType = {
  UNSPEC: 0, UPROBE: 1, URETPROBE: 2, KPROBE: 3, KRETPROBE: 4, TRACEPOINT: 5, EVENT: 6,
} as const;

/** What a perf_event link reports (Linux 6.6). */
export interface PerfEventLinkInfo {
  /** {@link PerfEventLinkType}. */
  type: number;
  /** Tracepoint name, kprobe function or uprobe path. */
  name?: string;
  /** Offset in the function (kprobe) or file (uprobe). */
  offset?: number;
  /** kprobe address. */
  addr?: bigint;
  missed?: bigint;
  /** Generic perf events. */
  config?: bigint;
  eventType?: number;
  cookie: bigint;
}

/** A link as the kernel describes it; only the block of the link's type is set. */
export interface LinkInfo {
  /** {@link LinkType}. */
  type: number;
  /** bpftool's name of the type. */
  typeName: string;
  id: number;
  /** Id of the program behind the link; 0 once detached (Linux 5.9+ for detach). */
  progId: number;
  rawTracepoint?: { name: string; cookie: bigint };
  tracing?: { attachType: number; targetObjId: number; targetBtfId: number; cookie: bigint };
  cgroup?: { cgroupId: bigint; attachType: number };
  iter?: { targetName: string; mapId: number; cgroupId: bigint; order: number; tid: number; pid: number };
  netns?: { netnsIno: number; attachType: number };
  xdp?: { ifindex: number };
  structOps?: { mapId: number };
  netfilter?: { pf: number; hooknum: number; priority: number; flags: number };
  /** `addrs` and `cookies` are parallel, one per function (addresses read as 0 without CAP_SYSLOG-like rights). */
  kprobeMulti?: { count: number; flags: number; missed: bigint; addrs: bigint[]; cookies: bigint[] };
  /** `offsets`, `refCtrOffsets` and `cookies` are parallel, one per probe (Linux 6.8). */
  uprobeMulti?: {
    path: string; count: number; flags: number; pid: number; offsets: bigint[]; refCtrOffsets: bigint[]; cookies: bigint[];
  };
  perfEvent?: PerfEventLinkInfo;
  tcx?: { ifindex: number; attachType: number };
  netkit?: { ifindex: number; attachType: number };
  sockmap?: { mapId: number; attachType: number };
}

type Field = keyof typeof LinkInfoDetail.fields;

// PATH_MAX: the longest string any link reports (uprobe paths).
const STRING_MAX = 4096;
/** The string field (pointer, length) of each link type that has one. */
function stringField(type: number, perfType: number): [Field, Field] | undefined {
  switch (type) {
    case LinkType.RAW_TRACEPOINT: return ["raw_tracepoint_tp_name", "raw_tracepoint_tp_name_len"];
    case LinkType.ITER: return ["iter_target_name", "iter_target_name_len"];
    case LinkType.UPROBE_MULTI: return ["uprobe_multi_path", "uprobe_multi_path_size"];
    case LinkType.PERF_EVENT:
      if (perfType === PerfEventLinkType.TRACEPOINT) return ["perf_event_tracepoint_tp_name", "perf_event_tracepoint_name_len"];
      if (perfType === PerfEventLinkType.KPROBE || perfType === PerfEventLinkType.KRETPROBE) {
        return ["perf_event_kprobe_func_name", "perf_event_kprobe_name_len"];
      }
      if (perfType === PerfEventLinkType.UPROBE || perfType === PerfEventLinkType.URETPROBE) {
        return ["perf_event_uprobe_file_name", "perf_event_uprobe_name_len"];
      }
      return undefined;
    default: return undefined;
  }
}

/**
 * Reads what the kernel reports about a link (BPF_OBJ_GET_INFO_BY_FD, Linux
 * 5.8; per-type fields were added over time — xdp 5.9, perf_event 6.6 …).
 */
export function linkInfo(fd: FD): LinkInfo {
  const info = new Attr(LinkInfoDetail);
  infoByFd(fd, info.bytes);
  const type = info.get("type");
  const perfType = type === LinkType.PERF_EVENT ? info.get("perf_event_type") : 0;
  const arrays = arrayFields(type, info);
  let name = "";
  const str = stringField(type, perfType);
  if (str || arrays.fields.length) {
    // Second call: the kernel copies strings and arrays only into buffers it is given.
    const buf = stableBytes(STRING_MAX);
    info.zero();
    if (str) info.setPointer(str[0], buf).set(str[1], STRING_MAX);
    if (type === LinkType.PERF_EVENT) info.set("perf_event_type", perfType);
    for (const [field, bytes] of arrays.fields) info.setPointer(field, bytes);
    if (arrays.countField) info.set(arrays.countField, arrays.count);
    infoByFd(fd, info.bytes);
    name = readCString(buf);
  }
  return decode(info, name, arrays);
}

/** The u64 array buffers of a multi-probe link, sized by the count the first call reported. */
interface ArrayBuffers {
  countField: Field | undefined;
  count: number;
  fields: [Field, Uint8Array][];
}

// A kernel-reported count is trusted only up to this many entries (the kernel caps multi-probe links far lower).
const MAX_PROBES = 1 << 20;

function arrayFields(type: number, info: Attr<Field>): ArrayBuffers {
  const make = (countField: Field, names: Field[]): ArrayBuffers => {
    const count = Math.min(info.get(countField), MAX_PROBES);
    return { countField, count, fields: count ? names.map((f) => [f, stableBytes(count * 8)]) : [] };
  };
  if (type === LinkType.UPROBE_MULTI) {
    return make("uprobe_multi_count", ["uprobe_multi_offsets", "uprobe_multi_ref_ctr_offsets", "uprobe_multi_cookies"]);
  }
  if (type === LinkType.KPROBE_MULTI) return make("kprobe_multi_count", ["kprobe_multi_addrs", "kprobe_multi_cookies"]);
  return { countField: undefined, count: 0, fields: [] };
}

function readU64s(arrays: ArrayBuffers, field: Field, count: number): bigint[] {
  const bytes = arrays.fields.find(([f]) => f === field)?.[1];
  if (!bytes) return [];
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: Math.min(count, arrays.count) }, (_, i) => v.getBigUint64(i * 8, true));
}

function decode(info: Attr<Field>, name: string, arrays: ArrayBuffers): LinkInfo {
  const type = info.get("type");
  const out: LinkInfo = { type, typeName: linkTypeName(type), id: info.get("id"), progId: info.get("prog_id") };
  const big = (f: Field): bigint => info.getBig(f);
  const s32 = (f: Field): number => info.get(f) | 0;
  switch (type) {
    case LinkType.RAW_TRACEPOINT:
      out.rawTracepoint = { name, cookie: big("raw_tracepoint_cookie") };
      break;
    case LinkType.TRACING:
      out.tracing = {
        attachType: info.get("tracing_attach_type"), targetObjId: info.get("tracing_target_obj_id"),
        targetBtfId: info.get("tracing_target_btf_id"), cookie: big("tracing_cookie"),
      };
      break;
    case LinkType.CGROUP:
      out.cgroup = { cgroupId: big("cgroup_cgroup_id"), attachType: info.get("cgroup_attach_type") };
      break;
    case LinkType.ITER:
      out.iter = {
        targetName: name, mapId: info.get("iter_map_id"), cgroupId: big("iter_cgroup_id"), order: info.get("iter_order"),
        tid: info.get("iter_tid"), pid: info.get("iter_pid"),
      };
      break;
    case LinkType.NETNS:
      out.netns = { netnsIno: info.get("netns_netns_ino"), attachType: info.get("netns_attach_type") };
      break;
    case LinkType.XDP:
      out.xdp = { ifindex: info.get("xdp_ifindex") };
      break;
    case LinkType.STRUCT_OPS:
      out.structOps = { mapId: info.get("struct_ops_map_id") };
      break;
    case LinkType.NETFILTER:
      out.netfilter = {
        pf: info.get("netfilter_pf"), hooknum: info.get("netfilter_hooknum"), priority: s32("netfilter_priority"),
        flags: info.get("netfilter_flags"),
      };
      break;
    case LinkType.KPROBE_MULTI: {
      const count = info.get("kprobe_multi_count");
      out.kprobeMulti = {
        count, flags: info.get("kprobe_multi_flags"), missed: big("kprobe_multi_missed"),
        addrs: readU64s(arrays, "kprobe_multi_addrs", count), cookies: readU64s(arrays, "kprobe_multi_cookies", count),
      };
      break;
    }
    case LinkType.UPROBE_MULTI: {
      const count = info.get("uprobe_multi_count");
      out.uprobeMulti = {
        path: name, count, flags: info.get("uprobe_multi_flags"), pid: info.get("uprobe_multi_pid"),
        offsets: readU64s(arrays, "uprobe_multi_offsets", count),
        refCtrOffsets: readU64s(arrays, "uprobe_multi_ref_ctr_offsets", count),
        cookies: readU64s(arrays, "uprobe_multi_cookies", count),
      };
      break;
    }
    case LinkType.PERF_EVENT:
      out.perfEvent = decodePerfEvent(info, name);
      break;
    case LinkType.TCX:
      out.tcx = { ifindex: info.get("tcx_ifindex"), attachType: info.get("tcx_attach_type") };
      break;
    case LinkType.NETKIT:
      out.netkit = { ifindex: info.get("netkit_ifindex"), attachType: info.get("netkit_attach_type") };
      break;
    case LinkType.SOCKMAP:
      out.sockmap = { mapId: info.get("sockmap_map_id"), attachType: info.get("sockmap_attach_type") };
      break;
  }
  return out;
}

function decodePerfEvent(info: Attr<Field>, name: string): PerfEventLinkInfo {
  const type = info.get("perf_event_type");
  switch (type) {
    case PerfEventLinkType.TRACEPOINT:
      return { type, name, cookie: info.getBig("perf_event_tracepoint_cookie") };
    case PerfEventLinkType.KPROBE:
    case PerfEventLinkType.KRETPROBE:
      return {
        type, name, offset: info.get("perf_event_kprobe_offset"), addr: info.getBig("perf_event_kprobe_addr"),
        missed: info.getBig("perf_event_kprobe_missed"), cookie: info.getBig("perf_event_kprobe_cookie"),
      };
    case PerfEventLinkType.UPROBE:
    case PerfEventLinkType.URETPROBE:
      return { type, name, offset: info.get("perf_event_uprobe_offset"), cookie: info.getBig("perf_event_uprobe_cookie") };
    case PerfEventLinkType.EVENT:
      return {
        type, config: info.getBig("perf_event_event_config"), eventType: info.get("perf_event_event_type"),
        cookie: info.getBig("perf_event_event_cookie"),
      };
    default:
      return { type, cookie: 0n };
  }
}
