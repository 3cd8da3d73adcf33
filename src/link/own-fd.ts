// A Link's own copy of a target the caller gave as an fd (a cgroup, a netns,
// a socket): the caller keeps theirs, and the link can still undo the
// attachment later whatever the caller does with it.
import { FD } from "../sys/fd.js";
import { BadFdError, InvalidArgumentError } from "../sys/errors.js";
import { EBADF } from "../sys/errno.js";

/** Duplicates `ref` (an FD or an fd number) for the caller to own; `kind` names it in errors ("socket fd"). */
export function dupCallerFd(ref: FD | number, kind: string): FD {
  if (ref instanceof FD) return ref.dup();
  if (!Number.isInteger(ref) || ref < 0) throw new InvalidArgumentError(`${kind}: ${ref} is not a file descriptor`, kind);
  const borrowed = new FD(ref, kind);
  try {
    return borrowed.dup();
  } catch (e) {
    throw e instanceof BadFdError ? new BadFdError(`${kind} ${ref} is not open`, { errno: EBADF }) : e;
  } finally {
    borrowed.release();
  }
}

/** How a target given as a path or an fd reads in messages: the path, or "fd N". */
export function describeTargetRef(ref: string | FD | number): string {
  if (typeof ref === "string") return ref;
  if (ref instanceof FD) return ref.closed ? "fd (closed)" : `fd ${ref.raw}`;
  return `fd ${ref}`;
}
