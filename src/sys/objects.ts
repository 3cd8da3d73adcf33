// Generic operations on any BPF object fd: pinning in bpffs, ids, info.
import { statSync, unlinkSync } from "node:fs";
import { basename, dirname } from "node:path";
import { Attr } from "./attr.js";
import { cString } from "./cstring.js";
import { Cmd, GetIdAttr, InfoByFdAttr, ObjAttr, cmdName } from "./layouts.js";
import { bpfRaw } from "./syscall.js";
import { FD } from "./fd.js";
import { EACCES, EEXIST, EINVAL, ENOENT, EPERM, errnoName } from "./errno.js";
import { notBpffsMessage, onBpffs } from "./filesystems.js";
import { BpfError, errorFromErrno, InvalidArgumentError, NotFoundError, PinExistsError } from "./errors.js";

/** Kinds of BPF objects that have ids. */
export type ObjectKind = "prog" | "map" | "btf" | "link";

/** BPF_F_RDONLY / BPF_F_WRONLY, for opening pins and ids read- or write-only. */
export const BPF_F_RDONLY = 1 << 3;
/** BPF_F_WRONLY: open a pin or an id write-only. */
export const BPF_F_WRONLY = 1 << 4;

/** Access mode for objects opened from a pin or an id. */
export type AccessMode = "rw" | "read-only" | "write-only";

/** The BPF_F_RDONLY / BPF_F_WRONLY flags of an access mode (0 for read-write or none). */
export function accessFlags(mode: AccessMode | undefined): number {
  return mode === "read-only" ? BPF_F_RDONLY : mode === "write-only" ? BPF_F_WRONLY : 0;
}

/** Pins an object fd at `path` in a bpffs mount (BPF_OBJ_PIN). */
export function pinFd(fd: FD, path: string): void {
  const attr = new Attr(ObjAttr);
  const p = cString(path);
  attr.setPointer("pathname", p).set("bpf_fd", fd.raw);
  const r = bpfRaw(Cmd.OBJ_PIN, attr.address, attr.size);
  if (r < 0) throw explainPathError(-r, "BPF_OBJ_PIN", path);
}

/** Opens the object pinned at `path` (BPF_OBJ_GET); `kind` names it in errors. */
export function openPinnedFd(path: string, mode: AccessMode = "rw", kind = "object"): FD {
  const attr = new Attr(ObjAttr);
  const p = cString(path);
  attr.setPointer("pathname", p).set("file_flags", accessFlags(mode));
  const r = bpfRaw(Cmd.OBJ_GET, attr.address, attr.size);
  if (r < 0) throw explainPathError(-r, "BPF_OBJ_GET", path);
  return new FD(r, `pinned ${kind}`);
}

function explainPathError(errno: number, op: string, path: string): BpfError {
  if (errno === ENOENT) {
    return new NotFoundError(
      `${op}: nothing is pinned at ${path} (or its directory does not exist); ` +
        "check that bpffs is mounted there (mount -t bpf bpf /sys/fs/bpf)",
      { operation: op, errno },
    );
  }
  if (errno === EEXIST) {
    return new PinExistsError(`${op}: ${path} already exists (unpin it, or choose another path)`, path, { operation: op, errno });
  }
  // bpffs and the VFS answer EPERM/EACCES/EINVAL for paths they will not take;
  // say which of those it was before suspecting capabilities or an LSM.
  const d = { operation: op, errno };
  if (errno === EPERM || errno === EACCES || errno === EINVAL) {
    const reason = pathProblem(op, path);
    if (reason) return new InvalidArgumentError(`${op}: ${errnoName(errno)}: ${reason}`, "path", d);
  }
  return errorFromErrno(errno, op, path);
}

/** What is wrong with `path` itself for pinning (BPF_OBJ_PIN) or opening a pin (BPF_OBJ_GET), if anything. */
function pathProblem(op: string, path: string): string | undefined {
  const pinning = op === "BPF_OBJ_PIN";
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    // Missing: judged by its directory below.
  }
  if (!pinning && isDir) return `${path} is a directory, not a pin`;
  if (!onBpffs(pinning ? dirname(path) : path)) return notBpffsMessage(pinning ? dirname(path) : path);
  if (pinning && basename(path).includes(".")) return `bpffs refuses names containing '.' (${basename(path)}); use '_' instead`;
  return undefined;
}

/** Removes a pin (a plain unlink in bpffs). Missing pins are NotFoundError. */
export function unpinPath(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      throw new NotFoundError(`nothing is pinned at ${path}`, { operation: "unpin", errno: ENOENT });
    }
    throw e;
  }
}

const nextIdCmd: Record<ObjectKind, Cmd> = {
  prog: Cmd.PROG_GET_NEXT_ID, map: Cmd.MAP_GET_NEXT_ID, btf: Cmd.BTF_GET_NEXT_ID, link: Cmd.LINK_GET_NEXT_ID,
};
const fdByIdCmd: Record<ObjectKind, Cmd> = {
  prog: Cmd.PROG_GET_FD_BY_ID, map: Cmd.MAP_GET_FD_BY_ID, btf: Cmd.BTF_GET_FD_BY_ID, link: Cmd.LINK_GET_FD_BY_ID,
};

/** The id following `start` for this kind of object, or undefined at the end. */
export function nextId(kind: ObjectKind, start: number): number | undefined {
  const attr = new Attr(GetIdAttr);
  attr.set("start_id", start);
  const r = bpfRaw(nextIdCmd[kind], attr.address, attr.size);
  if (r < 0) {
    if (-r === ENOENT) return undefined;
    throw errorFromErrno(-r, cmdName[nextIdCmd[kind]] ?? "GET_NEXT_ID");
  }
  return attr.get("next_id");
}

/** Every id of this kind currently in the kernel, ascending. */
export function* allIds(kind: ObjectKind): Generator<number> {
  let id = 0;
  for (;;) {
    const next = nextId(kind, id);
    if (next === undefined) return;
    yield next;
    id = next;
  }
}

/** Opens an object by id (needs CAP_SYS_ADMIN). */
export function fdById(kind: ObjectKind, id: number, mode: AccessMode = "rw"): FD {
  const attr = new Attr(GetIdAttr);
  attr.set("id", id);
  if (kind === "map" || kind === "link") attr.set("open_flags", accessFlags(mode));
  const r = bpfRaw(fdByIdCmd[kind], attr.address, attr.size);
  if (r < 0) {
    if (-r === ENOENT) throw new NotFoundError(`no ${kind} with id ${id}`, { operation: cmdName[fdByIdCmd[kind]], errno: ENOENT });
    throw errorFromErrno(-r, cmdName[fdByIdCmd[kind]] ?? "GET_FD_BY_ID", `${kind} id ${id}`);
  }
  return new FD(r, `${kind} fd`);
}

/**
 * BPF_OBJ_GET_INFO_BY_FD into `info` (an attr buffer of the info layout).
 * Returns the length the kernel filled in.
 */
export function infoByFd(fd: FD, info: Uint8Array): number {
  const attr = new Attr(InfoByFdAttr);
  attr.set("bpf_fd", fd.raw).set("info_len", info.byteLength).setPointer("info", info);
  const r = bpfRaw(Cmd.OBJ_GET_INFO_BY_FD, attr.address, attr.size);
  if (r < 0) throw errorFromErrno(-r, "BPF_OBJ_GET_INFO_BY_FD");
  return attr.get("info_len");
}
