// Files appear whole or not at all: everything the build writes goes to a
// temporary name in the same directory and is renamed over the target, so an
// interrupted or failed build never leaves a half-written object, skeleton,
// vmlinux.h or stamp behind (rename(2) within a directory is atomic).
import { randomBytes } from "node:crypto";
import { rmSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

/** A fresh temporary name beside `target` (hidden, unique to this process and call). */
export function temporaryPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
}

/** Writes `data` to `target` through a temporary file and a rename; the temporary file is removed on failure. */
export function writeFileAtomic(target: string, data: Uint8Array | string): void {
  const temporary = temporaryPathFor(target);
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, target);
  } catch (e) {
    rmSync(temporary, { force: true });
    throw e;
  }
}
