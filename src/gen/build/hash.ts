// Content hashes for the up-to-date check and the vmlinux.h cache key.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

/** SHA-256 of the concatenated parts (bytes or text), as hex. */
export function sha256(...parts: readonly (Uint8Array | string)[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
}

/** SHA-256 of a file's content, or undefined when it cannot be read (deleted, unreadable). */
export function fileSha256(file: string): string | undefined {
  try {
    return sha256(readFileSync(file));
  } catch {
    return undefined;
  }
}
