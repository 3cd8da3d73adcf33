// Opening the cgroup an attach function or the `cgroup` CLI verbs act on: a
// cgroup v2 directory by path, or an fd the caller already has. The fd is the
// handle's own (a path is opened, an fd is duplicated), so the attachment can
// be undone later whatever the caller does with theirs.
import { constants, openSync } from "node:fs";
import { FD } from "../sys/fd.js";
import { InvalidArgumentError, NotFoundError, PermissionError } from "../sys/errors.js";
import { describeValue } from "../sys/arguments.js";
import { dupCallerFd } from "./own-fd.js";

/** A cgroup given by the path of its directory in the cgroup v2 hierarchy, or by an open fd of it. */
export type CgroupRef = string | FD | number;

/** An open cgroup directory and how to name it in messages. */
export interface OpenCgroup {
  fd: FD;
  /** "cgroup /sys/fs/cgroup/unified/app" or "cgroup fd 7". */
  name: string;
}

/** Opens (or duplicates) the cgroup `ref`; the caller owns the returned fd. */
export function openCgroup(ref: CgroupRef): OpenCgroup {
  if (typeof ref === "string") return { fd: openCgroupPath(ref), name: `cgroup ${ref}` };
  if (ref instanceof FD || (typeof ref === "number" && Number.isInteger(ref) && ref >= 0)) {
    return { fd: dupCallerFd(ref, "cgroup fd"), name: `cgroup fd ${ref instanceof FD ? ref.raw : ref}` };
  }
  throw new InvalidArgumentError(`cgroup must be the path of a cgroup v2 directory or an fd of one (got ${describeValue(ref)})`, "cgroup");
}

function openCgroupPath(path: string): FD {
  if (path === "") throw new InvalidArgumentError("cgroup path is empty", "cgroup");
  try {
    return new FD(openSync(path, constants.O_RDONLY | constants.O_DIRECTORY), "cgroup fd");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new NotFoundError(`cgroup ${path} does not exist`);
    if (code === "ENOTDIR") throw new InvalidArgumentError(`cgroup ${path} is not a directory (a cgroup is the directory of a cgroup v2 hierarchy)`, "cgroup");
    if (code === "EACCES" || code === "EPERM") throw new PermissionError(`cannot open cgroup ${path}: ${code}`);
    throw e;
  }
}
