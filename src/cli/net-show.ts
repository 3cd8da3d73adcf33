// `tsbpf net show [dev NAME]`: what bpftool's `net show` lists, in its order
// and layout — XDP per device (from the rtnetlink link dump), then per device
// the tcx and netkit lists (BPF_PROG_QUERY) and the classic tc BPF filters
// (on classes, qdiscs, root, clsact ingress and egress), then the netns's
// flow dissector and every netfilter link. All of it in the caller's network
// namespace (netfilter links are listed system-wide, as bpftool does).
import { openSync } from "node:fs";
import { NetlinkSocket } from "../sys/netlink/socket.js";
import { listInterfaces, XdpAttached, type NetInterface } from "../sys/netlink/interfaces.js";
import { listClasses, listFilters, listQdiscs, TcHandle, type TcObject } from "../sys/netlink/tc.js";
import { progQuery } from "../sys/attach.js";
import { FD } from "../sys/fd.js";
import { fdById } from "../sys/objects.js";
import { BpfError, NotFoundError } from "../sys/errors.js";
import { LinkType } from "../sys/link-info.js";
import { AttachType } from "../program/types.js";
import { Link } from "../link/link.js";
import { progShowInfo } from "./kernel-info.js";

const FLOW_DISSECTOR = 17;

/** One line of the "xdp" section. */
export interface XdpEntry {
  devname: string;
  ifindex: number;
  /** Single attachment: mode and id; several: per-mode entries. */
  mode?: string;
  id?: number;
  multi?: Array<{ mode: string; id: number }>;
}

/** One line of the "tc" section: a tcx/netkit program or a classic cls_bpf filter. */
export type TcEntry =
  | { devname: string; ifindex: number; kind: string; name?: string; progId: number; progFlags: number[]; linkId: number; linkFlags: number[] }
  | { devname: string; ifindex: number; kind: string; filterName?: string; id?: number; actions?: Array<{ name?: string; id?: number }> };

export interface NetfilterEntry {
  pf: number;
  hook: number;
  prio: number;
  flags: number;
  progId: number;
}

export interface NetShow {
  xdp: XdpEntry[];
  tc: TcEntry[];
  flowDissectorId?: number;
  netfilter: NetfilterEntry[];
}

function xdpEntry(dev: NetInterface): XdpEntry | undefined {
  const x = dev.xdp;
  if (!x || x.attached === XdpAttached.NONE) return undefined;
  const entry: XdpEntry = { devname: dev.name, ifindex: dev.ifindex };
  if (x.attached === XdpAttached.MULTI) {
    entry.multi = [];
    if (x.skbProgId !== undefined) entry.multi.push({ mode: "generic", id: x.skbProgId });
    if (x.drvProgId !== undefined) entry.multi.push({ mode: "driver", id: x.drvProgId });
    if (x.hwProgId !== undefined) entry.multi.push({ mode: "offload", id: x.hwProgId });
    return entry;
  }
  const mode = x.attached === XdpAttached.DRV ? "driver" : x.attached === XdpAttached.SKB ? "generic" : x.attached === XdpAttached.HW ? "offload" : undefined;
  if (mode !== undefined && x.progId !== undefined) {
    entry.mode = mode;
    entry.id = x.progId;
  }
  return entry;
}

/** The program's full name (BTF name beyond the kernel's 15 characters), or undefined when it has none or is gone. */
function programName(id: number): string | undefined {
  try {
    using fd = fdById("prog", id);
    const name = progShowInfo(fd).name;
    return name === "" ? undefined : name;
  } catch (e) {
    if (e instanceof BpfError) return undefined;
    throw e;
  }
}

const MPROG_HOOKS: ReadonlyArray<[AttachType, string]> = [
  [AttachType.TCXIngress, "tcx/ingress"], [AttachType.TCXEgress, "tcx/egress"],
  [AttachType.NetkitPrimary, "netkit/primary"], [AttachType.NetkitPeer, "netkit/peer"],
];

function bitsOf(flags: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < 32; j++) if (flags & (1 << j)) out.push((1 << j) >>> 0);
  return out;
}

function mprogEntries(dev: NetInterface): TcEntry[] {
  const out: TcEntry[] = [];
  for (const [attachType, kind] of MPROG_HOOKS) {
    let q;
    try {
      q = progQuery({ targetIfindex: dev.ifindex, attachType });
    } catch (e) {
      if (e instanceof BpfError) continue; // no such hook on this kernel or device (bpftool skips it too)
      throw e;
    }
    q.progIds.forEach((progId, i) => {
      const name = programName(progId);
      out.push({
        devname: dev.name, ifindex: dev.ifindex, kind, ...(name !== undefined ? { name } : {}), progId,
        progFlags: bitsOf(q.progAttachFlags[i] ?? 0), linkId: q.linkIds[i] ?? 0, linkFlags: bitsOf(q.linkAttachFlags[i] ?? 0),
      });
    });
  }
  return out;
}

function filterEntries(socket: NetlinkSocket, dev: NetInterface): TcEntry[] {
  const parents: Array<[number, string]> = [];
  for (const c of listClasses(socket, dev.ifindex)) parents.push([c.handle, c.kind || "unknown"]);
  for (const q of listQdiscs(socket, dev.ifindex)) {
    if (q.kind === "clsact" || q.handle === 0) continue;
    parents.push([q.handle, q.kind || "unknown"]);
  }
  parents.push([TcHandle.ROOT, "root"], [TcHandle.INGRESS, "clsact/ingress"], [TcHandle.EGRESS, "clsact/egress"]);
  const out: TcEntry[] = [];
  for (const [handle, kind] of parents) {
    let filters: TcObject[];
    try {
      filters = listFilters(socket, dev.ifindex, handle);
    } catch (e) {
      // bpftool ignores a parent without filters or a device that went away.
      if (e instanceof BpfError) continue;
      throw e;
    }
    for (const f of filters) {
      if (!f.bpf) continue;
      out.push({
        devname: dev.name, ifindex: dev.ifindex, kind,
        ...(f.bpf.name !== undefined ? { filterName: f.bpf.name } : {}),
        ...(f.bpf.id !== undefined ? { id: f.bpf.id } : {}),
        ...(f.bpf.actions.length ? { actions: f.bpf.actions } : {}),
      });
    }
  }
  return out;
}

function flowDissector(): number | undefined {
  const netns = new FD(openSync("/proc/thread-self/ns/net", "r"), "netns fd");
  try {
    return progQuery({ targetFd: netns, attachType: FLOW_DISSECTOR }).progIds[0];
  } catch (e) {
    if (e instanceof BpfError) return undefined; // kernels that cannot query it
    throw e;
  } finally {
    netns.close();
  }
}

function netfilterLinks(): NetfilterEntry[] {
  const out: NetfilterEntry[] = [];
  for (const info of Link.list()) {
    if (info.type !== LinkType.NETFILTER || !info.netfilter) continue;
    const nf = info.netfilter;
    out.push({ pf: nf.pf, hook: nf.hooknum, prio: nf.priority, flags: nf.flags, progId: info.progId });
  }
  return out.sort((a, b) => a.pf - b.pf || a.hook - b.hook || a.prio - b.prio || a.flags - b.flags);
}

/** Collects what `net show` prints, for every device or the one with `ifindex`. */
export function collectNetShow(socket: NetlinkSocket, ifindex?: number): NetShow {
  const devices = listInterfaces(socket).filter((d) => ifindex === undefined || d.ifindex === ifindex);
  const show: NetShow = { xdp: [], tc: [], netfilter: [] };
  for (const d of devices) {
    const x = xdpEntry(d);
    if (x) show.xdp.push(x);
  }
  for (const d of devices) {
    try {
      show.tc.push(...mprogEntries(d), ...filterEntries(socket, d));
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
  }
  const fd = flowDissector();
  if (fd !== undefined) show.flowDissectorId = fd;
  show.netfilter = netfilterLinks();
  return show;
}

const pfNames: Readonly<Record<number, string>> = { 1: "inet", 2: "ip", 3: "arp", 5: "netdev", 7: "bridge", 10: "ip6" };
const inetHooks = ["prerouting", "input", "forward", "output", "postrouting"];
const arpHooks = ["input", "output"];

function netfilterPlain(nf: NetfilterEntry): string {
  const pf = pfNames[nf.pf];
  const hooks = nf.pf === 3 ? arpHooks : [1, 2, 7, 10].includes(nf.pf) ? inetHooks : [];
  const hook = hooks[nf.hook];
  let s = pf !== undefined ? `\n\t${pf}` : `\n\tpf: ${nf.pf}`;
  s += hook !== undefined ? ` ${hook}` : `, hook ${nf.hook},`;
  s += ` prio ${nf.prio}`;
  if (nf.flags) s += ` flags 0x${nf.flags.toString(16)}`;
  return `${s} prog_id ${nf.progId}`;
}

/** bpftool's plain layout. */
export function netShowPlain(show: NetShow): string {
  let s = "xdp:\n";
  for (const x of show.xdp) {
    s += `${x.devname}(${x.ifindex})`;
    for (const m of x.multi ?? (x.mode !== undefined ? [{ mode: x.mode, id: x.id! }] : [])) s += ` ${m.mode} id ${m.id}`;
    s += "\n";
  }
  s += "\ntc:\n";
  for (const t of show.tc) {
    s += `${t.devname}(${t.ifindex}) ${t.kind}`;
    if ("progId" in t) {
      if (t.name !== undefined) s += ` ${t.name}`;
      s += ` prog_id ${t.progId} `;
      if (t.progFlags.length) s += `prog_flags ${t.progFlags.map((f) => `${f} `).join("")}`;
      if (t.linkId) {
        s += `link_id ${t.linkId} `;
        if (t.linkFlags.length) s += `link_flags ${t.linkFlags.map((f) => `${f} `).join("")}`;
      }
    } else {
      if (t.filterName !== undefined) s += ` ${t.filterName}`;
      if (t.id !== undefined) s += ` id ${t.id}`;
      if (t.actions) s += ` act [${t.actions.map((a) => `{${a.name ?? ""}${a.id !== undefined ? ` id ${a.id}` : ""}}`).join("")}] `;
    }
    s += "\n";
  }
  s += "\nflow_dissector:\n";
  if (show.flowDissectorId !== undefined) s += `id ${show.flowDissectorId}`;
  s += "\nnetfilter:\n";
  for (const nf of show.netfilter) s += netfilterPlain(nf);
  return `${s}\n`;
}

/** bpftool's JSON document (an array holding one object). */
export function netShowJson(show: NetShow): unknown {
  return [{
    xdp: show.xdp.map((x) => ({
      devname: x.devname, ifindex: x.ifindex,
      ...(x.multi ? { multi_attachments: x.multi } : x.mode !== undefined ? { mode: x.mode, id: x.id } : {}),
    })),
    tc: show.tc.map((t) => "progId" in t
      ? {
        devname: t.devname, ifindex: t.ifindex, kind: t.kind, ...(t.name !== undefined ? { name: t.name } : {}),
        prog_id: t.progId, prog_flags: t.progFlags, link_id: t.linkId, link_flags: t.linkFlags,
      }
      : {
        devname: t.devname, ifindex: t.ifindex, kind: t.kind,
        ...(t.filterName !== undefined ? { name: t.filterName } : {}), ...(t.id !== undefined ? { id: t.id } : {}),
        ...(t.actions ? { act: t.actions.map((a) => ({ ...(a.name !== undefined ? { name: a.name } : {}), ...(a.id !== undefined ? { id: a.id } : {}) })) } : {}),
      }),
    flow_dissector: show.flowDissectorId !== undefined ? [{ id: show.flowDissectorId }] : [],
    netfilter: show.netfilter.map((nf) => ({ pf: nf.pf, hook: nf.hook, prio: nf.prio, flags: nf.flags, id: nf.progId })),
  }];
}
