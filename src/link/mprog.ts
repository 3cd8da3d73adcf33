// The multi-program hooks of network devices (tcx ingress/egress, Linux 6.6;
// netkit primary/peer, 6.7): an ordered list of programs per hook, where a
// new one goes before or after a program or link already there (by object or
// id), guarded by the list's revision. Shared by tcx.ts and netkit.ts.
import type { Program } from "../program/program.js";
import type { AttachType } from "../program/types.js";
import { linkCreate, type RelativeOptions } from "../sys/link.js";
import { progQuery } from "../sys/attach.js";
import { AttachFlags } from "../sys/attach-flags.js";
import { BpfError, BusyError, InvalidArgumentError, NoSpaceError, NotFoundError } from "../sys/errors.js";
import { describeValue } from "../sys/arguments.js";
import { ENOENT, ERANGE, EEXIST } from "../sys/errno.js";
import { Link } from "./link.js";
import { describeDevice, resolveDevice, type InterfaceRef, type NetDevice } from "./net-device.js";

const ESTALE = 116;

/** A program or link already on the hook, by object or by kernel id. */
export type MprogAnchor = Program | Link | { programId: number } | { linkId: number };

/** Where a new program goes in the hook's list (default: at the end). */
export interface MprogPosition {
  /** Directly before this program or link; "all": at the front. */
  before?: MprogAnchor | "all";
  /** Directly after this program or link; "all": at the end. */
  after?: MprogAnchor | "all";
  /** Fail (BusyError) unless the hook's list is at this revision (see the query functions): no change slipped in between. */
  expectedRevision?: bigint | number;
}

/** What is attached at a hook, in run order. */
export interface MprogAttachments {
  /** Revision of the list: it changes with every attach and detach. */
  revision: bigint;
  /** Programs in the order they run; linkId 0 for programs attached without a link. */
  programs: Array<{ programId: number; linkId: number }>;
}

function describeAnchor(a: MprogAnchor): string {
  if (a instanceof Link) return `link (${a.target})`;
  if ("programId" in a) return `program id ${a.programId}`;
  if ("linkId" in a) return `link id ${a.linkId}`;
  return `program '${a.name}'`;
}

/** The flags and relative target of a position. */
function relativeOf(position: MprogPosition): { flags: number; relative: RelativeOptions; anchor?: MprogAnchor } {
  if (position.before !== undefined && position.after !== undefined) {
    throw new InvalidArgumentError("give 'before' or 'after', not both", "before");
  }
  const where = position.before ?? position.after;
  let flags = position.before !== undefined ? AttachFlags.BEFORE : position.after !== undefined ? AttachFlags.AFTER : 0;
  const relative: RelativeOptions = {};
  if (position.expectedRevision !== undefined) relative.expectedRevision = position.expectedRevision;
  if (where === undefined || where === "all") return { flags, relative };
  if (where instanceof Link) {
    relative.relativeFd = where.fd;
    flags |= AttachFlags.LINK;
  } else if (where !== null && typeof where === "object" && "programId" in where) {
    relative.relativeId = checkId(where.programId, "programId");
  } else if (where !== null && typeof where === "object" && "linkId" in where) {
    relative.relativeId = checkId(where.linkId, "linkId");
    flags |= AttachFlags.LINK;
  } else if (where !== null && typeof where === "object" && "fd" in where && "type" in where) {
    relative.relativeFd = where.fd;
  } else {
    throw new InvalidArgumentError(
      `before/after: give a Program, a Link, { programId }, { linkId } or "all" (got ${describeValue(where)})`, position.before !== undefined ? "before" : "after",
    );
  }
  return { flags, relative, anchor: where };
}

function checkId(id: number, field: string): number {
  if (!Number.isInteger(id) || id <= 0 || id > 0xffff_ffff) throw new InvalidArgumentError(`${field}: an id is a positive integer (got ${describeValue(id)})`, field);
  return id;
}

/** What is attached at a hook of a device (BPF_PROG_QUERY by ifindex). */
export function queryMprog(device: NetDevice, attachType: AttachType): MprogAttachments {
  const q = progQuery({ targetIfindex: device.ifindex, attachType });
  return { revision: q.revision, programs: q.progIds.map((programId, i) => ({ programId, linkId: q.linkIds[i] ?? 0 })) };
}

/** Attaches `program` to a multi-program hook of `ref` with a BPF link; errors name the hook and the device. */
export function attachMprog(program: Program, ref: InterfaceRef, attachType: AttachType, hook: string, position: MprogPosition, kind: "tcx" | "netkit"): Link {
  const { flags, relative, anchor } = relativeOf(position);
  const device = resolveDevice(ref);
  const target = `${hook} on ${describeDevice(device)}`;
  try {
    const link = linkCreate({
      progFd: program.fd, attachType, targetIfindex: device.ifindex, flags, [kind]: relative,
    });
    return new Link({ link, target });
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    const d = { operation: e.operation ?? "BPF_LINK_CREATE", errno: e.errno, cause: e };
    if (e.errno === ENOENT && anchor) {
      throw new NotFoundError(`${target}: ${describeAnchor(anchor)} is not attached there, so nothing can go ${position.before ? "before" : "after"} it`, d);
    }
    if (e.errno === ESTALE) {
      const now = safeRevision(device, attachType);
      throw new BusyError(`${target}: the attachment list changed (revision ${now ?? "?"}, expected ${position.expectedRevision})`, d);
    }
    if (e.errno === EEXIST) throw new BusyError(`${target}: program '${program.name}' is already attached there (a hook runs each program once)`, d);
    if (e.errno === ERANGE) throw new NoSpaceError(`${target}: the hook is full (64 programs at most)`, d);
    if (e instanceof InvalidArgumentError) throw new InvalidArgumentError(`${target}: ${e.message}`, undefined, d);
    throw e;
  }
}

function safeRevision(device: NetDevice, attachType: AttachType): bigint | undefined {
  try {
    return queryMprog(device, attachType).revision;
  } catch {
    return undefined;
  }
}
