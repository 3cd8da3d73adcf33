// Classic tc through rtnetlink: the clsact qdisc (the hook tc BPF programs
// hang on before tcx), cls_bpf filters in direct-action mode, and the dumps
// `net show` reads. Handles and priorities are tc's: a filter is identified
// by (ifindex, parent, priority, protocol, handle).
import { HOST_LE, MessageBuilder, attrNested, attrString, attrU32, parseAttributes, type NetlinkMessage } from "./message.js";
import { NetlinkSocket, NlmFlags } from "./socket.js";
import { BusyError } from "../errors.js";

const RTM_NEWQDISC = 36;
const RTM_DELQDISC = 37;
const RTM_GETQDISC = 38;
const RTM_GETTCLASS = 42;
const RTM_NEWTFILTER = 44;
const RTM_DELTFILTER = 45;
const RTM_GETTFILTER = 46;
const TCA_KIND = 1;
const TCA_OPTIONS = 2;
const TCA_BPF_ACT = 1;
const TCA_BPF_FD = 6;
const TCA_BPF_NAME = 7;
const TCA_BPF_FLAGS = 8;
const TCA_BPF_TAG = 10;
const TCA_BPF_ID = 11;
const TCA_BPF_FLAG_ACT_DIRECT = 1;
const TCA_ACT_KIND = 1;
const TCA_ACT_OPTIONS = 2;
const TCA_ACT_BPF_NAME = 6;
const TCA_ACT_BPF_ID = 10;

/** tc handles: the clsact qdisc and its two hook points. */
export const TcHandle = {
  ROOT: 0xffff_ffff,
  /** TC_H_CLSACT (= TC_H_INGRESS): parent of the clsact qdisc. */
  CLSACT: 0xffff_fff1,
  /** TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS). */
  INGRESS: 0xffff_fff2,
  /** TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS). */
  EGRESS: 0xffff_fff3,
} as const;

/** ETH_P_ALL in network byte order, the protocol of filters that see every packet. */
const ETH_P_ALL_BE = 0x0300;

/** struct tcmsg: family, ifindex, handle, parent, info. */
function tcmsg(ifindex: number, handle: number, parent: number, info: number): Uint8Array {
  const b = new Uint8Array(20);
  const v = new DataView(b.buffer);
  v.setInt32(4, ifindex, HOST_LE);
  v.setUint32(8, handle >>> 0, HOST_LE);
  v.setUint32(12, parent >>> 0, HOST_LE);
  v.setUint32(16, info >>> 0, HOST_LE);
  return b;
}

/** A qdisc, class or filter header with its attributes. */
export interface TcObject {
  ifindex: number;
  handle: number;
  parent: number;
  /** Filters: priority << 16 | protocol (network order). */
  info: number;
  kind: string;
  /** cls_bpf / act_bpf details of a "bpf" filter. */
  bpf?: TcBpfFilter;
}

/** What a cls_bpf filter reports. */
export interface TcBpfFilter {
  /** TCA_BPF_NAME: the name the filter was given ("prog:[id]" by libbpf and tsbpf, "file:[sec]" by tc). */
  name?: string;
  id?: number;
  tag?: string;
  directAction: boolean;
  /** act_bpf actions attached to the filter: name and program id. */
  actions: Array<{ name?: string; id?: number }>;
}

function parseTcObject(m: NetlinkMessage): TcObject | undefined {
  if (m.payload.length < 20) return undefined;
  const v = new DataView(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
  const attrs = parseAttributes(m.payload.subarray(20));
  const out: TcObject = {
    ifindex: v.getInt32(4, HOST_LE),
    handle: v.getUint32(8, HOST_LE),
    parent: v.getUint32(12, HOST_LE),
    info: v.getUint32(16, HOST_LE),
    kind: attrString(attrs, TCA_KIND) ?? "",
  };
  // TCA_OPTIONS is kind-specific: nested attributes for cls_bpf, a raw struct for some qdiscs
  // (pfifo_fast's tc_prio_qopt), so it is parsed only for the kind read here.
  const options = out.kind === "bpf" ? attrNested(attrs, TCA_OPTIONS) : undefined;
  if (options) {
    const tag = options.get(TCA_BPF_TAG);
    const flags = attrU32(options, TCA_BPF_FLAGS) ?? 0;
    const bpf: TcBpfFilter = { directAction: (flags & TCA_BPF_FLAG_ACT_DIRECT) !== 0, actions: [] };
    const name = attrString(options, TCA_BPF_NAME);
    const id = attrU32(options, TCA_BPF_ID);
    if (name !== undefined) bpf.name = name;
    if (id !== undefined) bpf.id = id;
    if (tag) bpf.tag = Array.from(tag, (b) => b.toString(16).padStart(2, "0")).join("");
    const acts = attrNested(options, TCA_BPF_ACT);
    // Actions are nested by their order (1…TCA_ACT_MAX_PRIO); only act_bpf ones have programs.
    for (const order of [...(acts?.keys() ?? [])].sort((a, b) => a - b)) {
      const act = attrNested(acts!, order);
      if (!act || attrString(act, TCA_ACT_KIND) !== "bpf") continue;
      const actOptions = attrNested(act, TCA_ACT_OPTIONS);
      const entry: { name?: string; id?: number } = {};
      const actName = actOptions && attrString(actOptions, TCA_ACT_BPF_NAME);
      const actId = actOptions && attrU32(actOptions, TCA_ACT_BPF_ID);
      if (actName !== undefined) entry.name = actName;
      if (actId !== undefined) entry.id = actId;
      bpf.actions.push(entry);
    }
    out.bpf = bpf;
  }
  return out;
}

/**
 * Adds the clsact qdisc to a device; true when this call created it, false
 * when the device already had one.
 */
export function addClsact(socket: NetlinkSocket, ifindex: number): boolean {
  const request = new MessageBuilder(RTM_NEWQDISC, 0).header(tcmsg(ifindex, 0xffff_0000, TcHandle.CLSACT, 0)).string(TCA_KIND, "clsact");
  try {
    socket.request(request, NlmFlags.CREATE | NlmFlags.EXCL, `add clsact qdisc (ifindex ${ifindex})`);
    return true;
  } catch (e) {
    if (e instanceof BusyError) return false;
    throw e;
  }
}

/** Deletes the clsact qdisc of a device (and every filter on it). */
export function deleteClsact(socket: NetlinkSocket, ifindex: number): void {
  const request = new MessageBuilder(RTM_DELQDISC, 0).header(tcmsg(ifindex, 0xffff_0000, TcHandle.CLSACT, 0)).string(TCA_KIND, "clsact");
  socket.request(request, 0, `delete clsact qdisc (ifindex ${ifindex})`);
}

/** A cls_bpf filter's identity. */
export interface TcFilterId {
  ifindex: number;
  /** TcHandle.INGRESS or EGRESS (or any class handle). */
  parent: number;
  /** 1…0xffff; 0 lets the kernel choose (the answer says which). */
  priority: number;
  /** The filter's handle; 0 lets the kernel choose. */
  handle: number;
}

/** Options of {@link addBpfFilter}. */
export interface AddBpfFilterOptions extends TcFilterId {
  progFd: number;
  /** TCA_BPF_NAME, shown by `tc filter show` and `bpftool net`. */
  name: string;
  /** Replace the program of the filter with this priority and handle (which must exist) instead of adding one. */
  replace?: boolean;
}

/**
 * Adds (or replaces) a direct-action cls_bpf filter on ETH_P_ALL; returns its
 * identity with the priority and handle the kernel chose.
 */
export function addBpfFilter(socket: NetlinkSocket, o: AddBpfFilterOptions): TcFilterId {
  const request = new MessageBuilder(RTM_NEWTFILTER, 0)
    .header(tcmsg(o.ifindex, o.handle, o.parent, ((o.priority & 0xffff) << 16) | ETH_P_ALL_BE))
    .string(TCA_KIND, "bpf")
    .nest(TCA_OPTIONS)
    .u32(TCA_BPF_FD, o.progFd)
    .string(TCA_BPF_NAME, o.name)
    .u32(TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT)
    .end();
  const flags = NlmFlags.ECHO | (o.replace ? NlmFlags.REPLACE : NlmFlags.CREATE | NlmFlags.EXCL);
  const replies = socket.request(request, flags, `${o.replace ? "replace" : "add"} cls_bpf filter`);
  const echoed = replies.filter((m) => m.type === RTM_NEWTFILTER).map(parseTcObject).find((f) => f !== undefined);
  return {
    ifindex: o.ifindex,
    parent: o.parent,
    priority: echoed ? echoed.info >>> 16 : o.priority,
    handle: echoed ? echoed.handle : o.handle,
  };
}

/** Deletes one filter. */
export function deleteFilter(socket: NetlinkSocket, f: TcFilterId): void {
  const request = new MessageBuilder(RTM_DELTFILTER, 0)
    .header(tcmsg(f.ifindex, f.handle, f.parent, ((f.priority & 0xffff) << 16) | ETH_P_ALL_BE))
    .string(TCA_KIND, "bpf");
  socket.request(request, 0, `delete cls_bpf filter (priority ${f.priority}, handle 0x${f.handle.toString(16)})`);
}

function dump(socket: NetlinkSocket, type: number, ifindex: number, parent: number, what: string): TcObject[] {
  const replies = socket.request(new MessageBuilder(type, 0).header(tcmsg(ifindex, 0, parent, 0)), NlmFlags.DUMP, what);
  return replies.map(parseTcObject).filter((o): o is TcObject => o !== undefined && o.ifindex === ifindex);
}

/** Filters attached under `parent` of a device, in the kernel's order (priority, then handle). */
export function listFilters(socket: NetlinkSocket, ifindex: number, parent: number): TcObject[] {
  return dump(socket, RTM_GETTFILTER, ifindex, parent, `list tc filters (ifindex ${ifindex})`);
}

/** Qdiscs of a device. */
export function listQdiscs(socket: NetlinkSocket, ifindex: number): TcObject[] {
  return dump(socket, RTM_GETQDISC, ifindex, 0, `list qdiscs (ifindex ${ifindex})`);
}

/** Classes of a device. */
export function listClasses(socket: NetlinkSocket, ifindex: number): TcObject[] {
  return dump(socket, RTM_GETTCLASS, ifindex, 0, `list tc classes (ifindex ${ifindex})`);
}
