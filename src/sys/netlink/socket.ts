// A netlink socket over the native shim's raw syscall(): socket, bind,
// setsockopt, sendto, recvfrom. Requests are synchronous: rtnetlink handles a
// request inside sendto() and queues the reply (and each next part of a dump
// inside recvfrom()), so replies are read with MSG_DONTWAIT and a missing one
// is an error, never a hang. The socket belongs to the network namespace of
// the thread that opened it, for its whole life: keeping one open is how a
// tc attachment is later removed from the right namespace.
import { FD } from "../fd.js";
import { rawSyscall, SYS } from "../syscall.js";
import * as E from "../errno.js";
import {
  BpfError, BusyError, InvalidArgumentError, NotFoundError, NotSupportedError, PermissionError, SyscallError,
} from "../errors.js";
import { explainPermissionDenied } from "../privileges.js";
import { attrString, attrU32, HOST_LE, MessageBuilder, NetlinkParseError, parseAttributes, parseMessages, type NetlinkMessage } from "./message.js";

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const SOL_NETLINK = 270;
const NETLINK_CAP_ACK = 10;
const NETLINK_EXT_ACK = 11;
const MSG_DONTWAIT = 0x40;
const MSG_PEEK = 0x2;
const MSG_TRUNC = 0x20;

/** Netlink protocols tsbpf speaks. */
export const NetlinkProtocol = { ROUTE: 0 } as const;

/** nlmsg_flags bits. */
export const NlmFlags = {
  REQUEST: 0x1,
  MULTI: 0x2,
  ACK: 0x4,
  ECHO: 0x8,
  /** GET: dump every object. */
  DUMP: 0x300,
  /** NEW: replace an existing object. */
  REPLACE: 0x100,
  /** NEW: fail if it exists. */
  EXCL: 0x200,
  /** NEW: create if it does not exist. */
  CREATE: 0x400,
  /** ACK: the echoed request was capped to its header. */
  CAPPED: 0x100,
  /** ACK: extended-ack attributes follow. */
  ACK_TLVS: 0x200,
} as const;

const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLMSGERR_ATTR_MSG = 1;
const NLMSGERR_ATTR_OFFS = 2;

/** A failed netlink request as a typed error whose message carries the kernel's extended ack text. */
export function netlinkError(errno: number, operation: string, extack: string | undefined): BpfError {
  const why = extack ? `${extack} (${E.errnoName(errno)})` : E.errnoName(errno);
  const message = `${operation}: ${why}`;
  const d = { operation, errno };
  switch (errno) {
    case E.EPERM:
    case E.EACCES:
      return new PermissionError(`${message}: changing network devices and tc needs CAP_NET_ADMIN — ${explainPermissionDenied()}`, d);
    case E.ENODEV:
    case E.ENOENT:
      return new NotFoundError(message, d);
    case E.EEXIST:
    case E.EBUSY:
      return new BusyError(message, d);
    case E.EINVAL:
    case E.ERANGE:
      return new InvalidArgumentError(message, undefined, d);
    case E.EOPNOTSUPP:
    case E.ENOTSUPP:
      return new NotSupportedError(message, undefined, d);
    default:
      return new SyscallError(message, d);
  }
}

/** What an NLMSG_ERROR (or a failed NLMSG_DONE) carries: the errno (0 for a plain ack) and the extended ack. */
function readAck(m: NetlinkMessage, errorOffset = 0): { errno: number; extack: string | undefined } {
  if (m.payload.length < errorOffset + 4) throw new NetlinkParseError("an error message without its error code");
  const v = new DataView(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
  const errno = -v.getInt32(errorOffset, HOST_LE);
  let extack: string | undefined;
  if (m.flags & NlmFlags.ACK_TLVS) {
    // After the error: the request's header (and, unless capped, its payload), then the attributes.
    let at = errorOffset + 4;
    if (m.type === NLMSG_ERROR && m.payload.length >= at + 16) {
      const echoed = v.getUint32(at, HOST_LE);
      at += m.flags & NlmFlags.CAPPED ? 16 : (echoed + 3) & ~3;
    }
    if (at <= m.payload.length) {
      const attrs = parseAttributes(m.payload.subarray(at));
      extack = attrString(attrs, NLMSGERR_ATTR_MSG);
      const offset = attrU32(attrs, NLMSGERR_ATTR_OFFS);
      if (extack !== undefined && offset !== undefined) extack += ` (at byte ${offset} of the request)`;
    }
  }
  return { errno, extack };
}

/** An open netlink socket (NETLINK_ROUTE by default), bound to a kernel-chosen port. */
export class NetlinkSocket implements Disposable {
  readonly fd: FD;
  #seq = Math.floor(Date.now() / 1000) >>> 0;
  #buffer = new Uint8Array(64 * 1024);

  constructor(protocol: number = NetlinkProtocol.ROUTE) {
    const r = rawSyscall(SYS.socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
    if (r < 0) throw netlinkError(-r, "socket(AF_NETLINK)", undefined);
    this.fd = new FD(r, "netlink socket");
    try {
      const one = new Uint8Array(4);
      new DataView(one.buffer).setUint32(0, 1, HOST_LE);
      // Best effort: both options exist since Linux 4.12; without them errors are plain errnos.
      rawSyscall(SYS.setsockopt, r, SOL_NETLINK, NETLINK_EXT_ACK, one, 4);
      rawSyscall(SYS.setsockopt, r, SOL_NETLINK, NETLINK_CAP_ACK, one, 4);
      const address = new Uint8Array(12); // sockaddr_nl: family, pad, port 0 (kernel picks), groups 0
      new DataView(address.buffer).setUint16(0, AF_NETLINK, HOST_LE);
      const b = rawSyscall(SYS.bind, r, address, address.length);
      if (b < 0) throw netlinkError(-b, "bind(AF_NETLINK)", undefined);
    } catch (e) {
      this.fd.close();
      throw e;
    }
  }

  /**
   * Sends `request` (REQUEST and ACK are added) and returns the reply
   * messages (for a dump, every part until NLMSG_DONE), copied out of the
   * receive buffer. A negative ack throws a typed error naming `operation`.
   */
  request(request: MessageBuilder, flags: number, operation: string): NetlinkMessage[] {
    const seq = (this.#seq = (this.#seq + 1) >>> 0);
    const dump = (flags & NlmFlags.DUMP) === NlmFlags.DUMP;
    const bytes = request.finish(seq);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    v.setUint16(6, flags | NlmFlags.REQUEST | NlmFlags.ACK, HOST_LE);
    const address = new Uint8Array(12);
    new DataView(address.buffer).setUint16(0, AF_NETLINK, HOST_LE);
    const sent = rawSyscall(SYS.sendto, this.fd.raw, bytes, bytes.length, 0, address, address.length);
    if (sent < 0) throw netlinkError(-sent, `${operation}: sendto`, undefined);

    const out: NetlinkMessage[] = [];
    for (;;) {
      for (const m of this.#receive(operation)) {
        if (m.seq !== seq) continue; // a stale reply to an earlier request
        if (m.type === NLMSG_ERROR) {
          const { errno, extack } = readAck(m);
          if (errno !== 0) throw netlinkError(errno, operation, extack);
          if (!dump) return out; // the ack ends a non-dump request
          continue;
        }
        if (m.type === NLMSG_DONE) {
          const { errno, extack } = m.payload.length >= 4 ? readAck(m) : { errno: 0, extack: undefined };
          if (errno !== 0) throw netlinkError(errno, operation, extack);
          return out;
        }
        out.push({ ...m, payload: m.payload.slice() });
      }
    }
  }

  /** Reads one datagram (growing the buffer for a large one). */
  #receive(operation: string): NetlinkMessage[] {
    const fd = this.fd.raw;
    const size = rawSyscall(SYS.recvfrom, fd, this.#buffer, this.#buffer.length, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT, null, null);
    if (size < 0) {
      if (-size === E.EAGAIN) throw new SyscallError(`${operation}: the kernel sent no reply`, { operation, errno: E.EAGAIN });
      throw netlinkError(-size, `${operation}: recvfrom`, undefined);
    }
    if (size > this.#buffer.length) this.#buffer = new Uint8Array(size);
    const n = rawSyscall(SYS.recvfrom, fd, this.#buffer, this.#buffer.length, MSG_DONTWAIT, null, null);
    if (n < 0) throw netlinkError(-n, `${operation}: recvfrom`, undefined);
    return parseMessages(this.#buffer.subarray(0, n));
  }

  /** Closes the socket. */
  close(): void {
    this.fd.close();
  }

  /** Closes the socket (`using`). */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Throws InvalidArgumentError unless `name` can be a network interface name (IFNAMSIZ - 1 bytes, no '/' or spaces). */
export function checkInterfaceName(name: string, field = "interface"): void {
  if (name.length === 0 || new TextEncoder().encode(name).length > 15 || /[/\s:]/.test(name)) {
    throw new InvalidArgumentError(`'${name}' is not a network interface name (1–15 bytes, no '/', ':' or spaces)`, field);
  }
}
