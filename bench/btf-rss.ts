// `node dist/bench/btf-rss.js`: peak resident memory (VmHWM, via GNU time's
// %M) of the `btf dump` commands of tsbpf and bpftool, and of `node -e 0`
// (the floor every Node.js command starts from).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BPFTOOL, dumpArgs, dumpBenchProblem, tsbpfDumpCommand } from "./btf-dump.js";

/** GNU time (Debian package `time`), which reports the peak RSS of its child. */
const GNU_TIME = "/usr/bin/time";

/** Peak RSS in KiB of one run of `file args` (its output is discarded). */
export function peakRssKiB(file: string, args: readonly string[]): number {
  // GNU time prints "%M" on the last stderr line; the child's stdout is discarded.
  const run = spawnSync(GNU_TIME, ["-f", "%M", file, ...args], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  if (run.error) throw new Error(`${GNU_TIME} ${file} failed: ${run.error.message} (install Debian's time package)`, { cause: run.error });
  if (run.status !== 0) throw new Error(`${file} ${args.join(" ")} exited with status ${run.status}: ${run.stderr}`);
  const kib = Number(run.stderr.trim().split("\n").pop());
  if (!Number.isFinite(kib)) throw new Error(`${GNU_TIME} printed no peak RSS for ${file}`);
  return kib;
}

/** Median peak RSS over `runs` runs. */
function medianRss(file: string, args: readonly string[], runs: number): number {
  const values = Array.from({ length: runs }, () => peakRssKiB(file, args)).sort((a, b) => a - b);
  return values[values.length >> 1];
}

function main(): number {
  const problem = dumpBenchProblem();
  if (problem) {
    process.stderr.write(`btf-rss: skipped: ${problem}\n`);
    return 0;
  }
  const rows: [string, string, readonly string[]][] = [["node -e 0", process.execPath, ["-e", "0"]]];
  for (const format of ["c", "raw"] as const) {
    const [node, args] = tsbpfDumpCommand(format);
    rows.push([`tsbpf btf dump … format ${format}`, node, args], [`bpftool btf dump … format ${format}`, BPFTOOL, dumpArgs(format)]);
  }
  process.stdout.write(`${"command".padEnd(36)} peak RSS (MiB, median of 5)\n`);
  for (const [label, file, args] of rows) process.stdout.write(`${label.padEnd(36)} ${(medianRss(file, args, 5) / 1024).toFixed(1)}\n`);
  return 0;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
