// The architecture names a BPF build needs for the host: the kernel's name for
// -D__TARGET_ARCH_<arch> (bpf_tracing.h picks its pt_regs layout from it; the
// mapping libbpf-bootstrap's Makefile applies to `uname -m`), and Debian's
// multiarch triplet, whose include directory holds <asm/types.h> that the
// uapi headers need but `-target bpf` does not search.
import { InvalidArgumentError } from "../../sys/errors.js";

interface ArchNames {
  /** bpf_tracing.h's __TARGET_ARCH_ suffix. */
  readonly kernel: string;
  /** Debian's multiarch triplet (/usr/include/<triplet>). */
  readonly triplet: string;
}

/** Node's process.arch → the names above. */
const ARCHES: Readonly<Partial<Record<NodeJS.Architecture, ArchNames>>> = {
  x64: { kernel: "x86", triplet: "x86_64-linux-gnu" },
  ia32: { kernel: "x86", triplet: "i386-linux-gnu" },
  arm64: { kernel: "arm64", triplet: "aarch64-linux-gnu" },
  arm: { kernel: "arm", triplet: "arm-linux-gnueabihf" },
  ppc64: { kernel: "powerpc", triplet: "powerpc64le-linux-gnu" },
  s390x: { kernel: "s390", triplet: "s390x-linux-gnu" },
  riscv64: { kernel: "riscv", triplet: "riscv64-linux-gnu" },
  loong64: { kernel: "loongarch", triplet: "loongarch64-linux-gnu" },
  mips: { kernel: "mips", triplet: "mips-linux-gnu" },
  mipsel: { kernel: "mips", triplet: "mipsel-linux-gnu" },
};

/** The names for `arch` (default: this process's); InvalidArgumentError for one BPF programs have no name for. */
export function archNames(arch: string = process.arch): ArchNames {
  const names = ARCHES[arch as NodeJS.Architecture];
  if (!names) {
    throw new InvalidArgumentError(
      `no __TARGET_ARCH_ name for architecture '${arch}' (known: ${Object.keys(ARCHES).join(", ")}); ` +
        "pass the kernel's name with the targetArch option",
      "targetArch",
    );
  }
  return names;
}
