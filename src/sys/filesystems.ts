// The two pseudo file systems BPF needs: bpffs (pins) and tracefs (tracepoint
// ids). Pinning outside bpffs used to hang in a recursive mkdir on sysfs and
// tracepoints failed on machines that had not mounted tracefs, so every pin
// directory is checked by its statfs magic first, and both are mounted at
// their canonical places when absent and this process may (as bpftool does).
import { mkdirSync, statfsSync, statSync } from "node:fs";
import path from "node:path";
import { cString } from "./cstring.js";
import { EPERM } from "./errno.js";
import { InvalidArgumentError, PermissionError } from "./errors.js";
import { rawSyscall, SYS } from "./syscall.js";

/** statfs f_type of bpffs (linux/magic.h BPF_FS_MAGIC). */
export const BPF_FS_MAGIC = 0xcafe4a11;
/** statfs f_type of tracefs (linux/magic.h TRACEFS_MAGIC). */
export const TRACEFS_MAGIC = 0x74726163;
/** Where bpffs is mounted by convention (libbpf's and bpftool's default pin root). */
export const BPFFS_ROOT = "/sys/fs/bpf";
/** Where tracefs is mounted by convention (Linux 4.1+). */
export const TRACEFS_ROOT = "/sys/kernel/tracing";
/** How to mount bpffs by hand, quoted in errors. */
export const MOUNT_BPFFS_HINT = `mount it with \`mount -t bpf bpf ${BPFFS_ROOT}\``;

/** A few file system names for messages (linux/magic.h). */
const FS_NAMES: Readonly<Record<number, string>> = {
  [BPF_FS_MAGIC]: "bpffs", [TRACEFS_MAGIC]: "tracefs", 0x62656572: "sysfs", 0x01021994: "tmpfs",
  0xef53: "ext4", 0x9123683e: "btrfs", 0x58465342: "xfs", 0x9fa0: "procfs", 0x64626720: "debugfs",
  0x794c7630: "overlayfs", 0x27e0eb: "cgroup", 0x63677270: "cgroup2",
};

/** The statfs magic of the file system holding `p`, or undefined when `p` does not exist. */
export function fsMagic(p: string): number | undefined {
  try {
    return Number(statfsSync(p).type);
  } catch {
    return undefined;
  }
}

/** A readable name for a statfs magic ("sysfs", "tmpfs", else the number in hex). */
export function fsName(magic: number): string {
  return FS_NAMES[magic] ?? `file system 0x${magic.toString(16)}`;
}

/** `p` itself if it exists, else its nearest existing ancestor. */
export function nearestExisting(p: string): string {
  let at = path.resolve(p);
  for (;;) {
    try {
      statSync(at);
      return at;
    } catch {
      const up = path.dirname(at);
      if (up === at) return at;
      at = up;
    }
  }
}

/** True when `p` (or, when it does not exist yet, its nearest existing ancestor) is on bpffs. */
export function onBpffs(p: string): boolean {
  return fsMagic(nearestExisting(p)) === BPF_FS_MAGIC;
}

/** mount(2) of a pseudo file system at `target`; 0 or -errno. */
function mountPseudoFs(type: string, target: string): number {
  return rawSyscall(SYS.mount, cString(type), cString(target), cString(type), 0, null);
}

/**
 * Mounts `type` at `root` unless it is already there; true when it is there
 * afterwards. Only the canonical, existing directory is ever mounted on, and
 * only while it is not that file system yet: nothing is stacked, nothing is
 * mounted over a user's directory. EPERM (no CAP_SYS_ADMIN) is a PermissionError.
 */
function ensureMounted(type: string, root: string, magic: number): boolean {
  const have = fsMagic(root);
  if (have === magic) return true;
  if (have === undefined) return false;
  const r = mountPseudoFs(type, root);
  if (r === -EPERM) {
    throw new PermissionError(`${fsName(magic)} is not mounted at ${root}, and this process may not mount it (it needs CAP_SYS_ADMIN): ` +
      `mount it with \`mount -t ${type} ${type} ${root}\``, { operation: "mount", errno: EPERM });
  }
  return r === 0 && fsMagic(root) === magic;
}

/** Mounts tracefs at /sys/kernel/tracing when it is absent and this process may; true when it is there afterwards. */
export function ensureTracefs(): boolean {
  try {
    return ensureMounted("tracefs", TRACEFS_ROOT, TRACEFS_MAGIC);
  } catch {
    // The caller reports "tracefs is not mounted" with the command to mount it.
    return false;
  }
}

/** Why `p` cannot hold pins: the file system it is on. */
export function notBpffsMessage(p: string): string {
  const at = nearestExisting(p);
  const magic = fsMagic(at);
  const where = magic === undefined ? "" : ` (${at} is on ${fsName(magic)})`;
  const hint = path.resolve(p).startsWith(`${BPFFS_ROOT}/`) || path.resolve(p) === BPFFS_ROOT
    ? MOUNT_BPFFS_HINT
    : `pin under a bpffs mount such as ${BPFFS_ROOT} (${MOUNT_BPFFS_HINT} if it is not mounted)`;
  return `${p} is not on a bpffs mount${where}: ${hint}`;
}

/**
 * Checks that `p` (or its nearest existing ancestor) is on bpffs, mounting
 * bpffs at /sys/fs/bpf first when `p` is under it, bpffs is absent and this
 * process may (unless `mount` is false); else an InvalidArgumentError naming
 * the file system `p` is on. Returns `p` as an absolute path.
 */
export function requireBpffs(p: string, options: { mount?: boolean } = {}): string {
  const abs = path.resolve(p);
  const mayMount = options.mount ?? true; // bpftool's -n (--nomount) says false
  if (mayMount && !onBpffs(abs) && (abs === BPFFS_ROOT || abs.startsWith(`${BPFFS_ROOT}/`))) ensureMounted("bpf", BPFFS_ROOT, BPF_FS_MAGIC);
  if (!onBpffs(abs)) throw new InvalidArgumentError(notBpffsMessage(p), "path");
  return abs;
}

/**
 * Makes `dir` (and missing parents) as directories on bpffs, mode 0700 as
 * libbpf makes them (whatever the umask). The nearest existing ancestor must
 * be on bpffs; when `dir` is under /sys/fs/bpf and bpffs is not mounted
 * there, it is mounted first if this process may. A path elsewhere is an
 * InvalidArgumentError saying which file system it is on — checked before any
 * mkdir, so a path on sysfs can never send mkdir into a loop.
 */
export function ensureBpffsDir(dir: string, options: { mount?: boolean } = {}): void {
  const abs = requireBpffs(dir, options);
  const missing: string[] = [];
  for (let at = abs; fsMagic(at) === undefined; at = path.dirname(at)) missing.unshift(at);
  for (const d of missing) {
    try {
      mkdirSync(d, { mode: 0o700 });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EEXIST") continue;
      throw new InvalidArgumentError(`cannot make the pin directory ${d}: ${code ?? String(e)}` +
        (code === "EPERM" && path.basename(d).includes(".") ? " (bpffs refuses names containing '.')" : ""), "path");
    }
  }
}
