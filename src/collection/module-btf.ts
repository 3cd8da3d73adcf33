// Kernel modules' BTF as the loader searches it, after vmlinux misses: for
// CO-RE candidates and for ksyms/kfuncs that live in a module. The list is
// read lazily, once per load, and is injectable so tests can stand in
// synthetic modules (split BTF on the real vmlinux) for real ones.
import type { Btf } from "../btf/btf.js";
import { moduleBtf, moduleBtfNames } from "../btf/discovery.js";
import { openKernelBtfByName } from "../btf/kernel.js";
import type { FD } from "../sys/fd.js";

/** One kernel module's BTF. */
export interface ModuleBtf {
  /** Module name, as in /sys/kernel/btf/<name> and the BTF object's info. */
  readonly name: string;
  /** The module's split BTF on vmlinux. */
  readonly btf: Btf;
  /** Opens the module's kernel BTF object (BPF_BTF_GET_FD_BY_ID); the caller owns the fd. */
  openFd(): FD;
}

/** A lazily read list of modules. */
export type ModuleBtfSource = () => readonly ModuleBtf[];

/** The running kernel's modules with BTF (split on `base`), read on the first call and then kept. */
export function runningModuleBtfs(base: () => Btf): ModuleBtfSource {
  let modules: readonly ModuleBtf[] | undefined;
  return () => (modules ??= moduleBtfNames().flatMap((name) => {
    try {
      return [{ name, btf: moduleBtf(name, base()), openFd: () => openKernelBtfByName(name) }];
    } catch {
      return []; // A module unloaded between listing and reading: skip it.
    }
  }));
}
