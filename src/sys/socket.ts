// Socket options that put BPF programs on sockets: setsockopt(2) through the
// native shim's raw syscall (Node has no setsockopt), with the SOL_SOCKET
// option numbers of include/uapi/asm-generic/socket.h (the same on every
// architecture tsbpf supports).
import { rawSyscall, SYS } from "./syscall.js";
import { stableBytes } from "./attr.js";
import * as E from "./errno.js";
import { BadFdError, InvalidArgumentError, NotFoundError, errorFromErrno } from "./errors.js";

/** SOL_SOCKET and the options of it that attach and detach BPF programs. */
export const SocketOption = {
  SOL_SOCKET: 1,
  /** Detaches the socket filter (classic or eBPF); SO_DETACH_BPF is the same number. */
  SO_DETACH_FILTER: 27,
  /** A BPF_PROG_TYPE_SOCKET_FILTER program fd as the socket's filter (Linux 3.19). */
  SO_ATTACH_BPF: 50,
  /** A BPF_PROG_TYPE_SOCKET_FILTER or SK_REUSEPORT program fd choosing the socket of a reuseport group (Linux 4.5/4.19). */
  SO_ATTACH_REUSEPORT_EBPF: 52,
  /** Detaches the reuseport program (Linux 5.3). */
  SO_DETACH_REUSEPORT_BPF: 68,
} as const;

/**
 * setsockopt(fd, SOL_SOCKET, option, &value, 4) with an int value (a program
 * fd, or 0 for the detach options). `what` names the socket and the program
 * for the error, which is typed: InvalidArgumentError for an fd that is no
 * socket or a program the option refuses, NotFoundError when there is
 * nothing to detach, BadFdError for a closed fd.
 */
export function setSocketIntOption(fd: number, option: number, value: number, what: string): void {
  const buf = stableBytes(4);
  new DataView(buf.buffer, buf.byteOffset, 4).setInt32(0, value, true);
  const r = rawSyscall(SYS.setsockopt, fd, SocketOption.SOL_SOCKET, option, buf, 4);
  if (r >= 0) return;
  const d = { operation: "setsockopt", errno: -r };
  switch (-r) {
    case E.ENOTSOCK:
      throw new InvalidArgumentError(`${what}: fd ${fd} is not a socket`, "socket", d);
    case E.EBADF:
      throw new BadFdError(`${what}: fd ${fd} is not open`, d);
    case E.EINVAL:
      throw new InvalidArgumentError(`${what}: EINVAL: the socket refused the program (its type does not fit this option, or the socket is not in a reuseport group)`, "program", d);
    case E.ENOENT:
      throw new NotFoundError(`${what}: ENOENT: no program is attached there`, d);
    case E.ENOPROTOOPT:
      throw new InvalidArgumentError(`${what}: ENOPROTOOPT: this kind of socket does not have that option`, "socket", d);
    default:
      throw errorFromErrno(-r, "setsockopt", what);
  }
}
