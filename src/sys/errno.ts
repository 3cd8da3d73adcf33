// errno values of Linux (identical on every architecture tsbpf supports).
export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const E2BIG = 7;
export const EBADF = 9;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const EXDEV = 18;
export const ENODEV = 19;
export const ENOTDIR = 20;
export const EINVAL = 22;
export const EMFILE = 24;
export const ENOTTY = 25;
export const ENOSPC = 28;
export const ERANGE = 34;
export const ENOSYS = 38;
export const ELOOP = 40;
export const ENOTSUPP = 524; // kernel-internal "not supported", leaks to user space
export const EOPNOTSUPP = 95;
export const ENOTSOCK = 88;
export const ENOPROTOOPT = 92;

const names: Record<number, string> = {
  1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 7: "E2BIG", 9: "EBADF", 11: "EAGAIN",
  12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 16: "EBUSY", 17: "EEXIST", 18: "EXDEV",
  19: "ENODEV", 20: "ENOTDIR", 22: "EINVAL", 24: "EMFILE", 25: "ENOTTY", 28: "ENOSPC",
  34: "ERANGE", 38: "ENOSYS", 40: "ELOOP", 88: "ENOTSOCK", 92: "ENOPROTOOPT", 95: "EOPNOTSUPP", 524: "ENOTSUPP",
};

/** Symbolic name of an errno ("ENOENT"), or "errno N". */
export function errnoName(errno: number): string {
  return names[errno] ?? `errno ${errno}`;
}
