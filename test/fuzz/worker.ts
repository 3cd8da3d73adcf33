// One fuzz worker, a child process (the runner forks it with a heap limit
// and its stdout on /dev/null: the CLI entry writes dumps to fd 1). It runs
// its share of cases of the entries it is given, writing the case in
// progress to a small file (so the runner can name a case that hangs, or
// that exceeds the heap limit, and kill it), and reports counts per error
// class, untyped failures with what it takes to reproduce them, its slowest
// case and its peak RSS.
import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import { entries, cleanupEntries } from "./entries.js";
import { caseSeed, Rng } from "./mutate.js";

/** What the runner asks of a worker: `count` cases of each named entry starting at `start`. */
export interface WorkerTask {
  readonly seed: number;
  readonly jobs: readonly { entry: string; start: number; count: number }[];
  /** File the worker keeps [entry index, case index] of the case in progress in (two int32). */
  readonly progressFile: string;
}

/** A case that threw something other than its entry's typed errors. */
export interface Untyped {
  readonly entry: string;
  readonly index: number;
  readonly error: string;
}

/** One worker's results. */
export interface WorkerResult {
  readonly cases: number;
  readonly byClass: Record<string, number>;
  readonly untyped: Untyped[];
  readonly slowest: { entry: string; index: number; ms: number };
  /** Peak resident memory of the worker process, KiB. */
  readonly maxRssKiB: number;
  /** Milliseconds spent per entry. */
  readonly msByEntry: Record<string, number>;
}

async function runTask(task: WorkerTask): Promise<WorkerResult> {
  const progress = new Int32Array(2);
  const progressFd = openSync(task.progressFile, "w");
  const byClass: Record<string, number> = {};
  const untyped: Untyped[] = [];
  let slowest = { entry: "", index: -1, ms: 0 };
  let cases = 0;
  const msByEntry: Record<string, number> = {};
  // Stack traces of the many expected errors would dominate the run time.
  Error.stackTraceLimit = 0;
  for (const job of task.jobs) {
    const e = entries.findIndex((x) => x.name === job.entry);
    const entry = entries[e]!;
    for (let index = job.start; index < job.start + job.count; index++) {
      progress[0] = e;
      progress[1] = index;
      writeSync(progressFd, progress, 0, 8, 0);
      const started = performance.now();
      let outcome = "ok";
      try {
        outcome = (await entry.run(new Rng(caseSeed(task.seed, entry.name, index)))) ?? "ok";
      } catch (err) {
        const name = (err as Error)?.constructor?.name ?? typeof err;
        if (entry.typed.includes(name)) outcome = name;
        else untyped.push({ entry: entry.name, index, error: `${name}: ${String((err as Error)?.message ?? err).slice(0, 300)}` });
      }
      if (outcome.startsWith("BpfError[")) outcome = `CLI ${outcome}`;
      byClass[outcome] = (byClass[outcome] ?? 0) + 1;
      const ms = performance.now() - started;
      msByEntry[entry.name] = (msByEntry[entry.name] ?? 0) + ms;
      if (ms > slowest.ms) slowest = { entry: entry.name, index, ms };
      cases++;
    }
  }
  closeSync(progressFd);
  const dir = cleanupEntries();
  if (dir) rmSync(dir, { recursive: true, force: true });
  return { cases, byClass, untyped, slowest, maxRssKiB: process.resourceUsage().maxRSS, msByEntry };
}

if (process.send) {
  process.once("message", (task: WorkerTask) => {
    runTask(task).then(
      (r) => process.send?.(r, () => process.disconnect()),
      (e: unknown) => {
        throw e;
      },
    );
  });
}
