// Node.js builtins that only rare paths need and that are costly to load:
// node:crypto and node:zlib each pull in dozens of Node's internal modules
// (≈ 1 MiB of resident memory in every process that imports tsbpf, measured
// by bench/footprint.ts), so they are required on first use, not imported.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** gunzip of a whole buffer (node:zlib, loaded on first call). */
export function gunzip(bytes: Uint8Array): Buffer {
  return (require("node:zlib") as typeof import("node:zlib")).gunzipSync(bytes);
}

/** `bytes` random bytes as lowercase hex (node:crypto, loaded on first call). */
export function randomHex(bytes: number): string {
  return (require("node:crypto") as typeof import("node:crypto")).randomBytes(bytes).toString("hex");
}
