// Typed errors. Every failure of a kernel call becomes one of these classes,
// with a stable `code`, the errno when there is one, and a message that says
// what to do — a user should never need to look up an errno.
import * as E from "./errno.js";
import { explainPermissionDenied } from "./privileges.js";

/**
 * The stable error codes, one key each; match on `code` rather than on
 * messages. sys names only the codes of kernel calls: every other layer adds
 * its own next to its error classes by augmenting this interface (src/btf/
 * errors.ts adds INVALID_BTF and BTF_LOAD, src/elf INVALID_ELF, src/object
 * INVALID_OBJECT and UNKNOWN_SECTION, src/core CORE_RELOCATION, src/program
 * VERIFIER), so ErrorCode is the union of the layers a program imports.
 */
export interface ErrorCodes {
  SYSCALL: true;
  NOT_SUPPORTED: true;
  PERMISSION: true;
  INVALID_ARGUMENT: true;
  KEY_NOT_FOUND: true;
  KEY_EXISTS: true;
  PIN_EXISTS: true;
  NOT_FOUND: true;
  CLOSED: true;
  BUSY: true;
  INCOMPATIBLE: true;
  NO_SPACE: true;
  TOO_BIG: true;
  BAD_FD: true;
  NATIVE_ADDON: true;
}

/** A stable error code (see ErrorCodes). */
export type ErrorCode = keyof ErrorCodes;

/** What an error carries besides its message: the failed operation, errno, cause … */
export interface ErrorDetails {
  /** The operation that failed, e.g. "BPF_MAP_CREATE" or "pin map". */
  operation?: string;
  errno?: number;
  cause?: unknown;
}

/** Base class of every error tsbpf throws on purpose. */
export class BpfError extends Error {
  readonly code: ErrorCode;
  /** The kernel's errno, when the error came from a syscall. */
  readonly errno: number | undefined;
  readonly operation: string | undefined;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.errno = details.errno;
    this.operation = details.operation;
  }
}

/** A syscall failed in a way no more specific class describes. */
export class SyscallError extends BpfError {
  constructor(message: string, details: ErrorDetails = {}) {
    super("SYSCALL", message, details);
  }
}

/** The running kernel lacks a feature; says what, and since which version. */
export class NotSupportedError extends BpfError {
  readonly feature: string;
  readonly minKernel: string | undefined;
  constructor(feature: string, minKernel?: string, details: ErrorDetails = {}) {
    super(
      "NOT_SUPPORTED",
      `${feature} is not supported by the running kernel` + (minKernel ? ` (needs Linux ${minKernel} or newer)` : ""),
      details,
    );
    this.feature = feature;
    this.minKernel = minKernel;
  }
}

/** Missing privileges: names the capability (or LSM) that is in the way. */
export class PermissionError extends BpfError {
  constructor(message: string, details: ErrorDetails = {}) {
    super("PERMISSION", message, details);
  }
}

/**
 * The native shim (build/Release/tsbpf.node or a prebuild) is missing or did
 * not load, so no kernel call can be made. Only kernel calls need it: parsing
 * BTF and ELF, disassembling and CO-RE work without it.
 */
export class NativeAddonError extends BpfError {
  /** The addon file that was tried. */
  readonly path: string;
  constructor(path: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
    super(
      "NATIVE_ADDON",
      `the tsbpf native addon could not be loaded from ${path} (${why}); kernel calls need it. ` +
        "Build it with `npm rebuild tsbpf` (needs a C compiler, python3 and make), " +
        "or install on linux-x64/linux-arm64 where a prebuilt addon ships with the package",
      { cause },
    );
    this.path = path;
  }
}

/** The kernel rejected an argument; `field` names it when known. */
export class InvalidArgumentError extends BpfError {
  readonly field: string | undefined;
  constructor(message: string, field?: string, details: ErrorDetails = {}) {
    super("INVALID_ARGUMENT", message, details);
    this.field = field;
  }
}

/** A map lookup/delete found no element for the key. */
export class KeyNotFoundError extends BpfError {
  constructor(message = "key not found", details: ErrorDetails = {}) {
    super("KEY_NOT_FOUND", message, details);
  }
}

/** An update with BPF_NOEXIST found the key already present. */
export class KeyExistsError extends BpfError {
  constructor(message = "key already exists", details: ErrorDetails = {}) {
    super("KEY_EXISTS", message, details);
  }
}

/**
 * Pinning found the path taken (EEXIST from BPF_OBJ_PIN): a bpffs file is
 * already there. Distinct from KeyExistsError, which is about map keys.
 */
export class PinExistsError extends BpfError {
  /** The bpffs path that is already taken. */
  readonly path: string | undefined;
  constructor(message: string, path?: string, details: ErrorDetails = {}) {
    super("PIN_EXISTS", message, details);
    this.path = path;
  }
}

/** A named kernel object (pin, id, file) does not exist. */
export class NotFoundError extends BpfError {
  constructor(message: string, details: ErrorDetails = {}) {
    super("NOT_FOUND", message, details);
  }
}

/** An object was used after close(). */
export class ClosedError extends BpfError {
  constructor(what: string) {
    super("CLOSED", `${what} is closed`);
  }
}

/** An fd does not refer to an object of the expected kind, or is invalid. */
export class BadFdError extends BpfError {
  constructor(message: string, details: ErrorDetails = {}) {
    super("BAD_FD", message, details);
  }
}

/** The object is busy (e.g. a map being frozen while mmapped writable). */
export class BusyError extends BpfError {
  constructor(message: string, details: ErrorDetails = {}) {
    super("BUSY", message, details);
  }
}

/** A map or queue is full, or a log buffer too small. */
export class NoSpaceError extends BpfError {
  constructor(message: string, details: ErrorDetails = {}) {
    super("NO_SPACE", message, details);
  }
}

/** A size exceeds a kernel limit (E2BIG). */
export class TooBigError extends BpfError {
  constructor(message: string, details: ErrorDetails = {}) {
    super("TOO_BIG", message, details);
  }
}

/** An existing object (e.g. a pinned map) does not match what was asked for. */
export class IncompatibleError extends BpfError {
  constructor(message: string, details: ErrorDetails = {}) {
    super("INCOMPATIBLE", message, details);
  }
}

/**
 * Turns a failed syscall into a typed error. `operation` names the call
 * ("BPF_MAP_CREATE"); `context` adds what was being done ("hash map 'counts'").
 */
export function errorFromErrno(
  errno: number,
  operation: string,
  context = "",
  attr?: { lastNonZeroField(): string | undefined },
): BpfError {
  const what = context ? `${operation} (${context})` : operation;
  const d: ErrorDetails = { operation, errno };
  const name = E.errnoName(errno);
  switch (errno) {
    case E.EPERM:
    case E.EACCES:
      return new PermissionError(`${what}: ${name}: ${explainPermissionDenied()}`, d);
    case E.ENOENT:
      return new NotFoundError(`${what}: ${name}: no such object`, d);
    case E.EEXIST:
      return new KeyExistsError(`${what}: ${name}: already exists`, d);
    case E.EBADF:
      return new BadFdError(`${what}: ${name}: the file descriptor is closed or not a BPF object of the right kind`, d);
    case E.EBUSY:
      return new BusyError(`${what}: ${name}: the object is busy`, d);
    case E.ENOSPC:
      return new NoSpaceError(`${what}: ${name}: no space left (map full, or log buffer too small)`, d);
    case E.E2BIG: {
      const field = attr?.lastNonZeroField();
      return new TooBigError(
        `${what}: ${name}: a size or count exceeds the kernel's limit, or the call sets a field this kernel ` +
          `does not know yet (non-zero bytes past the end of its bpf_attr${field ? `; the last field set is '${field}'` : ""})`,
        d,
      );
    }
    case E.EINVAL:
      return new InvalidArgumentError(`${what}: ${name}: the kernel rejected an argument`, undefined, d);
    case E.ENOSYS:
    case E.EOPNOTSUPP:
    case E.ENOTSUPP:
      return new NotSupportedError(what, undefined, d);
    case E.ENOMEM:
      return new SyscallError(`${what}: ${name}: out of memory (check RLIMIT_MEMLOCK on kernels before 5.11, or map sizes)`, d);
    default:
      return new SyscallError(`${what}: ${name}`, d);
  }
}
