// BPF links: LINK_CREATE with every per-attach-type option, LINK_UPDATE,
// LINK_DETACH and opening links by id. The typed, low-level layer under the
// user-facing Link classes of src/link/.
import { Attr, addressOf, stableBytes } from "./attr.js";
import { cString } from "./cstring.js";
import { Cmd, LinkCreateAttr, LinkDetachAttr, LinkUpdateAttr } from "./layouts.js";
import { bpfRaw } from "./syscall.js";
import { FD } from "./fd.js";
import { allIds, fdById, type AccessMode } from "./objects.js";
import { InvalidArgumentError, NotSupportedError } from "./errors.js";
import { attachError } from "./attach-errors.js";
import { AttachFlags } from "./attach-flags.js";
import { ENOTSUPP, EOPNOTSUPP, EPERM } from "./errno.js";

/** What an iterator link iterates over (union bpf_iter_link_info); omit for iterators without parameters. */
export type IterInfo =
  /** bpf_map_elem / bpf_sk_storage_map … iterators: the map (Linux 5.9). */
  | { map: FD }
  /** cgroup iterator (Linux 6.1): a cgroup by fd or id, walked in `order` (enum bpf_cgroup_iter_order). */
  | { cgroupFd?: FD; cgroupId?: bigint; order: number }
  /** task/task_file/task_vma iterators limited to one thread, process or pidfd (Linux 6.1). */
  | { tid?: number; pid?: number; pidFd?: FD };

/** Where a tcx/netkit program goes relative to the others (multi-program API, Linux 6.6). */
export interface RelativeOptions {
  /** The program or link (see AttachFlags.LINK) to insert before/after, by fd. */
  relativeFd?: FD;
  /** The same by id (sets AttachFlags.ID). */
  relativeId?: number;
  /** Fail with ESTALE unless the attachment list is at this revision. */
  expectedRevision?: bigint | number;
}

/** kprobe_multi links (Linux 5.18): functions by name or address. */
export interface KprobeMultiOptions {
  /** Kernel function names; mutually exclusive with `addrs`. */
  syms?: readonly string[];
  /** Kernel addresses. */
  addrs?: readonly bigint[];
  /** One cookie per function, read back with bpf_get_attach_cookie. */
  cookies?: readonly bigint[];
  /** MULTI_RETURN for kretprobes. */
  flags?: number;
}

/** uprobe_multi links (Linux 6.6): offsets inside one binary. */
export interface UprobeMultiOptions {
  path: string;
  offsets: readonly (bigint | number)[];
  /** Semaphore (USDT reference counter) offsets, one per probe. */
  refCtrOffsets?: readonly (bigint | number)[];
  cookies?: readonly bigint[];
  /** Only this process (0 or omitted: every process). */
  pid?: number;
  /** MULTI_RETURN for uretprobes. */
  flags?: number;
}

/** netfilter links (Linux 6.4). */
export interface NetfilterOptions {
  /** NFPROTO_IPV4 (2) or NFPROTO_IPV6 (10). */
  pf: number;
  /** NF_INET_PRE_ROUTING (0) … NF_INET_POST_ROUTING (4). */
  hooknum: number;
  priority: number;
  /** NetfilterFlags bits. */
  flags?: number;
}

/** Options of {@link linkCreate}. Set the target and the options block that belongs to the attach type. */
export interface LinkCreateOptions {
  progFd: FD;
  /** enum bpf_attach_type. */
  attachType: number;
  /** cgroup, netns, perf event, target program (freplace) … fd. */
  targetFd?: FD;
  /** Network device for xdp, tcx and netkit. */
  targetIfindex?: number;
  /** `link_create.flags` (XdpFlags, AttachFlags for tcx/netkit …). */
  flags?: number;
  /** freplace / fentry-on-BPF: BTF id of the target function (Linux 5.10). */
  targetBtfId?: number;
  iterInfo?: IterInfo;
  /** bpf cookie of a perf_event link (Linux 5.15). */
  perfEventCookie?: bigint;
  kprobeMulti?: KprobeMultiOptions;
  uprobeMulti?: UprobeMultiOptions;
  /** bpf cookie of fentry/fexit/fmod_ret/lsm links (Linux 6.0). */
  tracingCookie?: bigint;
  tcx?: RelativeOptions;
  netkit?: RelativeOptions;
  netfilter?: NetfilterOptions;
}

// Not a hot path, but the attr is still reused: calls are synchronous and never nest.
const createAttr = new Attr(LinkCreateAttr);
const updateAttr = new Attr(LinkUpdateAttr);
const detachAttr = new Attr(LinkDetachAttr);

/** Points `field` at `values` as a u64 array, which `keep` holds until the syscall returns. */
function setU64Array(
  attr: Attr<keyof typeof LinkCreateAttr.fields>,
  field: keyof typeof LinkCreateAttr.fields,
  values: readonly (bigint | number)[],
  keep: Uint8Array[],
): void {
  const out = stableBytes(values.length * 8);
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  values.forEach((x, i) => v.setBigUint64(i * 8, BigInt.asUintN(64, BigInt(x)), true));
  keep.push(out);
  attr.setPointer(field, out);
}

function checkCount(field: string, expected: number, values: readonly unknown[] | undefined): void {
  if (values && values.length !== expected) {
    throw new InvalidArgumentError(`${field} has ${values.length} entries; it needs one per probe (${expected})`, field);
  }
}

/**
 * Creates a BPF link (BPF_LINK_CREATE, Linux 5.7; xdp 5.9, perf_event 5.15,
 * kprobe_multi 5.18, netfilter 6.4, tcx and uprobe_multi 6.6, netkit 6.7).
 * The program stays attached while the returned link fd (or a pin of it) lives.
 */
export function linkCreate(options: LinkCreateOptions): FD {
  const attr = createAttr.zero();
  // Everything the attr points at must stay referenced until the syscall returns.
  const keep: Uint8Array[] = [];
  attr.set("prog_fd", options.progFd.raw).set("attach_type", options.attachType).set("flags", options.flags ?? 0);
  if (options.targetFd && options.targetIfindex !== undefined) {
    throw new InvalidArgumentError("linkCreate: give targetFd or targetIfindex, not both", "targetIfindex");
  }
  if (options.targetFd) attr.set("target_fd", options.targetFd.raw);
  if (options.targetIfindex !== undefined) attr.set("target_ifindex", options.targetIfindex);
  const target = options.targetIfindex !== undefined ? `ifindex ${options.targetIfindex}` : options.targetFd ? `${options.targetFd}` : undefined;

  if (options.targetBtfId !== undefined) attr.set("target_btf_id", options.targetBtfId);
  if (options.iterInfo) {
    const info = iterInfoBytes(options.iterInfo);
    keep.push(info);
    attr.setPointer("iter_info", info).set("iter_info_len", info.byteLength);
  }
  if (options.perfEventCookie !== undefined) attr.set("perf_event_bpf_cookie", options.perfEventCookie);
  if (options.tracingCookie !== undefined) attr.set("tracing_cookie", options.tracingCookie);
  if (options.kprobeMulti) setKprobeMulti(attr, options.kprobeMulti, keep);
  if (options.uprobeMulti) setUprobeMulti(attr, options.uprobeMulti, keep);
  const relative = options.tcx ?? options.netkit;
  if (relative) setRelative(attr, relative);
  if (options.netfilter) {
    const nf = options.netfilter;
    attr.set("netfilter_pf", nf.pf).set("netfilter_hooknum", nf.hooknum)
      .set("netfilter_priority", nf.priority >>> 0).set("netfilter_flags", nf.flags ?? 0);
  }

  const r = bpfRaw(Cmd.LINK_CREATE, attr.address, attr.size);
  keep.length = 0;
  if (r < 0) throw attachError(-r, { operation: "BPF_LINK_CREATE", attachType: options.attachType, target, attr });
  return new FD(r, "link fd");
}

function iterInfoBytes(info: IterInfo): Uint8Array {
  // union bpf_iter_link_info is 16 bytes (its cgroup member: order, cgroup_fd, cgroup_id).
  const bytes = stableBytes(16);
  const v = new DataView(bytes.buffer, bytes.byteOffset, 16);
  if ("map" in info) {
    v.setUint32(0, info.map.raw, true);
  } else if ("order" in info) {
    v.setUint32(0, info.order, true);
    if (info.cgroupFd) v.setUint32(4, info.cgroupFd.raw, true);
    if (info.cgroupId !== undefined) v.setBigUint64(8, info.cgroupId, true);
  } else {
    v.setUint32(0, info.tid ?? 0, true);
    v.setUint32(4, info.pid ?? 0, true);
    if (info.pidFd) v.setUint32(8, info.pidFd.raw, true);
  }
  return bytes;
}

function setKprobeMulti(attr: Attr<keyof typeof LinkCreateAttr.fields>, o: KprobeMultiOptions, keep: Uint8Array[]): void {
  if (!o.syms === !o.addrs) throw new InvalidArgumentError("kprobeMulti needs exactly one of syms and addrs", "kprobeMulti");
  const count = o.syms?.length ?? o.addrs?.length ?? 0;
  checkCount("kprobeMulti.cookies", count, o.cookies);
  attr.set("kprobe_multi_flags", o.flags ?? 0).set("kprobe_multi_cnt", count);
  if (o.syms) {
    // An array of pointers to NUL-terminated names.
    const names = o.syms.map(cString);
    const table = stableBytes(count * 8);
    const v = new DataView(table.buffer, table.byteOffset, table.byteLength);
    names.forEach((n, i) => v.setBigUint64(i * 8, BigInt(addressOf(n)), true));
    keep.push(...names, table);
    attr.setPointer("kprobe_multi_syms", table);
  } else if (o.addrs) {
    setU64Array(attr, "kprobe_multi_addrs", o.addrs, keep);
  }
  if (o.cookies) setU64Array(attr, "kprobe_multi_cookies", o.cookies, keep);
}

function setUprobeMulti(attr: Attr<keyof typeof LinkCreateAttr.fields>, o: UprobeMultiOptions, keep: Uint8Array[]): void {
  const count = o.offsets.length;
  checkCount("uprobeMulti.refCtrOffsets", count, o.refCtrOffsets);
  checkCount("uprobeMulti.cookies", count, o.cookies);
  const path = cString(o.path);
  keep.push(path);
  attr.setPointer("uprobe_multi_path", path)
    .set("uprobe_multi_cnt", count).set("uprobe_multi_flags", o.flags ?? 0).set("uprobe_multi_pid", o.pid ?? 0);
  setU64Array(attr, "uprobe_multi_offsets", o.offsets, keep);
  if (o.refCtrOffsets) setU64Array(attr, "uprobe_multi_ref_ctr_offsets", o.refCtrOffsets, keep);
  if (o.cookies) setU64Array(attr, "uprobe_multi_cookies", o.cookies, keep);
}

function setRelative(attr: Attr<keyof typeof LinkCreateAttr.fields>, o: RelativeOptions): void {
  if (o.relativeFd && o.relativeId !== undefined) {
    throw new InvalidArgumentError("give relativeFd or relativeId, not both", "relativeId");
  }
  if (o.relativeFd) attr.set("tcx_relative_fd", o.relativeFd.raw);
  if (o.relativeId !== undefined) {
    attr.set("tcx_relative_id", o.relativeId).set("flags", attr.get("flags") | AttachFlags.ID);
  }
  if (o.expectedRevision !== undefined) attr.set("tcx_expected_revision", o.expectedRevision);
}

/** Options of {@link linkUpdate}. */
export interface LinkUpdateOptions {
  /** Replace only if this program is the one behind the link (sets BPF_F_REPLACE). */
  oldProgFd?: FD;
  /** Extra flags (BPF_F_REPLACE is added when oldProgFd is given). */
  flags?: number;
}

/** Puts another program behind an existing link atomically (BPF_LINK_UPDATE, Linux 5.7). */
export function linkUpdate(linkFd: FD, newProgFd: FD, options: LinkUpdateOptions = {}): void {
  const attr = updateAttr.zero();
  let flags = options.flags ?? 0;
  attr.set("link_fd", linkFd.raw).set("new_prog_fd", newProgFd.raw);
  if (options.oldProgFd) {
    flags |= AttachFlags.REPLACE;
    attr.set("old_prog_fd", options.oldProgFd.raw);
  }
  attr.set("flags", flags);
  const r = bpfRaw(Cmd.LINK_UPDATE, attr.address, attr.size);
  if (r < 0) {
    // With BPF_F_REPLACE, EPERM means the link runs another program, not a missing capability.
    if (-r === EPERM && options.oldProgFd) {
      throw new InvalidArgumentError(
        `BPF_LINK_UPDATE: the link does not run the program given as oldProgFd (${options.oldProgFd})`,
        "oldProgFd",
        { operation: "BPF_LINK_UPDATE", errno: EPERM },
      );
    }
    if (-r === EOPNOTSUPP || -r === ENOTSUPP) {
      throw new NotSupportedError(
        `BPF_LINK_UPDATE on ${linkFd}: this link type cannot swap its program (cgroup, iter, netns, xdp, tcx, ` +
          "netkit, sockmap and struct_ops links can)",
        "5.7",
        { operation: "BPF_LINK_UPDATE", errno: -r },
      );
    }
    throw attachError(-r, { operation: "BPF_LINK_UPDATE", target: `${linkFd}`, attr });
  }
}

/**
 * Detaches the program behind a link without closing the link fd
 * (BPF_LINK_DETACH, Linux 5.9). The link stays valid but defunct.
 */
export function linkDetach(linkFd: FD): void {
  const attr = detachAttr.zero();
  attr.set("link_fd", linkFd.raw);
  const r = bpfRaw(Cmd.LINK_DETACH, attr.address, attr.size);
  if (r < 0 && (-r === EOPNOTSUPP || -r === ENOTSUPP)) {
    throw new NotSupportedError(
      `BPF_LINK_DETACH on ${linkFd}: this link type cannot be detached while open (cgroup, netns, xdp, tcx, netkit, ` +
        "sockmap, netfilter and struct_ops links can); close every fd and pin of the link instead",
      "5.9",
      { operation: "BPF_LINK_DETACH", errno: -r },
    );
  }
  if (r < 0) throw attachError(-r, { operation: "BPF_LINK_DETACH", target: `${linkFd}` });
}

/** Opens the link with this id (BPF_LINK_GET_FD_BY_ID, Linux 5.8; needs CAP_SYS_ADMIN). */
export function linkFdById(id: number, mode: AccessMode = "rw"): FD {
  return fdById("link", id, mode);
}

/** Ids of every link on the system, ascending (Linux 5.8). */
export function linkIds(): number[] {
  return [...allIds("link")];
}
