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
import { median } from "./harness.js";
import { machineInfo } from "./report.js";
import { VmBenchObjects, WORKLOADS, type Workload } from "./vm/workloads.js";
import type { Engine } from "../src/vm/index.js";

/** The JIT's target on compute-bound programs, as a fraction of the kernel's speed. */
export const JIT_TARGET = 0.3;
/** The interpreter runs this many times fewer repetitions per round (it is ~50× slower than the JIT). */
const INTERPRETER_SHARE = 50;

/** One side of one workload, over all rounds. */
export interface VmBenchRow {
  readonly program: string;
  readonly engine: Engine | "kernel";
  readonly instructions: number;
  /** Median ns per run over the rounds. */
  readonly nsPerRun: number;
  /** Instructions per second at that median. */
  readonly insnPerSec: number;
  /** Median over rounds of kernel ns / this side's ns (1 for the kernel). */
  readonly ratio: number;
  readonly target: number | undefined;
  /** PASS/FAIL against the target, INFO without one, MISMATCH when the output differs from the kernel's. */
  readonly verdict: "PASS" | "FAIL" | "INFO" | "MISMATCH";
}

/** Runs every round of one workload; rows for the kernel, the JIT and the interpreter. */
export function measureWorkload(objects: VmBenchObjects, w: Workload, rounds: number, repeat: number): VmBenchRow[] {
  const kernel: number[] = [];
  const sides: Record<Engine, { ns: number[]; ratio: number[]; checks: Set<number>; instructions: number }> = {
    jit: { ns: [], ratio: [], checks: new Set(), instructions: 0 },
    interpreter: { ns: [], ratio: [], checks: new Set(), instructions: 0 },
  };
  const kernelChecks = new Set<number>();
  const engines: Engine[] = ["jit", "interpreter"];
  for (let r = 0; r < rounds; r++) {
    // Alternate who goes first, so load from other processes hits both alike.
    const order = r % 2 === 0 ? ["kernel", ...engines] : [...engines, "kernel"];
    const round: Partial<Record<Engine | "kernel", number>> = {};
    for (const side of order) {
      if (side === "kernel") {
        const k = objects.kernelRuns(w, repeat);
        kernelChecks.add(k.check);
        round.kernel = k.nsPerRun;
        continue;
      }
      const engine = side as Engine;
      const m = objects.machineRuns(w, engine, engine === "jit" ? repeat : Math.max(1, Math.round(repeat / INTERPRETER_SHARE)));
      sides[engine].checks.add(m.check);
      sides[engine].instructions = m.instructions;
      round[engine] = m.nsPerRun;
    }
    kernel.push(round.kernel as number);
    for (const e of engines) {
      sides[e].ns.push(round[e] as number);
      sides[e].ratio.push((round.kernel as number) / (round[e] as number));
    }
  }
  const instructions = sides.jit.instructions;
  const rate = (ns: number): number => (instructions * 1e9) / ns;
  const kernelNs = median(kernel);
  const rows: VmBenchRow[] = [{ program: w.program, engine: "kernel", instructions, nsPerRun: kernelNs, insnPerSec: rate(kernelNs), ratio: 1, target: undefined, verdict: "INFO" }];
  for (const e of engines) {
    const s = sides[e];
    const target = e === "jit" && w.kind === "compute" ? JIT_TARGET : undefined;
    const ratio = median(s.ratio);
    const agrees = kernelChecks.size === 1 && s.checks.size === 1 && [...s.checks][0] === [...kernelChecks][0] && s.instructions === instructions;
    const verdict = !agrees ? "MISMATCH" : target === undefined ? "INFO" : ratio >= target ? "PASS" : "FAIL";
    const ns = median(s.ns);
    rows.push({ program: w.program, engine: e, instructions: s.instructions, nsPerRun: ns, insnPerSec: rate(ns), ratio, target, verdict });
  }
  return rows;
}

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

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} needs a positive integer, got '${text}'`);
  return n;
}

function main(): number {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string" }, repeat: { type: "string" }, filter: { type: "string" },
      json: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log("usage: node dist/bench/vm.js [--rounds N (5)] [--repeat N runs per round (10000)] [--filter TEXT] [--json]");
    return 0;
  }
  const rounds = positive("rounds", values.rounds, 5);
  const repeat = positive("repeat", values.repeat, 10_000);
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
