// Running the built `tsbpf` CLI (the shipped bundle, dist/lib/cli.js) and bpftool as child
// processes, for the CLI tests that compare the two.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Path of the compiled CLI entry point. */
export const CLI = fileURLToPath(new URL("../../lib/cli.js", import.meta.url));

/** Room for large dumps (BTF-formatted maps, xlated programs). */
const MAX_BUFFER = 64 << 20;

/** What one CLI run printed and how it exited. */
export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tsbpf …args`, whatever its exit status. */
export function tsbpf(...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", maxBuffer: MAX_BUFFER });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `tsbpf …args`, asserts it succeeded and returns its stdout. */
export function ok(...args: string[]): string {
  const r = tsbpf(...args);
  assert.equal(r.status, 0, `tsbpf ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

/** Runs `bpftool …args` and returns its stdout (throws when it fails). */
export function bpftool(...args: string[]): string {
  return execFileSync("bpftool", args, { encoding: "utf8", maxBuffer: MAX_BUFFER });
}
