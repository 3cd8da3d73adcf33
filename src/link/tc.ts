// Classic tc: a sched_cls program as a cls_bpf filter in direct-action mode
// on the clsact qdisc of a device, through rtnetlink — how tc programs attach
// before tcx (Linux 6.6), and the fallback of attachTcx. The filter is not a
// BPF link: the Link keeps the netlink socket (so its undo step acts in the
// network namespace it attached in, whichever the closing thread is in),
// deletes the filter on close, and removes the clsact qdisc only if it
// created it and no filter is left on it.
import type { Program } from "../program/program.js";
import { ProgramType } from "../program/types.js";
import { BusyError, InvalidArgumentError, NotFoundError } from "../sys/errors.js";
import { describeValue } from "../sys/arguments.js";
import { NetlinkSocket } from "../sys/netlink/socket.js";
import { addBpfFilter, addClsact, deleteClsact, deleteFilter, listFilters, TcHandle, type TcFilterId } from "../sys/netlink/tc.js";
import { Link } from "./link.js";
import { checkNetProgram, describeDevice, resolveDevice, type InterfaceRef } from "./net-device.js";
import { tcDirection, tcxOfSection, type TcDirection } from "./tc-section.js";

/** Options of {@link attachTc}. */
export interface TcOptions {
  /** The device: its name or ifindex in the caller's network namespace. */
  interface: InterfaceRef;
  /** Default: from the program's SEC("tc/ingress"), SEC("tcx/egress") … name. */
  direction?: TcDirection;
  /** Filter priority, 1–65535 (lower runs first); default: the kernel picks (49152 for the first filter, then lower). */
  priority?: number;
  /** Filter handle, 1–0xffffffff; default: the kernel picks. */
  handle?: number;
}

/** Parses the tc SEC() names libbpf knows (the same as tcxOfSection: they carry the direction at most). */
export const tcOfSection = tcxOfSection;

const parents: Record<TcDirection, number> = { ingress: TcHandle.INGRESS, egress: TcHandle.EGRESS };

function checkRange(value: number | undefined, field: string, max: number): number {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(`attachTc: ${field} must be an integer from 1 to ${max} (got ${describeValue(value)})`, field);
  }
  return value;
}

/** Deletes the filter; a filter or device already gone is not an error (someone else removed it). */
function removeFilter(socket: NetlinkSocket, filter: TcFilterId, clsactCreated: boolean): void {
  try {
    deleteFilter(socket, filter);
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
  }
  if (!clsactCreated) return;
  try {
    if (listFilters(socket, filter.ifindex, TcHandle.INGRESS).length === 0 && listFilters(socket, filter.ifindex, TcHandle.EGRESS).length === 0) {
      deleteClsact(socket, filter.ifindex);
    }
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
  }
}

/**
 * Attaches a sched_cls program as a direct-action cls_bpf filter on the
 * ingress or egress of a device (creating the clsact qdisc if the device has
 * none). The program's return value is the verdict (TC_ACT_OK, TC_ACT_SHOT,
 * TC_ACT_REDIRECT …; TC_ACT_UNSPEC, -1, goes on to the next filter).
 * Link.update replaces the filter's program in place. Errors name the
 * interface: NotFoundError for a missing device, BusyError when a filter with
 * that priority and handle exists, InvalidArgumentError for a program of
 * another type. Nothing stays behind on failure (not even a qdisc it made).
 */
export function attachTc(program: Program, options: TcOptions): Link {
  if (options === null || typeof options !== "object") {
    throw new InvalidArgumentError(`attachTc: options must be an object with the interface (got ${describeValue(options)})`, "options");
  }
  checkNetProgram(program, [ProgramType.SchedCls], "attachTc", options.interface, 'SEC("tc/ingress") or SEC("tc/egress")');
  const direction = tcDirection(program, options.direction, "attachTc");
  const priority = checkRange(options.priority, "priority", 0xffff);
  const handle = checkRange(options.handle, "handle", 0xffff_ffff);
  const socket = new NetlinkSocket();
  let created: number | undefined;
  try {
    const device = resolveDevice(options.interface, socket);
    const hook = `tc ${direction} on ${describeDevice(device)}`;
    if (addClsact(socket, device.ifindex)) created = device.ifindex;
    const request = { ifindex: device.ifindex, parent: parents[direction], priority, handle };
    let filter: TcFilterId;
    try {
      filter = addBpfFilter(socket, { ...request, progFd: program.fd.raw, name: `${program.name}:[${program.id}]` });
    } catch (e) {
      if (e instanceof BusyError) {
        throw new BusyError(`${hook}: a filter with priority ${priority} and handle 0x${handle.toString(16)} is already there (${e.message})`, { cause: e, errno: e.errno, operation: e.operation });
      }
      if (e instanceof InvalidArgumentError) throw new InvalidArgumentError(`${hook}: ${e.message}`, undefined, { cause: e, errno: e.errno, operation: e.operation });
      throw e;
    }
    let current = program;
    return new Link({
      target: `${hook}, priority ${filter.priority} handle 0x${filter.handle.toString(16)}`,
      others: [socket.fd],
      detach: () => removeFilter(socket, filter, created !== undefined),
      update: (next, expected) => {
        checkNetProgram(next, [ProgramType.SchedCls], "Link.update", device.name, 'SEC("tc/ingress") or SEC("tc/egress")');
        if (expected && expected !== current) {
          throw new InvalidArgumentError(`${hook}: the filter runs program '${current.name}', not '${expected.name}'`, "oldProgram");
        }
        addBpfFilter(socket, { ...filter, progFd: next.fd.raw, name: `${next.name}:[${next.id}]`, replace: true });
        current = next;
      },
    });
  } catch (e) {
    try {
      if (created !== undefined) deleteClsact(socket, created);
    } finally {
      socket.close();
    }
    throw e;
  }
}
