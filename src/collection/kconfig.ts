// `.kconfig` externs: CONFIG_* values from the running kernel's config and
// the LINUX_* values libbpf computes itself, written into the .kconfig map's
// initial bytes in libbpf's encodings (bool 0/1, tristate n=0 y=1 m=2) by
// ./kconfig-values.ts.
import { arch } from "node:os";
import type { Btf } from "../btf/btf.js";
import { readKernelConfig } from "../features/system.js";
import { linuxVersionCode } from "../features/probe-load.js";
import type { KconfigSources } from "./kconfig-values.js";

export { Tristate, fillKconfig, type KconfigSources } from "./kconfig-values.js";

const SYSCALL_PREFIX: Readonly<Record<string, string>> = { x64: "__x64_", arm64: "__arm64_", s390x: "__s390x_", s390: "__s390_", riscv64: "__riscv_", arm: "__arm_", ia32: "__ia32_" };

/** The running kernel's kconfig sources: config file, version, and facts read from its BTF. */
export function runningKernelKconfig(vmlinux: () => Btf): KconfigSources {
  const lazy = { btf: undefined as Btf | undefined };
  const btf = (): Btf => (lazy.btf ??= vmlinux());
  return {
    // Read on first use: most objects have no .kconfig externs, and the parsed config is thousands of entries.
    get config() {
      return readKernelConfig();
    },
    kernelVersion: linuxVersionCode(),
    // bpf_get_attach_cookie (Linux 5.15) is in enum bpf_func_id of kernels that have it.
    get hasBpfCookie() {
      return btf().typesByName("bpf_func_id", "ENUM").some((e) => e.values.some((v) => v.name === "BPF_FUNC_get_attach_cookie"));
    },
    // libbpf looks for the arch's syscall wrapper of bpf(2) in the kernel BTF.
    get hasSyscallWrapper() {
      const prefix = SYSCALL_PREFIX[arch()];
      return prefix !== undefined && btf().typesByName(`${prefix}sys_bpf`, "FUNC").length > 0;
    },
  };
}

