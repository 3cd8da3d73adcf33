// Timing and the shape of a benchmark. Both sides of every comparison report
// raw per-repetition durations; this file alone turns them into statistics,
// so tsbpf and the C reference are summarised by exactly the same code.

/** How much work one run does. */
export interface BenchParams {
  /** Work per repetition: operations, or map entries for batch benchmarks. */
  readonly ops: number;
  /** Untimed repetitions before the timed ones (JIT, caches, page faults). */
  readonly warmup: number;
  /** Timed repetitions; the median is reported. */
  readonly reps: number;
}

/** What one side of a benchmark measured. */
export interface Measurement {
  /** Work per timed repetition (operations or entries). */
  readonly ops: number;
  /** Duration of each timed repetition, in nanoseconds. */
  readonly samplesNs: readonly number[];
  /**
   * A checksum of what the kernel returned, computed outside the timed region.
   * Both sides compute it the same way, so equal checks mean equal work.
   */
  readonly check: number;
}

/** One comparison: tsbpf against a reference implementation of the same work. */
export interface Benchmark {
  /** Stable identifier, e.g. "map.hash.lookup" (used by --filter and --json). */
  readonly name: string;
  /** Unit of `ops`: "ops" or "entries". */
  readonly unit: string;
  /** Minimum tsbpf/reference throughput ratio to PASS; undefined = informational. */
  readonly target: number | undefined;
  /** Name of the reference, e.g. "libbpf (C)". */
  readonly referenceName: string;
  /** Work for a real run and for the smoke test. */
  readonly params: { readonly full: BenchParams; readonly smoke: BenchParams };
  /** Runs the tsbpf side. */
  tsbpf(params: BenchParams): Measurement;
  /** Runs the reference side (usually a C harness in a child process). */
  reference(params: BenchParams): Measurement;
  /**
   * Optional low-level tsbpf baseline (raw src/sys calls, no public API layer):
   * shows how much of a gap is the kernel boundary and how much the API.
   */
  baseline?(params: BenchParams): Measurement;
}

/** A named list of benchmarks; the registry in groups.ts lists every group. */
export interface BenchGroup {
  readonly name: string;
  readonly description: string;
  /** Builds the benchmarks; returns a reason string instead when they cannot run here. */
  benchmarks(): readonly Benchmark[] | string;
}

/** Summary statistics of one measurement. */
export interface Stats {
  readonly medianNs: number;
  readonly minNs: number;
  readonly maxNs: number;
  /** ops per second at the median duration. */
  readonly opsPerSec: number;
}

/**
 * What a duration means. "wall": elapsed monotonic time (the usual figure).
 * "cpu": CPU time of the whole process (user + system), which stays
 * meaningful on a machine shared with other busy processes, where wall time
 * mostly measures the scheduler's share. Both sides always use the same clock.
 */
export type BenchClock = "wall" | "cpu";

let clock: BenchClock = "wall";

/** Selects the clock for every following measurement (tsbpf and C harnesses alike). */
export function setBenchClock(c: BenchClock): void {
  clock = c;
}

/** The clock currently in use. */
export function benchClock(): BenchClock {
  return clock;
}

/** Current reading of the selected clock, in nanoseconds. */
function nowNs(): number {
  if (clock === "wall") return Number(process.hrtime.bigint());
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
}

/** Untimed per-repetition setup and teardown (e.g. a fresh map for each fill). */
export interface RepetitionHooks {
  before?(rep: number): void;
  after?(rep: number): void;
}

/**
 * Times `work(rep)` over `params.warmup` untimed and `params.reps` timed
 * repetitions; `rep` is negative during warm-up. `hooks` run around each
 * repetition, outside the timed region. Returns the timed durations in ns.
 */
export function timeRepetitions(params: BenchParams, work: (rep: number) => void, hooks: RepetitionHooks = {}): number[] {
  const samples: number[] = [];
  for (let rep = -params.warmup; rep < params.reps; rep++) {
    hooks.before?.(rep);
    const t0 = nowNs();
    work(rep);
    const t1 = nowNs();
    hooks.after?.(rep);
    if (rep >= 0) samples.push(t1 - t0);
  }
  return samples;
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of an empty list");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median, extremes and throughput of a measurement. */
export function summarize(m: Measurement): Stats {
  const medianNs = median(m.samplesNs);
  return {
    medianNs,
    minNs: Math.min(...m.samplesNs),
    maxNs: Math.max(...m.samplesNs),
    opsPerSec: medianNs > 0 ? (m.ops * 1e9) / medianNs : Infinity,
  };
}

/**
 * A 32-bit FNV-1a hash of some bytes, for `Measurement.check` when the work
 * produces output (e.g. a BTF dump): equal outputs give equal checks.
 */
export function checksumBytes(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h;
}
