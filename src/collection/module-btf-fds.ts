// The kernel BTF objects of the modules a load's ksyms and kfuncs resolved
// into. A typed ksym's ld_imm64 carries the module's BTF fd; a kfunc call
// carries an index into the program's fd_array (0 means vmlinux, so module
// slots start at 1). Slots are per object: every program shares them. The
// fds only need to live until the programs are loaded (the kernel keeps its
// own reference), so one load owns them and closes them when it ends.
import type { FD } from "../sys/fd.js";
import { TooBigError } from "../sys/errors.js";
import type { ModuleBtf } from "./module-btf.js";

/** insn.off is a signed 16-bit field. */
const MAX_FD_ARRAY_INDEX = 0x7fff;

/** Opens module BTF fds on first use and hands out their fd_array slots. */
export class ModuleBtfFds implements Disposable {
  readonly #fds = new Map<string, FD>();
  readonly #slots = new Map<string, number>();
  /** fd_array; slot 0 (vmlinux) stays empty. */
  readonly #array: (FD | undefined)[] = [undefined];

  /** The module's BTF object fd number (opened once). */
  fd(module: ModuleBtf): number {
    let fd = this.#fds.get(module.name);
    if (!fd) {
      fd = module.openFd();
      this.#fds.set(module.name, fd);
    }
    return fd.raw;
  }

  /** The module's fd_array index (assigned on first use, from 1). */
  slot(module: ModuleBtf): number {
    let slot = this.#slots.get(module.name);
    if (slot === undefined) {
      slot = this.#array.length;
      if (slot > MAX_FD_ARRAY_INDEX) throw new TooBigError(`kfuncs come from more than ${MAX_FD_ARRAY_INDEX} kernel modules; insn.off cannot index them`);
      this.fd(module);
      this.#array.push(this.#fds.get(module.name));
      this.#slots.set(module.name, slot);
    }
    return slot;
  }

  /** The fd_array for BPF_PROG_LOAD (a copy), or undefined while no kfunc lives in a module. */
  fdArray(): (FD | undefined)[] | undefined {
    return this.#array.length > 1 ? [...this.#array] : undefined;
  }

  /** Closes every fd opened; idempotent. */
  close(): void {
    for (const fd of this.#fds.values()) fd.close();
    this.#fds.clear();
    this.#slots.clear();
    this.#array.length = 1;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
