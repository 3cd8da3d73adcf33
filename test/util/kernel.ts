// Shared test helpers: privilege checks and a private bpffs directory.
import { mkdtempSync, rmSync, existsSync, readdirSync } from "node:fs";
import { haveOracle } from "./environment.js";

/** True when bpftool is installed (tests that need it call requireOracle/missingOracle of util/environment.ts). */
export function haveBpftool(): boolean {
  return haveOracle("bpftool");
}

/** Number of open file descriptors of this process. */
export function openFdCount(): number {
  return readdirSync("/proc/self/fd").length;
}

/** A fresh directory under /sys/fs/bpf, removed (with its pins) by cleanup(). */
export function bpffsTempDir(prefix = "tsbpf-test-"): { path: string; cleanup(): void } {
  if (!existsSync("/sys/fs/bpf")) throw new Error("bpffs is not mounted at /sys/fs/bpf");
  const path = mkdtempSync(`/sys/fs/bpf/${prefix}`);
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}
