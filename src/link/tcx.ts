// tcx: tc BPF programs on a device's ingress or egress hook without qdiscs or
// filters (Linux 6.6). Each attachment is a BPF link in the hook's ordered
// list; a new one can go before or after another program or link, and
// Link.update swaps its program in place. Kernels before 6.6 use classic tc
// (src/link/tc.ts, attachTc).
import type { Program } from "../program/program.js";
import { AttachType, ProgramType } from "../program/types.js";
import { InvalidArgumentError, NotSupportedError } from "../sys/errors.js";
import { progQuery } from "../sys/attach.js";
import { describeValue } from "../sys/arguments.js";
import type { Link } from "./link.js";
import { attachMprog, queryMprog, type MprogAttachments, type MprogPosition } from "./mprog.js";
import { checkNetProgram, resolveDevice, type InterfaceRef } from "./net-device.js";
import { tcDirection, type TcDirection } from "./tc-section.js";
import { attachTc } from "./tc.js";

export { tcxOfSection, type TcDirection, type TcSection } from "./tc-section.js";

/** Options of {@link attachTcx}. */
export interface TcxOptions extends MprogPosition {
  /** The device: its name or ifindex in the caller's network namespace. */
  interface: InterfaceRef;
  /** Default: from the program's SEC("tcx/ingress"), SEC("tc/egress") … name. */
  direction?: TcDirection;
  /**
   * "auto" (default): a tcx link, or a classic tc filter (attachTc) where the
   * kernel has no tcx (before 6.6); "link" / "netlink" force one. Classic tc
   * has no before/after: asking for them there is an error.
   */
  method?: "auto" | "link" | "netlink";
}

const attachTypes: Record<TcDirection, AttachType> = { ingress: AttachType.TCXIngress, egress: AttachType.TCXEgress };

function checkOptions(options: unknown, family: string): void {
  if (options === null || typeof options !== "object") {
    throw new InvalidArgumentError(`${family}: options must be an object with the interface (got ${describeValue(options)})`, "options");
  }
}

/**
 * Attaches a sched_cls program to the tcx ingress or egress hook of a device
 * (Linux 6.6), at the end of the hook's list or before/after another program
 * or link. The program sees every packet until the link is closed; its
 * return value is TCX_NEXT (-1: the next program decides), TCX_PASS, TCX_DROP
 * or TCX_REDIRECT. Errors name the interface: NotFoundError for a missing
 * device or anchor, BusyError when the program is already on the hook or the
 * expected revision is stale, InvalidArgumentError for a program of another
 * type. Nothing stays attached on failure.
 */
export function attachTcx(program: Program, options: TcxOptions): Link {
  checkOptions(options, "attachTcx");
  checkNetProgram(program, [ProgramType.SchedCls], "attachTcx", options.interface, 'SEC("tcx/ingress") or SEC("tcx/egress")');
  const direction = tcDirection(program, options.direction, "attachTcx");
  const method = options.method ?? "auto";
  if (!["auto", "link", "netlink"].includes(method)) {
    throw new InvalidArgumentError(`attachTcx: method must be "auto", "link" or "netlink" (got ${describeValue(method)})`, "method");
  }
  if (method === "netlink") return classicTc(program, options, direction);
  try {
    return attachMprog(program, options.interface, attachTypes[direction], `tcx ${direction}`, options, "tcx");
  } catch (e) {
    if (method === "auto" && e instanceof InvalidArgumentError && !kernelHasTcx(options.interface)) return classicTc(program, options, direction);
    throw e;
  }
}

/** The classic tc fallback, which cannot order programs relative to others. */
function classicTc(program: Program, options: TcxOptions, direction: TcDirection): Link {
  if (options.before !== undefined || options.after !== undefined || options.expectedRevision !== undefined) {
    throw new NotSupportedError("attachTcx: before/after/expectedRevision with classic tc (tcx ordering; with classic tc use attachTc's priority)", "6.6");
  }
  return attachTc(program, { interface: options.interface, direction });
}

/** False when BPF_PROG_QUERY does not know the tcx attach type (Linux before 6.6). */
function kernelHasTcx(iface: InterfaceRef): boolean {
  try {
    progQuery({ targetIfindex: resolveDevice(iface).ifindex, attachType: AttachType.TCXIngress });
    return true;
  } catch (e) {
    return !(e instanceof InvalidArgumentError);
  }
}

/** The programs on a device's tcx hook in run order, with the list's revision (BPF_PROG_QUERY, Linux 6.6). */
export function tcxAttachments(iface: InterfaceRef, direction: TcDirection): MprogAttachments {
  return queryMprog(resolveDevice(iface), attachTypes[direction]);
}
