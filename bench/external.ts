// Timing an external program as a benchmark side, for references that are
// tools rather than C harnesses (e.g. `bpftool btf dump file … format c`
// against tsbpf's dumper). Each repetition runs the program once.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { benchClock, checksumBytes, type BenchParams, type Measurement } from "./harness.js";

/** Clock ticks per second of /proc times (USER_HZ, 100 on every Linux architecture tsbpf supports). */
const USER_HZ = 100;

/** CPU time of this process's waited-for children (cutime + cstime in /proc/self/stat), in ns. */
function childrenCpuNs(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  // Fields after the ")" closing the command name start at field 3 (state).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const cutime = Number(fields[16 - 3]);
  const cstime = Number(fields[17 - 3]);
  return ((cutime + cstime) * 1e9) / USER_HZ;
}

function nowNs(): number {
  return benchClock() === "cpu" ? childrenCpuNs() : Number(process.hrtime.bigint());
}

/**
 * Runs `file args` `params.warmup` untimed and `params.reps` timed times and
 * returns the durations (with `--clock cpu`, the child's CPU time, at 10 ms
 * resolution: use work of a second or more). `check` is the FNV-1a hash of
 * the last run's stdout, so a tsbpf side producing the same bytes gets the
 * same check. `params.ops` is reported as the work per run (e.g. BTF types).
 */
export function timeCommand(file: string, args: readonly string[], params: BenchParams): Measurement {
  const samplesNs: number[] = [];
  let output = new Uint8Array(0);
  for (let rep = -params.warmup; rep < params.reps; rep++) {
    const t0 = nowNs();
    output = execFileSync(file, args, { stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 30 });
    const t1 = nowNs();
    if (rep >= 0) samplesNs.push(t1 - t0);
  }
  return { ops: params.ops, samplesNs, check: checksumBytes(output) };
}
