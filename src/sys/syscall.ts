// Raw syscalls: numbers per architecture and thin typed wrappers.
import { native, type SyscallArg } from "./native.js";
import { errorFromErrno, NotSupportedError } from "./errors.js";

// One row per syscall, one column per architecture: adding a syscall is one line.
const ARCHES = ["x64", "arm64", "riscv64", "s390x", "ppc64"] as const;
const numbersBySyscall = {
  //                x64  arm64 riscv64 s390x ppc64
  bpf:             [321, 280, 280, 351, 361],
  perf_event_open: [298, 241, 241, 331, 319],
  ioctl:           [16, 29, 29, 54, 54],
  close:           [3, 57, 57, 6, 6],
  dup3:            [292, 24, 24, 326, 316],
  mount:           [165, 40, 40, 21, 21],
  renameat2:       [316, 276, 276, 347, 357],
  capget:          [125, 90, 90, 184, 183],
  capset:          [126, 91, 91, 185, 184],
  socket:          [41, 198, 198, 359, 326],
  bind:            [49, 200, 200, 361, 327],
  sendto:          [44, 206, 206, 369, 335],
  recvfrom:        [45, 207, 207, 371, 337],
  setsockopt:      [54, 208, 208, 366, 339],
  epoll_create1:   [291, 20, 20, 327, 315],
  epoll_ctl:       [233, 21, 21, 250, 237],
} satisfies Record<string, readonly number[]>;

type SyscallNumbers = { readonly [K in keyof typeof numbersBySyscall]: number };

function numbersFor(arch: string): SyscallNumbers | undefined {
  const column = ARCHES.indexOf(arch as (typeof ARCHES)[number]);
  if (column < 0) return undefined;
  return Object.fromEntries(Object.entries(numbersBySyscall).map(([name, row]) => [name, row[column]])) as unknown as SyscallNumbers;
}

const nr = numbersFor(process.arch);
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
