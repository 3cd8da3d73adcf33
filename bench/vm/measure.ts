// One workload measured side by side: each round runs the kernel
// (BPF_PROG_TEST_RUN), the machine's JIT and its interpreter (VmCollection
// testRun) in alternating order, so load from other processes hits all
// alike; the ratio is the median of the per-round ratios of kernel time to
// machine time (1.0 would be the kernel's speed). Used by bench/vm.ts and
// its test.
import { median } from "../harness.js";
import type { VmBenchObjects, Workload } from "./workloads.js";
import type { Engine } from "../../src/vm/index.js";

/** The JIT's target on compute-bound programs, as a fraction of the kernel's speed. */
export const JIT_TARGET = 0.3;
/** The interpreter runs this many times fewer repetitions per round (it is ~50× slower than the JIT). */
export const INTERPRETER_SHARE = 50;

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
