// Where libbpf's BPF-side headers (<bpf/bpf_helpers.h>, bpf_core_read.h,
// bpf_tracing.h) are: the usual install prefixes, else what pkg-config says
// about libbpf. Missing headers are a typed error naming Debian's libbpf-dev.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { ToolchainError } from "./errors.js";

/** The Debian package that ships the headers. */
export const LIBBPF_PACKAGE = "libbpf-dev";

const PREFIXES = ["/usr/include", "/usr/local/include"];

/** -I directories from `pkg-config --cflags-only-I libbpf`, or none when pkg-config or libbpf.pc is absent. */
function pkgConfigIncludeDirs(env: NodeJS.ProcessEnv): string[] {
  try {
    const out = execFileSync("pkg-config", ["--cflags-only-I", "libbpf"], { encoding: "utf8", env, stdio: ["ignore", "pipe", "ignore"] });
    return out.split(/\s+/).filter((w) => w.startsWith("-I")).map((w) => w.slice(2));
  } catch {
    return [];
  }
}

/**
 * The include directory that holds bpf/bpf_helpers.h (the directory to pass
 * with -I so `#include <bpf/bpf_helpers.h>` resolves): one of the user's own
 * -I directories first, then the usual prefixes, then pkg-config. Throws ToolchainError
 * naming libbpf-dev when neither the usual prefixes nor pkg-config know one.
 */
export function findLibbpfIncludeDir(userIncludeDirs: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): string {
  const has = (dir: string): boolean => existsSync(path.join(dir, "bpf", "bpf_helpers.h"));
  const dir = userIncludeDirs.find(has) ?? PREFIXES.find(has) ?? pkgConfigIncludeDirs(env).find(has);
  if (dir === undefined) {
    throw new ToolchainError("libbpf headers", LIBBPF_PACKAGE,
      `libbpf's BPF headers (bpf/bpf_helpers.h) were not found in ${PREFIXES.join(" or ")} or through pkg-config libbpf; ` +
      `install them: on Debian/Ubuntu \`apt-get install ${LIBBPF_PACKAGE}\`, on Fedora \`dnf install libbpf-devel\`, ` +
      "or pass -I DIR (for DIR/bpf/bpf_helpers.h) in the compiler flags");
  }
  return dir;
}
