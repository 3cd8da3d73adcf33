// The program fd a BPF_PROG_ATTACH attachment (cgroup, netns flow dissector,
// sockmap) keeps for itself: PROG_DETACH and a later replace must name
// exactly the program attached, even after the caller closed its Program.
// One place for the dup / attach / close-on-failure / swap-on-update steps.
import type { Program } from "../program/program.js";
import type { FD } from "../sys/fd.js";

/** Attaches a dup of `program`'s fd with `attach` and returns it; closes it if `attach` throws. */
function attachDup(program: Program, attach: (progFd: FD) => void): FD {
  const fd = program.fd.dup();
  try {
    attach(fd);
  } catch (e) {
    fd.close();
    throw e;
  }
  return fd;
}

/** Our own fd of the attached program; `replace` swaps it for the next one once that is attached. */
export class HeldProgram {
  #fd: FD;

  private constructor(fd: FD) {
    this.#fd = fd;
  }

  /** Dups `program`'s fd and attaches it with `attach`; nothing stays open if that throws. */
  static attach(program: Program, attach: (progFd: FD) => void): HeldProgram {
    return new HeldProgram(attachDup(program, attach));
  }

  /** The fd of the program attached now. */
  get fd(): FD {
    return this.#fd;
  }

  /** Attaches a dup of `next`'s fd with `attach`, then drops the old fd; on failure the old one stays held. */
  replace(next: Program, attach: (progFd: FD) => void): void {
    const nextFd = attachDup(next, attach);
    this.#fd.close();
    this.#fd = nextFd;
  }

  close(): void {
    this.#fd.close();
  }
}
