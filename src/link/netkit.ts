// netkit: programs on the primary or peer side of a netkit device pair
// (Linux 6.7; `ip link add … type netkit`), the container-networking
// counterpart of veth whose BPF programs run as its xmit routine. The hook
// takes an ordered list of BPF links like tcx.
import type { Program } from "../program/program.js";
import { AttachType, ProgramType } from "../program/types.js";
import { InvalidArgumentError } from "../sys/errors.js";
import { describeValue } from "../sys/arguments.js";
import type { Link } from "./link.js";
import { attachMprog, queryMprog, type MprogAttachments, type MprogPosition } from "./mprog.js";
import { checkNetProgram, resolveDevice, type InterfaceRef } from "./net-device.js";

/** The side of a netkit pair: the primary device (host side) or its peer (container side). */
export type NetkitSide = "primary" | "peer";

/** Options of {@link attachNetkit}. */
export interface NetkitOptions extends MprogPosition {
  /** The netkit device (the primary one, for both sides), by name or ifindex. */
  interface: InterfaceRef;
  /** Default: from the program's SEC("netkit/primary") or SEC("netkit/peer"). */
  side?: NetkitSide;
}

/** Parses libbpf's netkit SEC() names ("netkit/primary", "netkit/peer"); they name the side, not the device. */
export function netkitOfSection(sectionName: string): { side: NetkitSide } | undefined {
  const m = /^netkit\/(primary|peer)$/.exec(sectionName);
  return m ? { side: m[1] as NetkitSide } : undefined;
}

const attachTypes: Record<NetkitSide, AttachType> = { primary: AttachType.NetkitPrimary, peer: AttachType.NetkitPeer };

/**
 * Attaches a sched_cls program to one side of a netkit device (Linux 6.7),
 * at the end of its list or before/after another program or link. Errors as
 * for attachTcx; on a kernel without netkit (CONFIG_NETKIT off) no netkit
 * device can exist, so the interface is either missing or not a netkit one
 * (InvalidArgumentError).
 */
export function attachNetkit(program: Program, options: NetkitOptions): Link {
  if (options === null || typeof options !== "object") {
    throw new InvalidArgumentError(`attachNetkit: options must be an object with the interface (got ${describeValue(options)})`, "options");
  }
  checkNetProgram(program, [ProgramType.SchedCls], "attachNetkit", options.interface, 'SEC("netkit/primary") or SEC("netkit/peer")');
  let side = options.side;
  if (side === undefined && program.sectionName !== undefined) side = netkitOfSection(program.sectionName)?.side;
  if (side !== "primary" && side !== "peer") {
    throw new InvalidArgumentError(`attachNetkit: program '${program.name}': give side "primary" or "peer" (got ${describeValue(side)})`, "side");
  }
  return attachMprog(program, options.interface, attachTypes[side], `netkit ${side}`, options, "netkit");
}

/** The programs on one side of a netkit device in run order, with the list's revision. */
export function netkitAttachments(iface: InterfaceRef, side: NetkitSide): MprogAttachments {
  return queryMprog(resolveDevice(iface), attachTypes[side]);
}
