// Helpers shared by the map tests: little-endian key/value encoding and a
// few raw syscalls (sockets, perf events, pidfds) that give the fd-valued
// map types something real to hold.
import { native } from "../../src/sys/native.js";
import { SYS } from "../../src/sys/syscall.js";
import { FD } from "../../src/sys/fd.js";
import { Attr, stableBytes } from "../../src/sys/attr.js";
import { bpfRaw } from "../../src/sys/syscall.js";
import { Cmd, ProgInfo, ProgLoadAttr } from "../../src/sys/layouts.js";
import { infoByFd } from "../../src/sys/objects.js";

/** A 4-byte little-endian u32. */
export function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/** An 8-byte little-endian u64. */
export function u64(n: number | bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

/** Reads a little-endian u32 at `off`. */
export function readU32(b: Uint8Array, off = 0): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off, true);
}

/** Reads a little-endian u64 at `off` as a bigint. */
export function readU64(b: Uint8Array, off = 0): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(off, true);
}

/** Hex of bytes, for comparing sets of keys/values. */
export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

interface ExtraSyscalls { socketpair: number; pidfd_open: number; socket: number; setsockopt: number; bind: number }
const extra: Record<string, ExtraSyscalls> = {
  x64: { socketpair: 53, pidfd_open: 434, socket: 41, setsockopt: 54, bind: 49 },
  arm64: { socketpair: 199, pidfd_open: 434, socket: 198, setsockopt: 208, bind: 200 },
  riscv64: { socketpair: 199, pidfd_open: 434, socket: 198, setsockopt: 208, bind: 200 },
};

function sys(name: keyof ExtraSyscalls): number {
  const n = extra[process.arch]?.[name];
  if (n === undefined) throw new Error(`no ${name} syscall number for ${process.arch}`);
  return n;
}

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;

/** A connected AF_UNIX stream socket pair (sockmap/sockhash accept these since 5.15). */
export function unixSocketPair(): [FD, FD] {
  const fds = stableBytes(8);
  const r = native.syscall(sys("socketpair"), AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
  if (r < 0) throw new Error(`socketpair: errno ${-r}`);
  const v = new DataView(fds.buffer, fds.byteOffset, 8);
  return [new FD(v.getInt32(0, true), "socket"), new FD(v.getInt32(4, true), "socket")];
}

/** A UDP socket with SO_REUSEPORT bound to 127.0.0.1:0 (reuseport_sockarray values). */
export function reuseportUdpSocket(): FD {
  const r = native.syscall(sys("socket"), 2 /* AF_INET */, 2 /* SOCK_DGRAM */ | SOCK_CLOEXEC, 0);
  if (r < 0) throw new Error(`socket: errno ${-r}`);
  const fd = new FD(r, "socket");
  try {
    const one = stableBytes(4);
    one[0] = 1;
    let e = native.syscall(sys("setsockopt"), r, 1 /* SOL_SOCKET */, 15 /* SO_REUSEPORT */, one, 4);
    if (e < 0) throw new Error(`setsockopt(SO_REUSEPORT): errno ${-e}`);
    const sin = stableBytes(16);
    sin[0] = 2; // sin_family = AF_INET (little-endian u16); port 0
    sin.set([127, 0, 0, 1], 4);
    e = native.syscall(sys("bind"), r, sin, 16);
    if (e < 0) throw new Error(`bind: errno ${-e}`);
    return fd;
  } catch (err) {
    fd.close();
    throw err;
  }
}

/** Loads `r0 = 0; exit` as a socket filter (a program to put in a prog_array). */
export function loadTrivialProgram(): FD {
  const insns = stableBytes(16);
  insns.set([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
  const license = stableBytes(4);
  license.set([0x47, 0x50, 0x4c, 0]); // "GPL"
  const attr = new Attr(ProgLoadAttr);
  attr.set("prog_type", 1 /* socket_filter */).set("insn_cnt", 2).setPointer("insns", insns).setPointer("license", license);
  const r = bpfRaw(Cmd.PROG_LOAD, attr.address, attr.size);
  if (r < 0) throw new Error(`BPF_PROG_LOAD: errno ${-r}`);
  return new FD(r, "prog fd");
}

/** The kernel id of the program behind `fd`. */
export function progId(fd: FD): number {
  const info = new Attr(ProgInfo);
  infoByFd(fd, info.bytes);
  return info.get("id");
}

/** A pidfd of this process (task_storage keys, 5.3+). */
export function pidfdSelf(): FD {
  const r = native.syscall(sys("pidfd_open"), process.pid, 0);
  if (r < 0) throw new Error(`pidfd_open: errno ${-r}`);
  return new FD(r, "pidfd");
}

/** A software cpu-clock perf event on `cpu` for all processes (perf event array values). */
export function perfEventSoftware(cpu: number): FD {
  // struct perf_event_attr (PERF_ATTR_SIZE_VER5 = 112 bytes is accepted by every kernel here).
  const attr = stableBytes(128);
  const v = new DataView(attr.buffer, attr.byteOffset, 128);
  v.setUint32(0, 1, true); // type = PERF_TYPE_SOFTWARE
  v.setUint32(4, 128, true); // size
  v.setBigUint64(8, 0n, true); // config = PERF_COUNT_SW_CPU_CLOCK
  v.setBigUint64(16, 1000000n, true); // sample_period
  v.setBigUint64(40, 1n, true); // flags: disabled
  const r = native.syscall(SYS.perf_event_open, attr, -1, cpu, -1, 8 /* PERF_FLAG_FD_CLOEXEC */);
  if (r < 0) throw new Error(`perf_event_open: errno ${-r}`);
  return new FD(r, "perf event");
}
