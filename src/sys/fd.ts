// FD: the owner of one file descriptor. Ownership is explicit (close() or
// `using`); a FinalizationRegistry closes forgotten descriptors as a leak
// safety net only — it is never the intended way to release one.
import { closeRaw, rawSyscall, SYS } from "./syscall.js";
import { BadFdError, ClosedError, errorFromErrno, InvalidArgumentError } from "./errors.js";
import { describeValue, MAX_FD } from "./arguments.js";
import { EBADF } from "./errno.js";

const F_DUPFD_CLOEXEC = 1030;
const fcntlNumbers: Record<string, number> = { x64: 72, arm64: 25, riscv64: 25, s390x: 55, ppc64: 55 };

const leakGuard = new FinalizationRegistry<number>((raw) => {
  closeRaw(raw);
});

let openCount = 0;

/** An owned file descriptor. */
export class FD {
  #raw: number;
  readonly #kind: string;

  /** Takes ownership of `raw`; `kind` names the object in error messages ("map fd"). */
  constructor(raw: number, kind = "fd") {
    if (!Number.isInteger(raw) || raw < 0 || raw > MAX_FD) throw new BadFdError(`${kind}: ${describeValue(raw)} is not a file descriptor`, { errno: EBADF });
    this.#raw = raw;
    this.#kind = kind;
    leakGuard.register(this, raw, this);
    openCount++;
  }

  /** The descriptor number; throws ClosedError after close(). */
  get raw(): number {
    if (this.#raw < 0) throw new ClosedError(this.#kind);
    return this.#raw;
  }

  /** True after close(). */
  get closed(): boolean {
    return this.#raw < 0;
  }

  /** Closes the descriptor; calling it again does nothing. */
  close(): void {
    if (this.#raw < 0) return;
    const raw = this.#raw;
    this.#raw = -1;
    leakGuard.unregister(this);
    openCount--;
    closeRaw(raw);
  }

  /** A new descriptor (O_CLOEXEC) for the same object, owned by the caller. */
  dup(): FD {
    const r = rawSyscall(fcntlNumbers[process.arch] ?? 72, this.raw, F_DUPFD_CLOEXEC, 3);
    if (r < 0) throw errorFromErrno(-r, "fcntl(F_DUPFD_CLOEXEC)", this.#kind);
    return new FD(r, this.#kind);
  }

  /** Gives up ownership and returns the raw descriptor (the caller must close it). */
  release(): number {
    const raw = this.raw;
    this.#raw = -1;
    leakGuard.unregister(this);
    openCount--;
    return raw;
  }

  /** Closes the descriptor (`using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  /** The kind and number (`fd(5)`, `map fd(5)`), or `fd(closed)`, for messages. */
  toString(): string {
    return this.#raw < 0 ? `${this.#kind}(closed)` : `${this.#kind}(${this.#raw})`;
  }

  /** Number of FD objects currently open in this process (for leak tests). */
  static get openCount(): number {
    return openCount;
  }
}

export { SYS };

/**
 * Checks the fd argument of the `fromFd` constructors (maps, programs): an FD,
 * or a number naming a descriptor the caller hands over. A number that cannot
 * be an fd is a BadFdError; anything else an InvalidArgumentError.
 */
export function checkFdArgument(fd: unknown, what: string): asserts fd is FD | number {
  if (typeof fd === "number") {
    if (!Number.isInteger(fd) || fd < 0 || fd > MAX_FD) throw new BadFdError(`${what}: ${fd} is not a file descriptor`, { errno: EBADF });
  } else if (!(fd instanceof FD)) {
    throw new InvalidArgumentError(`${what}: expected an FD or a file descriptor number, got ${describeValue(fd)}`, "fd");
  }
}
