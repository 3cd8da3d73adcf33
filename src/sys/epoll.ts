// An epoll instance of our own, for readers that watch several fds through
// one libuv watcher (the epoll fd is itself pollable: readable while any fd
// in it is ready), as libbpf's ring_buffer__add puts every ring in one epoll.
import { endianness } from "node:os";
import { FD } from "./fd.js";
import { errorFromErrno } from "./errors.js";
import { rawSyscall, SYS } from "./syscall.js";

const EPOLL_CLOEXEC = 0o2000000;
const EPOLL_CTL_ADD = 1;
/** EPOLLIN. */
export const EPOLL_IN = 0x001;
/** struct epoll_event is packed on x86-64 (12 bytes), naturally aligned elsewhere (16). */
const DATA_OFFSET = process.arch === "x64" ? 4 : 8;
const LITTLE = endianness() === "LE";

/** epoll_create1(EPOLL_CLOEXEC). */
export function epollCreate(what: string): FD {
  const r = rawSyscall(SYS.epoll_create1, EPOLL_CLOEXEC);
  if (r < 0) throw errorFromErrno(-r, "epoll_create1", what);
  return new FD(r, `epoll fd of ${what}`);
}

/** Adds `fd` to `epoll` for `events`, tagged with `data` (a u32). */
export function epollAdd(epoll: FD, fd: FD, events: number, data: number, what: string): void {
  const event = new DataView(new ArrayBuffer(16));
  event.setUint32(0, events, LITTLE);
  // The low half of the u64 data: its first four bytes on a little-endian machine.
  event.setUint32(DATA_OFFSET + (LITTLE ? 0 : 4), data, LITTLE);
  const r = rawSyscall(SYS.epoll_ctl, epoll.raw, EPOLL_CTL_ADD, fd.raw, event);
  if (r < 0) throw errorFromErrno(-r, "epoll_ctl(EPOLL_CTL_ADD)", what);
}
