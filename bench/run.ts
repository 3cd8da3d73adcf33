// `npm run bench`: runs every registered benchmark (bench/groups.ts) against
// its C reference in the same process run and prints the ratios.
//
//   node dist/bench/run.js [--json] [--smoke] [--clock wall|cpu] [--filter TEXT] [--reps N] [--ops N]
//
// Exit status: 0 when every comparison meets its target, 1 otherwise.
import { parseArgs } from "node:util";
import { collectBenchmarks, runBenchmark, type BenchMode, type BenchResult } from "./runner.js";
import { formatJson, formatTable, machineInfo } from "./report.js";
import { setBenchClock, type BenchParams } from "./harness.js";
import { positiveIntOption } from "./options.js";

const usage = `usage: node dist/bench/run.js [options]
  --json          print results as JSON
  --smoke         tiny op counts (checks the code runs; figures are meaningless)
  --clock CLOCK   wall (default): elapsed time; cpu: process CPU time, steadier
                  when other processes compete for the CPUs
  --filter TEXT   only benchmarks whose name contains TEXT (e.g. map.hash, batch)
  --reps N        timed repetitions per side (default 5)
  --ops N         operations (or map entries) per repetition
  --list          list benchmark names and exit`;

function main(): number {
  const { values } = parseArgs({
    options: {
      json: { type: "boolean", default: false },
      smoke: { type: "boolean", default: false },
      filter: { type: "string" },
      clock: { type: "string", default: "wall" },
      reps: { type: "string" },
      ops: { type: "string" },
      list: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const mode: BenchMode = values.smoke ? "smoke" : "full";
  if (values.clock !== "wall" && values.clock !== "cpu") throw new Error(`--clock must be wall or cpu, got '${values.clock}'`);
  setBenchClock(values.clock);
  const overrides: { -readonly [K in keyof BenchParams]?: number } = {};
  const reps = positiveIntOption("reps", values.reps);
  const ops = positiveIntOption("ops", values.ops);
  if (reps !== undefined) overrides.reps = reps;
  if (ops !== undefined) overrides.ops = ops;

  const { benchmarks, skipped } = collectBenchmarks(values.filter);
  if (values.list) {
    for (const b of benchmarks) console.log(`${b.name}\t${b.unit}\ttarget ${b.target ?? "-"}`);
    return 0;
  }
  const results: BenchResult[] = [];
  for (const b of benchmarks) {
    if (!values.json) process.stderr.write(`running ${b.name} …\n`);
    results.push(runBenchmark(b, mode, overrides));
  }
  const machine = machineInfo();
  const format = values.json ? formatJson : formatTable;
  console.log(format(results, skipped, machine, values.clock));
  return results.every((r) => r.verdict === "PASS" || r.verdict === "INFO") ? 0 : 1;
}

try {
  process.exitCode = main();
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 2;
}
