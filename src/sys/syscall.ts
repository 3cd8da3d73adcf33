// Raw syscalls: numbers per architecture and thin typed wrappers.
import { native, type SyscallArg } from "./native.js";
import { errorFromErrno, NotSupportedError } from "./errors.js";

interface SyscallNumbers { bpf: number; perf_event_open: number; ioctl: number; close: number; dup3: number; mount: number; renameat2: number; capget: number; capset: number; setsockopt: number; }

const numbersByArch: Record<string, SyscallNumbers> = {
  x64: { bpf: 321, perf_event_open: 298, ioctl: 16, close: 3, dup3: 292, mount: 165, renameat2: 316, capget: 125, capset: 126, setsockopt: 54 },
  arm64: { bpf: 280, perf_event_open: 241, ioctl: 29, close: 57, dup3: 24, mount: 40, renameat2: 276, capget: 90, capset: 91, setsockopt: 208 },
  riscv64: { bpf: 280, perf_event_open: 241, ioctl: 29, close: 57, dup3: 24, mount: 40, renameat2: 276, capget: 90, capset: 91, setsockopt: 208 },
  s390x: { bpf: 351, perf_event_open: 331, ioctl: 54, close: 6, dup3: 326, mount: 21, renameat2: 347, capget: 184, capset: 185, setsockopt: 366 },
  ppc64: { bpf: 361, perf_event_open: 319, ioctl: 54, close: 6, dup3: 316, mount: 21, renameat2: 357, capget: 183, capset: 184, setsockopt: 339 },
};

const nr = numbersByArch[process.arch];
if (!nr) throw new NotSupportedError(`tsbpf on ${process.arch} (no syscall numbers for this architecture)`);
/** Syscall numbers of the running architecture. */
export const SYS: SyscallNumbers = nr;

// bpf(2) calls made through this module: tests assert that a cached answer
// makes no kernel call by counting calls, never by timing them.
let bpfCalls = 0;

/** Number of bpf(2) calls this process has made through the sys layer. */
export function bpfCallCount(): number {
  return bpfCalls;
}

/** Performs a syscall; returns the result or -errno (never throws for kernel errors). */
export function rawSyscall(number: number, ...args: SyscallArg[]): number {
  if (number === SYS.bpf) bpfCalls++;
  return native.syscall(number, ...args);
}

/**
 * bpf(2) with an attr passed by address (a number: the hot path) or buffer.
 * Returns the result or -errno.
 */
export function bpfRaw(cmd: number, attr: number | ArrayBufferView, size: number): number {
  bpfCalls++;
  return typeof attr === "number" ? native.bpf(cmd, attr, size) : native.syscall(SYS.bpf, cmd, attr, size);
}

/** bpf(2) that throws a typed error on failure. */
export function bpfCall(cmd: number, attr: number | ArrayBufferView, size: number, operation: string, context = ""): number {
  const r = bpfRaw(cmd, attr, size);
  if (r < 0) throw errorFromErrno(-r, operation, context);
  return r;
}

/** ioctl(2); returns the result or -errno. */
export function ioctlRaw(fd: number, request: number, arg: SyscallArg): number {
  return native.syscall(SYS.ioctl, fd, request, arg);
}

/** close(2) of a raw fd; returns 0 or -errno. */
export function closeRaw(fd: number): number {
  return native.syscall(SYS.close, fd);
}
