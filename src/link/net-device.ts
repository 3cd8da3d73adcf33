// What the network attach families (xdp, tcx, tc, netkit) share: the
// device named by the caller, resolved in the caller's network namespace,
// and the checks every one of them makes on the program first.
import type { Program } from "../program/program.js";
import { programTypeName, type ProgramType } from "../program/types.js";
import { ClosedError, InvalidArgumentError } from "../sys/errors.js";
import { describeValue } from "../sys/arguments.js";
import { interfaceByIndex, interfaceByName } from "../sys/netlink/interfaces.js";
import { NetlinkSocket } from "../sys/netlink/socket.js";

/** A network interface: its name or its ifindex, in the caller's network namespace. */
export type InterfaceRef = string | number;

/** A resolved device. */
export interface NetDevice {
  ifindex: number;
  name: string;
}

/** "interface veth0 (ifindex 3)". */
export function describeDevice(device: NetDevice): string {
  return `interface ${device.name} (ifindex ${device.ifindex})`;
}

/**
 * Resolves `ref` with rtnetlink on `socket` (a fresh socket when omitted):
 * NotFoundError naming the interface when the namespace has no such device.
 */
export function resolveDevice(ref: InterfaceRef, socket?: NetlinkSocket): NetDevice {
  if (typeof ref === "number") {
    if (!Number.isInteger(ref) || ref <= 0 || ref > 0x7fff_ffff) {
      throw new InvalidArgumentError(`interface: an ifindex is a positive integer (got ${describeValue(ref)})`, "interface");
    }
  } else if (typeof ref !== "string") {
    throw new InvalidArgumentError(`interface: give the interface's name or ifindex (got ${describeValue(ref)})`, "interface");
  }
  const own = socket ?? new NetlinkSocket();
  try {
    const found = typeof ref === "number" ? interfaceByIndex(own, ref) : interfaceByName(own, ref);
    return { ifindex: found.ifindex, name: found.name };
  } finally {
    if (!socket) own.close();
  }
}

/**
 * Checks what every network attach function checks before touching the
 * kernel: the program is open and of one of `types`.
 */
export function checkNetProgram(program: Program, types: readonly ProgramType[], family: string, ref: InterfaceRef, hint: string): void {
  const where = `${family} on interface ${typeof ref === "number" ? `ifindex ${ref}` : typeof ref === "string" ? `'${ref}'` : describeValue(ref)}`;
  if (program === null || typeof program !== "object" || typeof (program as { type?: unknown }).type !== "number") {
    throw new InvalidArgumentError(`${where}: program must be a loaded Program (got ${describeValue(program)})`, "program");
  }
  if (program.closed) throw new ClosedError(`${where}: program '${program.name}'`);
  if (!types.includes(program.type)) {
    throw new InvalidArgumentError(
      `${where}: program '${program.name}' is a ${programTypeName(program.type)} program; ` +
        `it needs ${types.map(programTypeName).join(" or ")} (${hint})`,
      "program",
    );
  }
}
