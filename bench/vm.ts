// `node dist/bench/vm.js`: the user-space BPF machine against the kernel's
// JIT on the same XDP programs (bench/vm/workloads.ts), side by side in one
// process: each round runs the kernel (BPF_PROG_TEST_RUN, its own ns per
// run), the machine's JIT and its interpreter (VmCollection testRun), in
// alternating order. Prints ns per run, instructions per second (the
// machine's instruction count of one run, divided by each side's time) and
// kernel time / machine time, the median of the per-round ratios: 1.0
// would be the kernel's speed. Target: the JIT at 0.3× or better on the
// compute-bound programs.
//
//   node dist/bench/vm.js [--rounds N] [--repeat N] [--filter TEXT] [--json]
import { parseArgs } from "node:util";
import { machineInfo } from "./report.js";
import { positiveIntOption } from "./options.js";
import { INTERPRETER_SHARE, measureWorkload, type VmBenchRow } from "./vm/measure.js";
import { VmBenchObjects, WORKLOADS } from "./vm/workloads.js";

function formatRows(rows: readonly VmBenchRow[]): string {
  const header = ["program", "engine", "insn/run", "ns/run", "M insn/s", "vs kernel", "target", "result"];
  const cells = rows.map((r) => [
    r.program, r.engine, String(r.instructions), r.nsPerRun.toFixed(0), (r.insnPerSec / 1e6).toFixed(0),
    `${r.ratio.toFixed(3)}x`, r.target === undefined ? "-" : `>= ${r.target.toFixed(2)}x`, r.verdict,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: readonly string[]): string => c.map((x, i) => (i < 2 ? x.padEnd(widths[i] as number) : x.padStart(widths[i] as number))).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

function main(): number {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string" }, repeat: { type: "string" }, filter: { type: "string" },
      json: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log("usage: node dist/bench/vm.js [--rounds N (5)] [--repeat N runs per round (5000)] [--filter TEXT] [--json]");
    return 0;
  }
  const rounds = positiveIntOption("rounds", values.rounds) ?? 5;
  const repeat = positiveIntOption("repeat", values.repeat) ?? 5_000;
  const rows: VmBenchRow[] = [];
  using objects = new VmBenchObjects();
  for (const w of WORKLOADS.filter((x) => values.filter === undefined || x.program.includes(values.filter as string))) {
    if (!values.json) process.stderr.write(`running ${w.program} (${w.describe}) …\n`);
    rows.push(...measureWorkload(objects, w, rounds, repeat));
  }
  const machine = machineInfo();
  if (values.json) {
    console.log(JSON.stringify({ machine, rounds, repeat, rows }, null, 2));
  } else {
    console.log(`machine: ${machine.cpus} CPUs (${machine.cpuModel}), Linux ${machine.kernel}, Node.js ${machine.node}`);
    console.log(`${rounds} rounds of ${repeat} runs (interpreter: ${Math.max(1, Math.round(repeat / INTERPRETER_SHARE))}); medians; vs kernel = kernel ns / machine ns\n`);
    console.log(formatRows(rows));
  }
  return rows.every((r) => r.verdict === "PASS" || r.verdict === "INFO") ? 0 : 1;
}

try {
  process.exitCode = main();
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 2;
}
