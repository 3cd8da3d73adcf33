// XDP programs on a network device: a BPF link (BPF_LINK_CREATE with
// BPF_XDP, Linux 5.9) that the kernel removes when the link is closed and
// that swaps programs atomically with Link.update; or, before 5.9 (or when
// asked), the older netlink attachment (IFLA_XDP), undone by the Link's
// detach step with the program given as the expected one, so a program
// someone attached meanwhile is never removed.
import type { Program } from "../program/program.js";
import { AttachType, ProgramType } from "../program/types.js";
import { linkCreate } from "../sys/link.js";
import { XdpFlags } from "../sys/attach-flags.js";
import { BpfError, BusyError, InvalidArgumentError, NotSupportedError } from "../sys/errors.js";
import { NetlinkSocket } from "../sys/netlink/socket.js";
import { listInterfaces, setXdpFd, XdpAttached, type XdpState } from "../sys/netlink/interfaces.js";
import { describeValue } from "../sys/arguments.js";
import { Link } from "./link.js";
import { checkNetProgram, describeDevice, resolveDevice, type InterfaceRef, type NetDevice } from "./net-device.js";

/** Where the program runs: in the generic (skb) path, in the driver, or offloaded to the NIC. */
export type XdpMode = "generic" | "driver" | "offload";

const modeFlags: Record<XdpMode, number> = {
  generic: XdpFlags.SKB_MODE,
  driver: XdpFlags.DRV_MODE,
  offload: XdpFlags.HW_MODE,
};

/** Options of {@link attachXdp}. */
export interface XdpOptions {
  /** The device: its name or ifindex in the caller's network namespace. */
  interface: InterfaceRef;
  /** Default: the driver's mode when it has one, else generic (the kernel picks). */
  mode?: XdpMode;
  /**
   * "auto" (default): a BPF link, or the netlink attachment where the kernel
   * has no XDP links (before 5.9); "link" / "netlink" force one.
   */
  method?: "auto" | "link" | "netlink";
}

/** What a SEC() name says about an XDP program: libbpf's "xdp" and "xdp.frags" name no device. */
export interface XdpSection {
  /** SEC("xdp.frags"): the program handles multi-buffer frames. */
  frags: boolean;
}

/** Parses an XDP SEC() name ("xdp", "xdp.frags"); undefined for others (xdp/devmap and xdp/cpumap programs go into maps). */
export function xdpOfSection(sectionName: string): XdpSection | undefined {
  const m = /^xdp(\.frags)?$/.exec(sectionName);
  return m ? { frags: m[1] !== undefined } : undefined;
}

function describeXdp(state: XdpState | undefined): string {
  if (!state || state.attached === XdpAttached.NONE) return "";
  const parts: string[] = [];
  if (state.skbProgId) parts.push(`program id ${state.skbProgId} in generic mode`);
  if (state.drvProgId) parts.push(`program id ${state.drvProgId} in driver mode`);
  if (state.hwProgId) parts.push(`program id ${state.hwProgId} offloaded`);
  if (!parts.length && state.progId) parts.push(`program id ${state.progId}`);
  return parts.join(" and ");
}

/** The XDP state of one device, for error messages. */
function xdpStateOf(socket: NetlinkSocket, ifindex: number): XdpState | undefined {
  try {
    return listInterfaces(socket).find((i) => i.ifindex === ifindex)?.xdp;
  } catch {
    return undefined;
  }
}

/** A BusyError that says what is attached already. */
function alreadyAttached(e: BpfError, device: NetDevice, socket: NetlinkSocket): BpfError {
  const what = describeXdp(xdpStateOf(socket, device.ifindex)) || "another XDP program or link";
  return new BusyError(
    `XDP on ${describeDevice(device)}: ${what} is already attached; detach it first (its link, or 'tsbpf net detach xdp dev ${device.name}'), ` +
      `or swap programs with Link.update (kernel: ${e.message})`,
    { operation: e.operation ?? "XDP attach", errno: e.errno, cause: e },
  );
}

/** The error of a failed attach, naming the device. */
function rethrow(e: unknown, device: NetDevice, socket: NetlinkSocket, mode: XdpMode | undefined): never {
  if (e instanceof BusyError) throw alreadyAttached(e, device, socket);
  if (mode === "offload" && (e instanceof InvalidArgumentError || e instanceof NotSupportedError)) {
    // The kernel answers EINVAL both for a device without offload and for a program not bound to it.
    throw new NotSupportedError(
      `XDP offload on ${describeDevice(device)} (the device has no offload support, or the program was not loaded for it with an ifindex)`,
      undefined, { cause: e, errno: e.errno, operation: e.operation },
    );
  }
  if (e instanceof InvalidArgumentError) {
    throw new InvalidArgumentError(`XDP on ${describeDevice(device)}: ${e.message}`, undefined, { cause: e, errno: e.errno, operation: e.operation });
  }
  throw e;
}

/**
 * Attaches an XDP program to a network device. The program runs for every
 * frame the device receives until the link is closed; Link.update swaps it
 * atomically. Errors name the interface: NotFoundError when the namespace
 * has no such device, BusyError when another XDP program is attached,
 * InvalidArgumentError for a program of another type. Nothing stays attached
 * on failure.
 */
export function attachXdp(program: Program, options: XdpOptions): Link {
  if (options === null || typeof options !== "object") {
    throw new InvalidArgumentError(`attachXdp: options must be an object with the interface (got ${describeValue(options)})`, "options");
  }
  checkNetProgram(program, [ProgramType.XDP], "attachXdp", options.interface, 'SEC("xdp")');
  const mode = options.mode;
  if (mode !== undefined && !(mode in modeFlags)) {
    throw new InvalidArgumentError(`attachXdp: mode must be "generic", "driver" or "offload" (got ${describeValue(mode)})`, "mode");
  }
  const method = options.method ?? "auto";
  if (!["auto", "link", "netlink"].includes(method)) {
    throw new InvalidArgumentError(`attachXdp: method must be "auto", "link" or "netlink" (got ${describeValue(method)})`, "method");
  }
  const socket = new NetlinkSocket();
  try {
    const device = resolveDevice(options.interface, socket);
    const flags = mode ? modeFlags[mode] : 0;
    const target = `xdp on ${describeDevice(device)}${mode ? `, ${mode} mode` : ""}`;
    if (method !== "netlink") {
      try {
        const link = linkCreate({ progFd: program.fd, attachType: AttachType.XDP, targetIfindex: device.ifindex, flags });
        socket.close();
        return new Link({ link, target });
      } catch (e) {
        // Kernels before 5.9 know no BPF_XDP links (LINK_CREATE answers EINVAL, or ENOTSUPP):
        // try netlink; when that fails too, the link's error is the one to report.
        const unknownLink = e instanceof NotSupportedError || e instanceof InvalidArgumentError;
        if (!(method === "auto" && unknownLink && mode !== "offload")) rethrow(e, device, socket, mode);
        try {
          return attachXdpNetlink(program, device, socket, flags, target, mode);
        } catch (fallback) {
          if (fallback instanceof BusyError) throw fallback;
          rethrow(e, device, socket, mode);
        }
      }
    }
    return attachXdpNetlink(program, device, socket, flags, target, mode);
  } catch (e) {
    socket.close();
    throw e;
  }
}

/** The IFLA_XDP attachment: the Link keeps the netlink socket, so its undo step acts in the namespace it attached in. */
function attachXdpNetlink(program: Program, device: NetDevice, socket: NetlinkSocket, flags: number, target: string, mode: XdpMode | undefined): Link {
  let current = program;
  let currentId = program.id;
  try {
    setXdpFd(socket, device.ifindex, program.fd.raw, { flags: flags | XdpFlags.UPDATE_IF_NOEXIST });
  } catch (e) {
    rethrow(e, device, socket, mode);
  }
  return new Link({
    target: `${target} (netlink)`,
    others: [socket.fd],
    detach: () => {
      if (!current.closed) return setXdpFd(socket, device.ifindex, -1, { flags, expectedFd: current.fd.raw });
      // The program was closed first: remove the attachment only while it is still ours.
      const state = xdpStateOf(socket, device.ifindex);
      if (state && [state.progId, state.skbProgId, state.drvProgId, state.hwProgId].includes(currentId)) setXdpFd(socket, device.ifindex, -1, { flags });
    },
    update: (next, expected) => {
      checkNetProgram(next, [ProgramType.XDP], "Link.update", device.name, 'SEC("xdp")');
      if (expected && expected !== current) {
        throw new InvalidArgumentError(`${target}: the attached program is '${current.name}', not '${expected.name}'`, "oldProgram");
      }
      setXdpFd(socket, device.ifindex, next.fd.raw, { flags, expectedFd: current.fd.raw });
      current = next;
      currentId = next.id;
    },
  });
}
