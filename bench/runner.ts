// Runs benchmarks and turns their measurements into comparable results.
// Shared by the CLI (run.ts) and the smoke test.
import { benchmarkGroups } from "./groups.js";
import { summarize, type Benchmark, type BenchParams, type Stats } from "./harness.js";

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
  /** tsbpf ops/s divided by reference ops/s. */
  readonly ratio: number;
  readonly target: number | undefined;
  /** MISMATCH when the two sides' checksums differ: they did not do the same work. */
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

/** Runs the reference, then tsbpf, then the baseline of one benchmark. */
export function runBenchmark(b: Benchmark, mode: BenchMode, overrides: Partial<BenchParams> = {}): BenchResult {
  const params: BenchParams = { ...b.params[mode], ...overrides };
  const reference = side(b.reference(params));
  const tsbpf = side(b.tsbpf(params));
  const baseline = b.baseline ? side(b.baseline(params)) : undefined;
  const ratio = tsbpf.opsPerSec / reference.opsPerSec;
  let verdict: Verdict;
  if (tsbpf.check !== reference.check || (baseline && baseline.check !== reference.check)) verdict = "MISMATCH";
  else if (b.target === undefined) verdict = "INFO";
  else verdict = ratio >= b.target ? "PASS" : "FAIL";
  return { name: b.name, unit: b.unit, referenceName: b.referenceName, params, tsbpf, reference, baseline, ratio, target: b.target, verdict };
}

function side(m: { ops: number; samplesNs: readonly number[]; check: number }): SideResult {
  return { ...summarize(m), check: m.check };
}
