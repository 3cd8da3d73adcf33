// tsbpf's own version, part of every cache key and stamp: a newer tsbpf may
// write a different vmlinux.h or skeleton from the same inputs.
import { readFileSync } from "node:fs";
import path from "node:path";
import { packageRoot } from "../../sys/package-root.js";

let version: string | undefined;

/** The version in tsbpf's package.json ("unknown" when it cannot be read). */
export function tsbpfVersion(): string {
  if (version === undefined) {
    try {
      version = String((JSON.parse(readFileSync(path.join(packageRoot(), "package.json"), "utf8")) as { version?: unknown }).version);
    } catch {
      version = "unknown";
    }
  }
  return version;
}
