// The running kernel's version, used only to explain an ambiguous EINVAL
// (an old kernel rejects unknown map types and bpf commands with EINVAL).
// Distributions backport features, so this is never used to refuse a call.
import { release } from "node:os";

/** Whether the running kernel's version is below `version` ("6.9"). */
export function kernelOlderThan(version: string): boolean {
  const [maj = 0, min = 0] = release().split(/[.-]/).map(Number);
  const [wantMaj = 0, wantMin = 0] = version.split(".").map(Number);
  return maj < wantMaj || (maj === wantMaj && min < wantMin);
}
