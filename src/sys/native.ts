// Loads the native shim (native/tsbpf.c). It is the only place that touches
// the addon, so the rest of the code sees a typed, documented surface.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";

/** Readiness events for {@link NativeShim.watch} (libuv's UV_READABLE …). */
export const POLL_READABLE = 1;
export const POLL_WRITABLE = 2;

/** An argument of a raw syscall: a machine word, or memory passed by address. */
export type SyscallArg = number | bigint | ArrayBufferView | ArrayBuffer | null | undefined;

export interface NativeShim {
  /** Raw syscall; returns the result (≥ 0) or -errno. */
  syscall(nr: number, ...args: SyscallArg[]): number;
  /** bpf(2) with the attr given by address; numbers only, for hot paths. Result or -errno. */
  bpf(cmd: number, attrAddress: number, size: number): number;
  /** Address of the bytes behind a buffer (stable while the buffer lives). */
  address(buf: ArrayBufferView | ArrayBuffer): bigint;
  /** mmap(2) wrapped as an external ArrayBuffer, or -errno. */
  mmap(fd: number, length: number, prot: number, flags: number, offset: number): ArrayBuffer | number;
  /** Unmaps and detaches an ArrayBuffer returned by mmap; 0 or -errno. */
  munmap(buffer: ArrayBuffer): number;
  /** Calls back on the event loop whenever fd is ready; a handle or -errno. */
  watch(fd: number, events: number, callback: (status: number, events: number) => void): WatchHandle | number;
  /** Stops a watcher; safe to call twice. */
  unwatch(handle: WatchHandle): number;
}

/** Opaque handle of an fd watcher. */
export type WatchHandle = { readonly __watchHandle: unique symbol };

function load(): NativeShim {
  const require = createRequire(import.meta.url);
  // dist/src/sys/native.js → repository root is three levels up.
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
  return require(path.join(root, "build", "Release", "tsbpf.node")) as NativeShim;
}

export const native: NativeShim = load();
