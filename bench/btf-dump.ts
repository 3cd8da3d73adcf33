// The whole `btf dump` command, Node.js start-up included, against bpftool:
//   btf.dump.c    tsbpf btf dump file /sys/kernel/btf/vmlinux format c    (vmlinux.h)
//   btf.dump.raw  tsbpf btf dump file /sys/kernel/btf/vmlinux format raw
// Both run as child processes through timeCommand, with stdout redirected to
// a file: bpftool's raw dump makes one write(2) per line (~300k), and
// through timeCommand's pipe each one wakes the reading parent, which
// tripled bpftool's time (to a file or /dev/null it does not matter). The
// file is hashed afterwards: a MISMATCH means tsbpf did not print exactly
// bpftool's bytes. Peak RSS of both tools is printed by bench/btf-rss.ts
// (`node dist/bench/btf-rss.js`).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { timeCommand } from "./external.js";
import { checksumBytes, type Benchmark, type BenchGroup, type BenchParams, type Measurement } from "./harness.js";
import { VMLINUX_BTF } from "./btf-parse.js";

/** The shipped CLI bundle (dist/bench/btf-dump.js → dist/lib/cli.js). */
export const TSBPF_CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../lib/cli.js");

/** bpftool from Debian's package. */
export const BPFTOOL = "bpftool";

/** The bound: the whole command may take at most 1.5× bpftool's wall time. */
const DUMP_TARGET = 1 / 1.5;

/** The command line (after the program) for one dump format, shared by both tools. */
export function dumpArgs(format: "c" | "raw"): string[] {
  return ["btf", "dump", "file", VMLINUX_BTF, "format", format];
}

/** The tsbpf command for one dump format: [program, args]. */
export function tsbpfDumpCommand(format: "c" | "raw"): [string, string[]] {
  return [process.execPath, [TSBPF_CLI, ...dumpArgs(format)]];
}

/**
 * timeCommand for `file args` with stdout sent to a temporary file (through
 * `sh -c 'exec …'`, so the timed process is the command itself after a
 * shell start both sides pay); `ops` is the number of bytes it wrote and
 * the check their hash.
 */
export function timeCommandToFile(file: string, args: readonly string[], params: BenchParams): Measurement {
  const out = path.join(tmpdir(), `tsbpf-bench-${process.pid}.out`);
  try {
    const m = timeCommand("/bin/sh", ["-c", 'out=$1; shift; exec "$@" > "$out"', "sh", out, file, ...args], params);
    const bytes = readFileSync(out);
    // The work of one run is the bytes it printed (the same on both sides when the checks agree).
    return { ...m, ops: bytes.byteLength, check: checksumBytes(bytes) };
  } finally {
    rmSync(out, { force: true });
  }
}

function dumpBenchmark(format: "c" | "raw"): Benchmark {
  const [node, args] = tsbpfDumpCommand(format);
  return {
    name: `btf.dump.${format}`,
    unit: "bytes",
    target: DUMP_TARGET,
    referenceName: "bpftool",
    params: { full: { ops: 1, warmup: 1, reps: 11 }, smoke: { ops: 1, warmup: 0, reps: 1 } },
    tsbpf: (p) => timeCommandToFile(node, args, p),
    reference: (p) => timeCommandToFile(BPFTOOL, dumpArgs(format), p),
  };
}

/** Why the dump benchmarks cannot run here, or undefined. */
export function dumpBenchProblem(): string | undefined {
  if (!existsSync(VMLINUX_BTF)) return `${VMLINUX_BTF} is missing (kernel built without CONFIG_DEBUG_INFO_BTF)`;
  if (!existsSync(TSBPF_CLI)) return `${TSBPF_CLI} is missing (run npm run build)`;
  try {
    execFileSync(BPFTOOL, ["version"], { stdio: "ignore" });
  } catch {
    return "bpftool is not installed (Debian package bpftool)";
  }
  return undefined;
}

/** `tsbpf btf dump … format c|raw` against `bpftool btf dump …`, whole commands. */
export const btfDumpGroup: BenchGroup = {
  name: "btf-dump",
  description: "whole `btf dump file vmlinux format c|raw` commands (start-up included) against bpftool",
  benchmarks() {
    return dumpBenchProblem() ?? [dumpBenchmark("c"), dumpBenchmark("raw")];
  },
};
