// if_indextoname(3) without libc: SIOCGIFNAME on a throwaway datagram socket.
// The answer is the name in the caller's network namespace (as bpftool's
// `link show` and `net show` print it), which /sys/class/net does not give
// once the caller has moved to another namespace.
import { stableBytes } from "./attr.js";
import { readCString } from "./cstring.js";
import { closeRaw, ioctlRaw, rawSyscall, SYS } from "./syscall.js";

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SIOCGIFNAME = 0x8910;
/** struct ifreq: a 16-byte name, then a union whose first member is the int ifindex. */
const IFREQ_SIZE = 40;
const IFNAMSIZ = 16;

/** The name of network interface `ifindex` in the caller's namespace, or undefined if there is none. */
export function interfaceName(ifindex: number): string | undefined {
  if (!Number.isInteger(ifindex) || ifindex <= 0 || ifindex > 0x7fff_ffff) return undefined;
  const sock = rawSyscall(SYS.socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return undefined;
  try {
    const req = stableBytes(IFREQ_SIZE);
    new DataView(req.buffer, req.byteOffset, IFREQ_SIZE).setInt32(IFNAMSIZ, ifindex, true);
    if (ioctlRaw(sock, SIOCGIFNAME, req) < 0) return undefined;
    return readCString(req.subarray(0, IFNAMSIZ));
  } finally {
    closeRaw(sock);
  }
}
