// The fd-based attach API: BPF_PROG_ATTACH, BPF_PROG_DETACH, BPF_PROG_QUERY
// (cgroups, sockmaps, flow dissector, lirc, and tcx/netkit's multi-program
// API). Attachments made this way outlive the process; links are usually the
// better choice where the kernel has them.
import { Attr, stableBytes } from "./attr.js";
import { Cmd, ProgAttachAttr, ProgQueryAttr } from "./layouts.js";
import { bpfRaw } from "./syscall.js";
import type { FD } from "./fd.js";
import { ENOSPC } from "./errno.js";
import { InvalidArgumentError } from "./errors.js";
import { attachError } from "./attach-errors.js";
import { AttachFlags, QueryFlags } from "./attach-flags.js";

/** Options of {@link progAttach}. */
export interface ProgAttachOptions {
  /** cgroup, sockmap, netns … fd (the target kind follows from the attach type). */
  targetFd?: FD;
  /** Network device for tcx/netkit attach types (shares the attr slot with targetFd). */
  targetIfindex?: number;
  progFd: FD;
  /** enum bpf_attach_type. */
  attachType: number;
  /** {@link AttachFlags} bits: ALLOW_OVERRIDE, ALLOW_MULTI, REPLACE, BEFORE, AFTER, ID, LINK. */
  flags?: number;
  /** The program to replace (sets REPLACE; cgroups with ALLOW_MULTI, Linux 5.6). */
  replaceProgFd?: FD;
  /** Program/link to insert before or after (tcx/netkit, Linux 6.6). */
  relativeFd?: FD;
  /** The same by id (sets ID). */
  relativeId?: number;
  /** Fail with ESTALE unless the attachment list is at this revision (Linux 6.6). */
  expectedRevision?: bigint | number;
}

/** Options of {@link progDetach}; `progFd` picks one program of a multi-attachment. */
export interface ProgDetachOptions {
  targetFd?: FD;
  targetIfindex?: number;
  attachType: number;
  progFd?: FD;
  flags?: number;
  relativeFd?: FD;
  relativeId?: number;
  expectedRevision?: bigint | number;
}

const attachAttr = new Attr(ProgAttachAttr);

/** target_fd and target_ifindex share one attr slot: exactly one must be given. */
function targetOf(o: { targetFd?: FD; targetIfindex?: number }): number {
  if ((o.targetFd === undefined) === (o.targetIfindex === undefined)) {
    throw new InvalidArgumentError("give exactly one of targetFd and targetIfindex", "targetFd");
  }
  return o.targetFd ? o.targetFd.raw : o.targetIfindex!;
}

function describeTarget(o: { targetFd?: FD; targetIfindex?: number }): string {
  return o.targetFd ? `${o.targetFd}` : `ifindex ${o.targetIfindex}`;
}
const queryAttr = new Attr(ProgQueryAttr);

function fill(o: ProgDetachOptions & { replaceProgFd?: FD }, extraFlags = 0): Attr<keyof typeof ProgAttachAttr.fields> {
  if (o.relativeFd && o.relativeId !== undefined) {
    throw new InvalidArgumentError("give relativeFd or relativeId, not both", "relativeId");
  }
  let flags = (o.flags ?? 0) | extraFlags;
  const attr = attachAttr.zero();
  attr.set("target_fd", targetOf(o)).set("attach_type", o.attachType);
  if (o.progFd) attr.set("attach_bpf_fd", o.progFd.raw);
  if (o.replaceProgFd) {
    flags |= AttachFlags.REPLACE;
    attr.set("replace_bpf_fd", o.replaceProgFd.raw);
  }
  if (o.relativeFd) attr.set("relative_fd", o.relativeFd.raw);
  if (o.relativeId !== undefined) {
    flags |= AttachFlags.ID;
    attr.set("relative_id", o.relativeId);
  }
  if (o.expectedRevision !== undefined) attr.set("expected_revision", o.expectedRevision);
  return attr.set("attach_flags", flags);
}

/**
 * Attaches a program to a target (BPF_PROG_ATTACH, Linux 4.10). The
 * attachment is not tied to any fd: undo it with {@link progDetach}.
 */
export function progAttach(options: ProgAttachOptions): void {
  const attr = fill(options);
  const r = bpfRaw(Cmd.PROG_ATTACH, attr.address, attr.size);
  if (r < 0) {
    throw attachError(-r, { operation: "BPF_PROG_ATTACH", attachType: options.attachType, target: describeTarget(options), attr });
  }
}

/** Detaches a program attached with {@link progAttach} (BPF_PROG_DETACH). */
export function progDetach(options: ProgDetachOptions): void {
  const attr = fill(options);
  const r = bpfRaw(Cmd.PROG_DETACH, attr.address, attr.size);
  if (r < 0) {
    throw attachError(-r, { operation: "BPF_PROG_DETACH", attachType: options.attachType, target: describeTarget(options), attr });
  }
}

/** Options of {@link progQuery}. */
export interface ProgQueryOptions {
  targetFd?: FD;
  /** Network device for tcx/netkit (Linux 6.6). */
  targetIfindex?: number;
  attachType: number;
  /** {@link QueryFlags} bits (EFFECTIVE: include programs inherited from parent cgroups). */
  queryFlags?: number;
}

/** What is attached at a target, as BPF_PROG_QUERY reports it. */
export interface ProgQueryResult {
  /** Attach flags of the attach type (cgroups: ALLOW_OVERRIDE/ALLOW_MULTI). */
  attachFlags: number;
  progIds: number[];
  /** Per-program attach flags (cgroups, Linux 6.0; empty for effective queries). */
  progAttachFlags: number[];
  /** Link ids, parallel to progIds, 0 for fd-based attachments (tcx/netkit, Linux 6.6). */
  linkIds: number[];
  linkAttachFlags: number[];
  /** Revision of the attachment list (tcx/netkit; 0 elsewhere). */
  revision: bigint;
}

const MAX_QUERY_ATTEMPTS = 4;

/**
 * Lists the programs attached to a target (BPF_PROG_QUERY, Linux 4.15).
 * Two calls: the first learns the count, the second fills buffers of that
 * size; if programs were attached in between, it asks again.
 */
export function progQuery(options: ProgQueryOptions): ProgQueryResult {
  const queryFlags = options.queryFlags ?? 0;
  const effective = (queryFlags & QueryFlags.EFFECTIVE) !== 0;
  const fail = (errno: number): never => {
    throw attachError(errno, { operation: "BPF_PROG_QUERY", attachType: options.attachType, target: describeTarget(options) });
  };
  const attr = queryAttr.zero();
  const target = targetOf(options);
  attr.set("target_fd", target).set("attach_type", options.attachType).set("query_flags", queryFlags);
  let r = bpfRaw(Cmd.PROG_QUERY, attr.address, attr.size);
  if (r < 0) fail(-r);
  for (let attempt = 0; ; attempt++) {
    const count = attr.get("prog_cnt");
    const progIds = stableBytes(count * 4);
    const progFlags = stableBytes(count * 4);
    const linkIds = stableBytes(count * 4);
    const linkFlags = stableBytes(count * 4);
    attr.zero().set("target_fd", target).set("attach_type", options.attachType)
      .set("query_flags", queryFlags).set("prog_cnt", count).setPointer("prog_ids", count ? progIds : null);
    // The kernel rejects per-program flags for effective cgroup queries.
    if (count && !effective) attr.setPointer("prog_attach_flags", progFlags);
    if (count) attr.setPointer("link_ids", linkIds).setPointer("link_attach_flags", linkFlags);
    r = bpfRaw(Cmd.PROG_QUERY, attr.address, attr.size);
    if (r < 0 && -r === ENOSPC && attempt < MAX_QUERY_ATTEMPTS) continue; // more programs appeared meanwhile
    if (r < 0) fail(-r);
    const n = Math.min(count, attr.get("prog_cnt"));
    const read = (b: Uint8Array): number[] => {
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
      return Array.from({ length: n }, (_, i) => v.getUint32(i * 4, true));
    };
    return {
      attachFlags: attr.get("attach_flags"),
      progIds: read(progIds),
      progAttachFlags: effective ? [] : read(progFlags),
      linkIds: read(linkIds),
      linkAttachFlags: read(linkFlags),
      revision: attr.getBig("revision"),
    };
  }
}
