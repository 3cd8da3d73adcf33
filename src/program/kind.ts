// Is this fd a BPF program? The kernel names the anonymous inode of every
// program fd "bpf-prog", which tells programs apart from maps, links and BTF
// without a syscall that would misread another object's info.
import type { FD } from "../sys/fd.js";
import { bpfKindOfTarget, ownFdTarget } from "../sys/fd-kind.js";
import { BadFdError } from "../sys/errors.js";
import { EBADF } from "../sys/errno.js";

/** Throws BadFdError unless `fd` refers to a BPF program. */
export function assertProgramFd(fd: FD, what = "fd"): void {
  const raw = fd.raw;
  const target = ownFdTarget(raw);
  if (target === undefined) throw new BadFdError(`${what} ${raw} is not an open file descriptor`, { errno: EBADF });
  if (bpfKindOfTarget(target) !== "prog") {
    throw new BadFdError(`${what} ${raw} is not a BPF program (it is ${target})`, { errno: EBADF });
  }
}
