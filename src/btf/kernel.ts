// The only part of the BTF layer that talks to the kernel: BPF_BTF_LOAD
// (with the verifier's grow-the-log policy) and reading kernel BTF objects
// back by id (BPF_BTF_GET_FD_BY_ID + BPF_OBJ_GET_INFO_BY_FD).
import { Attr, stableBytes } from "../sys/attr.js";
import { BtfInfo, BtfLoadAttr, Cmd } from "../sys/layouts.js";
import { bpfRaw } from "../sys/syscall.js";
import { FD } from "../sys/fd.js";
import { ENOSPC } from "../sys/errno.js";
import { errorFromErrno, NotFoundError } from "../sys/errors.js";
import { fdById, infoByFd, allIds } from "../sys/objects.js";
import { readCString } from "../sys/cstring.js";
import { Btf } from "./btf.js";
import { BtfLoadError } from "./errors.js";
import { kernelBtf } from "./discovery.js";
import { RAW } from "./mapped-bytes.js";

/** Options of loadBtf. */
export interface BtfLoadOptions {
  /** Always request a log (level 1) instead of only after a failure. */
  logLevel?: 0 | 1 | 2;
  /** Initial log buffer size in bytes (default 64 KiB); grows to the size the kernel asks for. */
  logSize?: number;
  /** BPF token fd for unprivileged loads (Linux 6.9+). */
  tokenFd?: number;
}

const DEFAULT_LOG_SIZE = 64 * 1024;
const MAX_LOG_SIZE = 16 * 1024 * 1024;

/**
 * Loads BTF into the kernel (BPF_BTF_LOAD, Linux 4.18+) and returns its fd.
 * On failure it retries with a log, growing the buffer to the size the kernel
 * reports (btf_log_true_size, Linux 6.4+; doubling on older kernels), and
 * throws BtfLoadError carrying the kernel's log.
 */
export function loadBtf(btf: Btf | Uint8Array, options: BtfLoadOptions = {}): FD {
  const raw = btf instanceof Btf ? btf[RAW].bytes : btf;
  const data = stableBytes(raw.byteLength);
  data.set(raw);
  const attr = new Attr(BtfLoadAttr);
  const attempt = (log: Uint8Array | undefined, level: number): number => {
    attr.zero().setPointer("btf", data).set("btf_size", data.byteLength);
    if (options.tokenFd !== undefined) attr.set("btf_token_fd", options.tokenFd).set("btf_flags", 1 << 16);
    if (log) attr.setPointer("btf_log_buf", log).set("btf_log_size", log.byteLength).set("btf_log_level", level);
    return bpfRaw(Cmd.BTF_LOAD, attr.address, attr.size);
  };
  const level = options.logLevel ?? 0;
  let size = options.logSize ?? DEFAULT_LOG_SIZE;
  let log = level > 0 ? stableBytes(size) : undefined;
  let r = attempt(log, level);
  if (r >= 0) return new FD(r, "btf fd");
  const firstErrno = -r;
  // Retry with a log; grow it while the kernel says it was too small.
  for (;;) {
    log ??= stableBytes(size);
    r = attempt(log, Math.max(level, 1));
    if (r >= 0) return new FD(r, "btf fd"); // Loads with a log can succeed where the first try hit a transient error.
    const trueSize = attr.get("btf_log_true_size");
    if (-r !== ENOSPC || size >= MAX_LOG_SIZE) break;
    size = trueSize > size ? trueSize : size * 2;
    log = undefined;
  }
  const text = cString(log);
  const errno = -r === ENOSPC ? firstErrno : -r;
  const cause = errorFromErrno(errno, "BPF_BTF_LOAD");
  throw new BtfLoadError(`the kernel rejected the BTF: ${cause.message}`, text, errno);
}

function cString(bytes: Uint8Array | undefined): string {
  return bytes ? readCString(bytes) : "";
}

/** What the kernel reports about a BTF object. */
export interface KernelBtfInfo {
  readonly id: number;
  /** "vmlinux", a module name, or "" for BTF loaded by a program. */
  readonly name: string;
  /** True for vmlinux and module BTF (Linux 5.11+). */
  readonly kernelBtf: boolean;
  /** Size of the raw BTF in bytes. */
  readonly size: number;
}

/** Info of a BTF fd (BPF_OBJ_GET_INFO_BY_FD; names need Linux 5.11+). */
export function btfInfo(fd: FD): KernelBtfInfo {
  return readInfo(fd, undefined).info;
}

function readInfo(fd: FD, data: Uint8Array | undefined): { info: KernelBtfInfo; data: Uint8Array | undefined } {
  const info = new Attr(BtfInfo);
  const name = stableBytes(256);
  info.setPointer("name", name).set("name_len", name.byteLength);
  if (data) info.setPointer("btf", data).set("btf_size", data.byteLength);
  infoByFd(fd, info.bytes);
  return {
    info: { id: info.get("id"), name: cString(name), kernelBtf: info.get("kernel_btf") !== 0, size: info.get("btf_size") },
    data,
  };
}

/** Raw bytes and info of the BTF behind an fd. */
export function readBtfFd(fd: FD): { info: KernelBtfInfo; bytes: Uint8Array } {
  // The first call learns the size; a second one copies the bytes (retry if it grew in between).
  for (let tries = 0; ; tries++) {
    const { info } = readInfo(fd, undefined);
    const buf = stableBytes(info.size);
    const second = readInfo(fd, buf);
    if (second.info.size <= buf.byteLength || tries > 3) return { info: second.info, bytes: buf.subarray(0, second.info.size) };
  }
}

/** Options of readKernelBtfById. */
export interface ReadBtfOptions {
  /** Base for split BTF; defaults to the running kernel's vmlinux BTF for module BTF. */
  base?: Btf;
}

/**
 * Reads a kernel BTF object by id (BPF_BTF_GET_FD_BY_ID, Linux 5.0+; needs
 * CAP_SYS_ADMIN) and parses it. Module BTF is parsed as split BTF on vmlinux.
 */
export function readKernelBtfById(id: number, options: ReadBtfOptions = {}): { btf: Btf; info: KernelBtfInfo } {
  const fd = fdById("btf", id, "read-only");
  try {
    const { info, bytes } = readBtfFd(fd);
    const split = info.kernelBtf && info.name !== "vmlinux";
    const base = options.base ?? (split ? kernelBtf() : undefined);
    return { btf: new Btf(bytes, { base }), info };
  } finally {
    fd.close();
  }
}

/** Ids of every BTF object in the kernel (BPF_BTF_GET_NEXT_ID, Linux 5.4+). */
export function kernelBtfIds(): number[] {
  return [...allIds("btf")];
}

/**
 * Opens the kernel BTF object of a module (or "vmlinux") by name: the id
 * whose info has kernel_btf set and that name (Linux 5.11+; needs
 * CAP_SYS_ADMIN). The caller owns the fd. NotFoundError when no loaded
 * module has that name.
 */
export function openKernelBtfByName(name: string): FD {
  for (const id of allIds("btf")) {
    let fd: FD;
    try {
      fd = fdById("btf", id, "read-only");
    } catch (e) {
      if (e instanceof NotFoundError) continue; // Freed between listing and opening.
      throw e;
    }
    let match = false;
    try {
      const info = btfInfo(fd);
      match = info.kernelBtf && info.name === name;
    } finally {
      if (!match) fd.close();
    }
    if (match) return fd;
  }
  throw new NotFoundError(`no kernel BTF object named '${name}' (is the module loaded?)`);
}
