// Network interfaces through rtnetlink (RTM_GETLINK): a name or ifindex
// resolved in the caller's network namespace (sysfs would show the namespace
// /sys was mounted in, not the thread's), every interface with its XDP state
// for `net show`, and XDP attach/detach through IFLA_XDP (the pre-5.9 way,
// also what `bpftool net attach xdp` does).
import { NotFoundError } from "../errors.js";
import * as E from "../errno.js";
import type { BpfError } from "../errors.js";
import { attrNested, attrString, attrU32, attrU8, HOST_LE, MessageBuilder, parseAttributes, type NetlinkMessage } from "./message.js";
import { checkInterfaceName, NetlinkSocket, NlmFlags } from "./socket.js";

const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const RTM_SETLINK = 19;
const AF_UNSPEC = 0;
const AF_PACKET = 17;
const IFLA_IFNAME = 3;
const IFLA_XDP = 43;
const IFLA_XDP_FD = 1;
const IFLA_XDP_ATTACHED = 2;
const IFLA_XDP_FLAGS = 3;
const IFLA_XDP_PROG_ID = 4;
const IFLA_XDP_DRV_PROG_ID = 5;
const IFLA_XDP_SKB_PROG_ID = 6;
const IFLA_XDP_HW_PROG_ID = 7;
const IFLA_XDP_EXPECTED_FD = 8;

/** XDP_ATTACHED_*: how the program(s) on a device are attached. */
export const XdpAttached = { NONE: 0, DRV: 1, SKB: 2, HW: 3, MULTI: 4 } as const;

/** The XDP state of a device (IFLA_XDP). */
export interface XdpState {
  /** XdpAttached value. */
  attached: number;
  /** The program of a single attachment (attached DRV, SKB or HW). */
  progId?: number;
  /** Per-mode programs (MULTI, or the single one's mode). */
  skbProgId?: number;
  drvProgId?: number;
  hwProgId?: number;
}

/** A network interface of the caller's namespace. */
export interface NetInterface {
  ifindex: number;
  name: string;
  xdp?: XdpState;
}

/** struct ifinfomsg: family, type, index, flags, change. */
function ifinfomsg(family: number, ifindex: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint8(0, family);
  v.setInt32(4, ifindex, HOST_LE);
  return b;
}

function parseLink(m: NetlinkMessage): NetInterface | undefined {
  if (m.type !== RTM_NEWLINK || m.payload.length < 16) return undefined;
  const v = new DataView(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
  const attrs = parseAttributes(m.payload.subarray(16));
  const out: NetInterface = { ifindex: v.getInt32(4, HOST_LE), name: attrString(attrs, IFLA_IFNAME) ?? "" };
  const xdp = attrNested(attrs, IFLA_XDP);
  if (xdp) {
    const state: XdpState = { attached: attrU8(xdp, IFLA_XDP_ATTACHED) ?? XdpAttached.NONE };
    const put = (key: "progId" | "skbProgId" | "drvProgId" | "hwProgId", type: number): void => {
      const id = attrU32(xdp, type);
      if (id !== undefined) state[key] = id;
    };
    put("progId", IFLA_XDP_PROG_ID);
    put("skbProgId", IFLA_XDP_SKB_PROG_ID);
    put("drvProgId", IFLA_XDP_DRV_PROG_ID);
    put("hwProgId", IFLA_XDP_HW_PROG_ID);
    out.xdp = state;
  }
  return out;
}

/** A NotFoundError for a missing device, naming it; other errors unchanged. */
function missing(e: unknown, what: string): unknown {
  if (e instanceof NotFoundError && (e.errno === E.ENODEV || e.errno === E.ENOENT)) {
    return new NotFoundError(`no network interface ${what} in this network namespace`, { operation: "RTM_GETLINK", errno: e.errno, cause: e });
  }
  return e;
}

function getLink(socket: NetlinkSocket, request: MessageBuilder, what: string): NetInterface {
  let replies: NetlinkMessage[];
  try {
    replies = socket.request(request, 0, `RTM_GETLINK ${what}`);
  } catch (e) {
    throw missing(e, what);
  }
  for (const m of replies) {
    const link = parseLink(m);
    if (link) return link;
  }
  throw new NotFoundError(`no network interface ${what} in this network namespace`, { operation: "RTM_GETLINK" });
}

/** The interface named `name` (NotFoundError when the namespace has none). */
export function interfaceByName(socket: NetlinkSocket, name: string): NetInterface {
  checkInterfaceName(name);
  return getLink(socket, new MessageBuilder(RTM_GETLINK, 0).header(ifinfomsg(AF_UNSPEC, 0)).string(IFLA_IFNAME, name), `'${name}'`);
}

/** The interface with index `ifindex` (NotFoundError when the namespace has none). */
export function interfaceByIndex(socket: NetlinkSocket, ifindex: number): NetInterface {
  return getLink(socket, new MessageBuilder(RTM_GETLINK, 0).header(ifinfomsg(AF_UNSPEC, ifindex)), `with ifindex ${ifindex}`);
}

/** Every interface of the namespace, in the kernel's order (ifindex), with its XDP state. */
export function listInterfaces(socket: NetlinkSocket): NetInterface[] {
  const replies = socket.request(new MessageBuilder(RTM_GETLINK, 0).header(ifinfomsg(AF_PACKET, 0)), NlmFlags.DUMP, "RTM_GETLINK dump");
  return replies.map(parseLink).filter((l): l is NetInterface => l !== undefined);
}

/** Options of {@link setXdpFd}. */
export interface SetXdpOptions {
  /** XdpFlags bits (mode, UPDATE_IF_NOEXIST). */
  flags?: number;
  /** Replace only this program (XDP_FLAGS_REPLACE with IFLA_XDP_EXPECTED_FD, Linux 5.7). */
  expectedFd?: number;
}

const XDP_FLAGS_REPLACE = 1 << 4;

/**
 * Attaches the program `progFd` to a device through IFLA_XDP (−1 detaches):
 * no link, the attachment stays until replaced or removed. Errors carry the
 * kernel's extended ack text (e.g. "XDP program already attached").
 */
export function setXdpFd(socket: NetlinkSocket, ifindex: number, progFd: number, options: SetXdpOptions = {}): void {
  let flags = options.flags ?? 0;
  const request = new MessageBuilder(RTM_SETLINK, 0).header(ifinfomsg(AF_UNSPEC, ifindex)).nest(IFLA_XDP).s32(IFLA_XDP_FD, progFd);
  if (options.expectedFd !== undefined) {
    flags |= XDP_FLAGS_REPLACE;
    request.s32(IFLA_XDP_EXPECTED_FD, options.expectedFd);
  }
  if (flags) request.u32(IFLA_XDP_FLAGS, flags);
  request.end();
  try {
    socket.request(request, 0, `${progFd < 0 ? "XDP detach" : "XDP attach"} (RTM_SETLINK ifindex ${ifindex})`);
  } catch (e) {
    throw missing(e, `with ifindex ${ifindex}`) as BpfError;
  }
}
