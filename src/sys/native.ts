// Loads the native shim (native/tsbpf.c). It is the only place that touches
// the addon, so the rest of the code sees a typed, documented surface.
// The addon is loaded on the first kernel call, not at import: the pure
// layers (BTF, ELF, asm, CO-RE, objects) and everything that imports them must
// work where the addon was never built, and a missing addon must surface as a
// typed error that says how to build it, not as an import failure.
import { createRequire } from "node:module";
import path from "node:path";
import { InvalidArgumentError, NativeAddonError } from "./errors.js";
import { packageRoot } from "./package-root.js";

/** Readiness events for {@link NativeShim.watch} (libuv's UV_READABLE …). */
export const POLL_READABLE = 1;
export const POLL_WRITABLE = 2;

/** An argument of a raw syscall: a machine word, or memory passed by address. */
export type SyscallArg = number | bigint | ArrayBufferView | ArrayBuffer | null | undefined;

export interface NativeShim {
  // Every entry point checks its arguments before acting: a wrong type or a
  // value out of range throws (InvalidArgumentError through `native`).
  /** Raw syscall (at most 6 arguments); returns the result (≥ 0) or -errno. */
  syscall(nr: number, ...args: SyscallArg[]): number;
  /** bpf(2) with the attr given by address; numbers only, for hot paths. Result or -errno. */
  bpf(cmd: number, attrAddress: number, size: number): number;
  /** Address of the bytes behind a buffer (stable while the buffer lives). */
  address(buf: ArrayBufferView | ArrayBuffer): bigint;
  /** mmap(2) (flags MAP_SHARED or MAP_PRIVATE only, length > 0) wrapped as an external ArrayBuffer, or -errno. */
  mmap(fd: number, length: number, prot: number, flags: number, offset: number): ArrayBuffer | number;
  /** Unmaps and detaches an ArrayBuffer returned by mmap; 0 or -errno. Again on the same buffer: 0, nothing done. */
  munmap(buffer: ArrayBuffer): number;
  /** Calls back on the event loop whenever fd is ready; a handle or -errno. */
  watch(fd: number, events: number, callback: (status: number, events: number) => void): WatchHandle | number;
  /** Stops a watcher; again (or after the fd was closed): 0, nothing done. */
  unwatch(handle: WatchHandle): number;
}

/** Opaque handle of an fd watcher. */
export type WatchHandle = { readonly __watchHandle: unique symbol };

/** Where node-gyp puts the addon it compiles (preferred over a prebuild when present). */
export function nativeAddonBuildPath(): string {
  return path.join(packageRoot(), "build", "Release", "tsbpf.node");
}

/**
 * Environment variable naming the addon file to load instead of the package's
 * own (a custom build; tests point it at a missing file to run without one).
 */
export const NATIVE_ADDON_ENV = "TSBPF_NATIVE_ADDON";

/** The code the shim gives the TypeError/RangeError it throws for a bad argument. */
export const NATIVE_ARGUMENT_ERROR_CODE = "ERR_TSBPF_NATIVE_ARGUMENT";

const require = createRequire(import.meta.url);

/**
 * The file the first kernel call loads: $TSBPF_NATIVE_ADDON, else what
 * node-gyp-build picks (build/Release, then the package's prebuilds/ for this
 * platform and arch, as prebuildify names them), else build/Release when
 * node-gyp-build itself is not installed (a checkout whose node_modules
 * predates the dependency).
 */
export function nativeAddonPath(): string {
  const override = process.env[NATIVE_ADDON_ENV];
  if (override) return override;
  let gypBuild: { path(dir: string): string };
  try {
    gypBuild = require("node-gyp-build") as typeof gypBuild;
  } catch {
    return nativeAddonBuildPath();
  }
  return gypBuild.path(packageRoot());
}

let addon: NativeShim | undefined;

/** The addon, loaded on first use; a NativeAddonError (retried next call) when it cannot be. */
function load(): NativeShim {
  let file = `${nativeAddonBuildPath()} (or a prebuild in ${path.join(packageRoot(), "prebuilds")})`;
  try {
    file = nativeAddonPath();
    addon = require(file) as NativeShim;
  } catch (e) {
    throw new NativeAddonError(file, e);
  }
  return addon;
}

/**
 * A shim argument error (the shim validates every argument before acting) as
 * the project's InvalidArgumentError, so a bad value that slips through a
 * public API reaches the user typed; anything else passes through unchanged.
 */
function typed(e: unknown): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (e instanceof Error && code === NATIVE_ARGUMENT_ERROR_CODE) {
    return new InvalidArgumentError(e.message, undefined, { cause: e });
  }
  return e;
}

// One explicit wrapper per entry point (no rest-argument spreading on the bpf
// hot path); each loads the addon on first use. A NativeAddonError passes
// through typed() unchanged.
export const native: NativeShim = {
  syscall(nr, ...args) {
    try {
      return (addon ?? load()).syscall(nr, ...args);
    } catch (e) {
      throw typed(e);
    }
  },
  bpf(cmd, attrAddress, size) {
    try {
      return (addon ?? load()).bpf(cmd, attrAddress, size);
    } catch (e) {
      throw typed(e);
    }
  },
  address(buf) {
    try {
      return (addon ?? load()).address(buf);
    } catch (e) {
      throw typed(e);
    }
  },
  mmap(fd, length, prot, flags, offset) {
    try {
      return (addon ?? load()).mmap(fd, length, prot, flags, offset);
    } catch (e) {
      throw typed(e);
    }
  },
  munmap(buffer) {
    try {
      return (addon ?? load()).munmap(buffer);
    } catch (e) {
      throw typed(e);
    }
  },
  watch(fd, events, callback) {
    try {
      return (addon ?? load()).watch(fd, events, callback);
    } catch (e) {
      throw typed(e);
    }
  },
  unwatch(handle) {
    try {
      return (addon ?? load()).unwatch(handle);
    } catch (e) {
      throw typed(e);
    }
  },
};
