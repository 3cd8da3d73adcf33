// ksyscall/kretsyscall: a kprobe on the kernel function behind a system call.
// Kernels with syscall wrappers (x86-64 since 4.17, arm64 since 4.19 …) name
// it "__<arch>_sys_<name>" ("__x64_sys_openat") and pass the user registers
// as one pt_regs argument; older ones name it "__se_sys_<name>". Like libbpf,
// the wrapper convention is detected by whether the kernel has the wrapper of
// bpf(2) ("__x64_sys_bpf"; powerpc's wrappers are plain "sys_<name>"), here
// from /proc/kallsyms.
import type { Program } from "../program/program.js";
import { InvalidArgumentError, NotSupportedError } from "../sys/errors.js";
import type { Link } from "./link.js";
import { attachKprobeTarget, checkKprobeProgram, type KprobeOptions } from "./kprobe.js";
import { targetFromSection } from "./section-target.js";
import { kallsymsHas, readKallsyms } from "./kernel-symbols.js";

/** Options of {@link attachKsyscall}. */
export interface KsyscallOptions extends Pick<KprobeOptions, "cookie" | "method" | "interface" | "maxActive"> {
  /** The system call ("openat"); default: from SEC("ksyscall/NAME") / SEC("kretsyscall/NAME"). */
  syscall?: string;
  /** Fire when the syscall returns (default: from the SEC() name, else false). */
  retprobe?: boolean;
}

/** The target of a SEC("ksyscall/NAME") or SEC("kretsyscall/NAME") name. */
export interface KsyscallSection {
  retprobe: boolean;
  syscall: string;
}

/** Parses SEC("ksyscall/NAME") and SEC("kretsyscall/NAME"); undefined for bare SEC("ksyscall") and other names. */
export function ksyscallOfSection(sectionName: string): KsyscallSection | undefined {
  const m = /^(ksyscall|kretsyscall)\/([A-Za-z0-9_]+)$/.exec(sectionName);
  return m ? { retprobe: m[1] === "kretsyscall", syscall: m[2]! } : undefined;
}

/** libbpf's arch_specific_syscall_pfx() for Node's process.arch names. */
const syscallPrefixes: Readonly<Record<string, string>> = {
  x64: "x64", ia32: "ia32", arm64: "arm64", arm: "arm", s390x: "s390x", s390: "s390",
  riscv64: "riscv", mips: "mips", mipsel: "mips", mips64: "mips", mips64el: "mips",
  ppc64: "powerpc", ppc: "powerpc", loong64: "loongarch",
};

/** The "__x64_sys_" style prefix of the running architecture, undefined when libbpf knows none. */
export function syscallPrefix(arch: string = process.arch): string | undefined {
  return syscallPrefixes[arch];
}

/**
 * The kernel function of system call `name` on an architecture (`arch`,
 * process.arch names), given a predicate that says whether a kernel symbol
 * exists: "__<pfx>_sys_<name>" where the kernel has the wrapper of bpf(2),
 * "sys_<name>" for powerpc's wrappers, "__se_sys_<name>" without wrappers.
 */
export function syscallFunction(name: string, hasSymbol: (symbol: string) => boolean, arch: string = process.arch): string {
  const prefix = syscallPrefix(arch);
  if (prefix === "powerpc") return hasSymbol("sys_bpf") ? `sys_${name}` : `__se_sys_${name}`;
  if (prefix !== undefined && hasSymbol(`__${prefix}_sys_bpf`)) return `__${prefix}_sys_${name}`;
  return `__se_sys_${name}`;
}

/**
 * Attaches a kprobe program to the entry (or, with `retprobe`, the return)
 * of a system call, by its name ("openat"). Write the program with libbpf's
 * BPF_KSYSCALL / BPF_KPROBE_SYSCALL macros so it reads the arguments the way
 * the wrapper passes them. Errors as attachKprobe's; NotFoundError when the
 * kernel has no function for the syscall.
 */
export function attachKsyscall(program: Program, options: KsyscallOptions = {}): Link {
  checkKprobeProgram(program, "attachKsyscall");
  let syscall = options.syscall;
  let retprobe = options.retprobe ?? false;
  if (syscall === undefined) {
    const fromSection = targetFromSection(program, ksyscallOfSection, "the system call (syscall)", "syscall");
    syscall = fromSection.syscall;
    retprobe = options.retprobe ?? fromSection.retprobe;
  }
  if (!/^[A-Za-z0-9_]+$/.test(syscall)) throw new InvalidArgumentError(`'${syscall}' is not a system call name`, "syscall");
  const kallsyms = readKallsyms();
  if (kallsyms === "") throw new NotSupportedError(`${retprobe ? "kretsyscall" : "ksyscall"} ${syscall} (/proc/kallsyms is unreadable, so the syscall's kernel function cannot be found)`);
  const symbol = syscallFunction(syscall, (s) => kallsymsHas(kallsyms, s));
  return attachKprobeTarget(program, { retprobe, symbol, offset: 0 }, { ...options, retprobe });
}
