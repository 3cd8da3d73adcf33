// Runs benchmarks and turns their measurements into comparable results.
// Shared by the CLI (run.ts) and the smoke test.
import { benchmarkGroups } from "./groups.js";
import { median, summarize, type Benchmark, type BenchParams, type Measurement, type Stats } from "./harness.js";

/** "full" for real figures, "smoke" for a tiny run that only proves the code works. */
export type BenchMode = "full" | "smoke";

/** Outcome of a comparison against its target. */
export type Verdict = "PASS" | "FAIL" | "INFO" | "MISMATCH";

/** Statistics of one side plus its work checksum. */
export interface SideResult extends Stats {
  readonly check: number;
}

/** Everything measured for one benchmark. */
export interface BenchResult {
  readonly name: string;
  readonly unit: string;
  readonly referenceName: string;
  readonly params: BenchParams;
  readonly tsbpf: SideResult;
  readonly reference: SideResult;
  /** The raw src/sys baseline, when the benchmark has one. */
  readonly baseline: SideResult | undefined;
  /** Median over the paired rounds of tsbpf ops/s divided by reference ops/s. */
  readonly ratio: number;
  readonly target: number | undefined;
  /** MISMATCH when the checksums differ (between sides or rounds): the sides did not do the same work. */
  readonly verdict: Verdict;
}

/** A group that cannot run here, and why. */
export interface SkippedGroup {
  readonly group: string;
  readonly reason: string;
}

/** The registered benchmarks whose name contains `filter` (all when undefined). */
export function collectBenchmarks(filter?: string): { benchmarks: Benchmark[]; skipped: SkippedGroup[] } {
  const benchmarks: Benchmark[] = [];
  const skipped: SkippedGroup[] = [];
  for (const group of benchmarkGroups) {
    const built = group.benchmarks();
    if (typeof built === "string") {
      skipped.push({ group: group.name, reason: built });
      continue;
    }
    benchmarks.push(...built.filter((b) => filter === undefined || b.name.includes(filter)));
  }
  return { benchmarks, skipped };
}

/**
 * Runs one benchmark as `reps` paired rounds. Each round runs every side for
 * one timed repetition (after its warm-up), alternating which side goes
 * first, so load from other processes on a shared machine hits both sides
 * alike. The ratio is the median of the per-round ratios.
 */
export function runBenchmark(b: Benchmark, mode: BenchMode, overrides: Partial<BenchParams> = {}): BenchResult {
  const params: BenchParams = { ...b.params[mode], ...overrides };
  const round: BenchParams = { ...params, reps: 1 };
  const sides = [
    { run: (p: BenchParams) => b.reference(p), rounds: [] as Measurement[] },
    { run: (p: BenchParams) => b.tsbpf(p), rounds: [] as Measurement[] },
  ];
  const baselineRounds: Measurement[] = [];
  if (b.baseline) {
    const baseline = b.baseline.bind(b);
    sides.push({ run: (p) => baseline(p), rounds: baselineRounds });
  }
  for (let r = 0; r < params.reps; r++) {
    const order = r % 2 === 0 ? sides : [...sides].reverse();
    for (const s of order) s.rounds.push(s.run(round));
  }
  const [referenceRounds, tsbpfRounds] = [sides[0].rounds, sides[1].rounds];
  const reference = merge(referenceRounds);
  const tsbpf = merge(tsbpfRounds);
  const baseline = b.baseline ? merge(baselineRounds) : undefined;
  const ratio = median(tsbpfRounds.map((m, i) => rate(m) / rate(referenceRounds[i])));
  let verdict: Verdict;
  if (Number.isNaN(tsbpf.check) || tsbpf.check !== reference.check || (baseline && baseline.check !== reference.check)) verdict = "MISMATCH";
  else if (b.target === undefined) verdict = "INFO";
  else verdict = ratio >= b.target ? "PASS" : "FAIL";
  return { name: b.name, unit: b.unit, referenceName: b.referenceName, params, tsbpf, reference, baseline, ratio, target: b.target, verdict };
}

/** Throughput of a one-sample measurement. */
function rate(m: Measurement): number {
  return summarize(m).opsPerSec;
}

/** Joins the rounds of one side; the check is NaN unless every round agreed. */
function merge(rounds: readonly Measurement[]): SideResult {
  const check = rounds.every((m) => m.check === rounds[0].check) ? rounds[0].check : NaN;
  return side({ ops: rounds[0].ops, samplesNs: rounds.flatMap((m) => m.samplesNs), check });
}

function side(m: { ops: number; samplesNs: readonly number[]; check: number }): SideResult {
  return { ...summarize(m), check: m.check };
}
