// Other kernels' BTF for CO-RE oracle tests: the .BTF sections that
// scripts/fetch-kernel-btf.sh extracted from Debian linux-image packages
// into a cache outside the repository, plus the running kernel's BTF.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { release } from "node:os";

/** Where fetch-kernel-btf.sh caches extracted BTF (override with TSBPF_BTF_CACHE). */
export const KERNEL_BTF_CACHE = process.env.TSBPF_BTF_CACHE ?? "/var/cache/tsbpf-btf";

/** One kernel's BTF file. */
export interface KernelBtfFile {
  /** Short label: "running 6.18.0", or the Debian package name. */
  readonly name: string;
  /** Raw BTF file (usable as libbpf's btf_custom_path too). */
  readonly path: string;
}

/** Cached BTF of other kernels (empty when the fetch script has not run). */
export function cachedKernelBtfs(): KernelBtfFile[] {
  if (!existsSync(KERNEL_BTF_CACHE)) return [];
  return readdirSync(KERNEL_BTF_CACHE)
    .filter((f) => f.endsWith(".btf"))
    .sort()
    .map((f) => ({ name: f.slice(0, -4), path: path.join(KERNEL_BTF_CACHE, f) }));
}

/** The running kernel's BTF, if sysfs exposes it. */
export function runningKernelBtf(): KernelBtfFile | undefined {
  const p = "/sys/kernel/btf/vmlinux";
  return existsSync(p) ? { name: `running ${release()}`, path: p } : undefined;
}

/** The running kernel followed by every cached kernel. */
export function kernelBtfCorpus(): KernelBtfFile[] {
  const running = runningKernelBtf();
  return [...(running ? [running] : []), ...cachedKernelBtfs()];
}
