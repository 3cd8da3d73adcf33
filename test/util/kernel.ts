// Shared test helpers: privilege checks and a private bpffs directory.
import { mkdtempSync, rmSync, existsSync, readdirSync } from "node:fs";
import { execFileSync } from "node:child_process";

/** True when bpftool is installed (oracle tests skip without it). */
export function haveBpftool(): boolean {
  try {
    execFileSync("bpftool", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
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
