// Programs on one socket: a socket filter (SO_ATTACH_BPF, which sees every
// packet the socket receives and may drop or truncate it) and a reuseport
// selector (SO_ATTACH_REUSEPORT_EBPF, which picks the socket of a
// SO_REUSEPORT group that gets a new packet or connection). The socket is a
// Node net.Socket, net.Server or dgram.Socket, or a raw fd.
import type { Program } from "../program/program.js";
import { ProgramType } from "../program/types.js";
import { FD } from "../sys/fd.js";
import { InvalidArgumentError } from "../sys/errors.js";
import { dupCallerFd } from "./own-fd.js";
import { describeValue } from "../sys/arguments.js";
import { setSocketIntOption, SocketOption } from "../sys/socket.js";
import { Link } from "./link.js";
import { checkAttachable } from "./program-check.js";

/**
 * A socket: a Node net.Socket, net.Server or dgram.Socket (open, and for
 * dgram bound or connected, so that it has an fd), an FD, or an fd number.
 */
export type SocketRef = object | FD | number;

/**
 * The fd under a Node socket. Node has no public accessor, so this reads the
 * libuv handle: `_handle.fd` of net.Socket/net.Server, and the handle kept
 * under dgram's "state symbol" (its `_handle` getter is deprecated and warns).
 * The fd is -1 until the socket exists in the kernel (a dgram socket before
 * bind/connect), which is an InvalidArgumentError here.
 */
export function nodeSocketFd(socket: object): number {
  const handle = handleOf(socket);
  const fd = handle !== undefined && typeof handle === "object" && handle !== null ? (handle as { fd?: unknown }).fd : undefined;
  if (typeof fd !== "number") {
    throw new InvalidArgumentError(`${describeValue(socket)} is not an open Node socket (no libuv handle with an fd); pass a socket or an fd`, "socket");
  }
  if (fd < 0) throw new InvalidArgumentError("the socket has no fd yet: bind or connect it first", "socket");
  return fd;
}

function handleOf(socket: object): unknown {
  if ("_handle" in socket && !isDgram(socket)) return (socket as { _handle?: unknown })._handle;
  const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === "state symbol");
  if (state === undefined) return undefined;
  const value = (socket as Record<symbol, unknown>)[state];
  return typeof value === "object" && value !== null ? (value as { handle?: unknown }).handle : undefined;
}

/** dgram.Socket keeps its handle in its state; its `_handle` is a deprecated getter that warns. */
function isDgram(socket: object): boolean {
  return Object.getOwnPropertySymbols(socket).some((s) => s.description === "state symbol");
}

/** A socket of our own: a dup of the caller's fd, so detaching later reaches the same socket whatever happens to theirs. */
function ownSocket(socket: SocketRef): { fd: FD; name: string } {
  if (socket instanceof FD || typeof socket === "number") {
    const raw = socket instanceof FD ? socket.raw : socket;
    return { fd: dupCallerFd(socket, "socket fd"), name: `socket fd ${raw}` };
  }
  if (typeof socket !== "object" || socket === null) {
    throw new InvalidArgumentError(`expected a Node socket or an fd, got ${describeValue(socket)}`, "socket");
  }
  const raw = nodeSocketFd(socket);
  return { fd: dupCallerFd(raw, "socket fd"), name: `socket fd ${raw}` };
}

interface SocketHook {
  what: string;
  types: readonly ProgramType[];
  needs: string;
  attach: number;
  detach: number;
}

const filterHook: SocketHook = {
  what: "socket filter", types: [ProgramType.SocketFilter], needs: "a socket_filter program (SEC(\"socket\"))",
  attach: SocketOption.SO_ATTACH_BPF, detach: SocketOption.SO_DETACH_FILTER,
};

const reuseportHook: SocketHook = {
  what: "reuseport selector", types: [ProgramType.SkReuseport, ProgramType.SocketFilter],
  needs: "an sk_reuseport program (SEC(\"sk_reuseport\")) or a socket_filter program",
  attach: SocketOption.SO_ATTACH_REUSEPORT_EBPF, detach: SocketOption.SO_DETACH_REUSEPORT_BPF,
};

function attachToSocket(program: Program, socket: SocketRef, hook: SocketHook): Link {
  checkAttachable(program, hook.types, `the ${hook.what} of ${typeof socket === "number" ? `socket fd ${socket}` : "a socket"}`, hook.needs);
  const own = ownSocket(socket);
  const target = `${hook.what} on ${own.name}`;
  try {
    setSocketIntOption(own.fd.raw, hook.attach, program.fd.raw, `attaching '${program.name}' as ${target}`);
  } catch (e) {
    own.fd.close();
    throw e;
  }
  return new Link({
    target,
    others: [own.fd],
    detach: () => setSocketIntOption(own.fd.raw, hook.detach, 0, `detaching the ${target}`),
    // Attaching again swaps the program in one step: the kernel replaces the old one.
    update: (next) => {
      checkAttachable(next, hook.types, target, hook.needs);
      setSocketIntOption(own.fd.raw, hook.attach, next.fd.raw, `attaching '${next.name}' as ${target}`);
    },
  });
}

/**
 * Attaches a socket_filter program to a socket (SO_ATTACH_BPF, Linux 3.19):
 * it sees every packet the socket receives (a UDP socket's filter sees the
 * UDP header, then the payload) and returns how many bytes to keep (0 drops
 * the packet). The Link keeps a duplicate of the socket's fd, so the socket
 * stays open until the link is closed. Errors: InvalidArgumentError for a
 * program of another type or an fd that is no socket; ClosedError for a
 * closed program.
 */
export function attachSocketFilter(program: Program, socket: SocketRef): Link {
  return attachToSocket(program, socket, filterHook);
}

/**
 * Attaches an sk_reuseport (or socket_filter) program to the SO_REUSEPORT
 * group of a socket (SO_ATTACH_REUSEPORT_EBPF, Linux 4.19 for sk_reuseport;
 * detaching needs 5.3): it picks the socket of the group that receives each
 * new packet or connection. Same errors as {@link attachSocketFilter}; a
 * socket bound without SO_REUSEPORT is refused (InvalidArgumentError).
 */
export function attachReuseport(program: Program, socket: SocketRef): Link {
  return attachToSocket(program, socket, reuseportHook);
}
