// The fuzz suite: ≥ 100,000 mutated inputs through every entry that takes
// outside bytes (see test/fuzz/entries.ts), in child processes with a heap
// limit, each case watched by a hang detector. Only the project's typed
// errors may come out. The seed is printed; TSBPF_FUZZ_SEED reproduces a
// run, TSBPF_FUZZ_CASE=entry:index reruns one case. No durations are
// asserted: the per-case timeout only catches hangs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fork } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { entries, TYPED_CLASSES } from "./entries.js";
import type { WorkerResult, WorkerTask } from "./worker.js";

const TOTAL_CASES = Number(process.env.TSBPF_FUZZ_CASES ?? 100_000);
const WORKERS = 2;
/** A case running this long is a hang (real cases take milliseconds). */
const CASE_TIMEOUT_MS = 60_000;
/** Heap limit of each worker: a case allocating without bound fails instead of taking the machine. */
const WORKER_HEAP_MB = 1024;

function runWorker(task: WorkerTask): Promise<WorkerResult> {
  const child = fork(new URL("./worker.js", import.meta.url), [], {
    execArgv: [`--max-old-space-size=${WORKER_HEAP_MB}`],
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString();
  });
  const current = (): string => {
    try {
      const b = readFileSync(task.progressFile);
      if (b.byteLength < 8) return "(none yet)";
      return `${entries[b.readInt32LE(0)]?.name}:${b.readInt32LE(4)}`;
    } catch {
      return "(none yet)";
    }
  };
  return new Promise((resolve, reject) => {
    let last = "";
    let since = Date.now();
    let result: WorkerResult | undefined;
    const watchdog = setInterval(() => {
      const now = current();
      if (now !== last) {
        last = now;
        since = Date.now();
      } else if (Date.now() - since > CASE_TIMEOUT_MS) {
        clearInterval(watchdog);
        child.kill("SIGKILL");
        reject(new Error(`case ${now} ran past ${CASE_TIMEOUT_MS} ms (a hang): rerun with TSBPF_FUZZ_SEED=${task.seed} TSBPF_FUZZ_CASE=${now}`));
      }
    }, 1000);
    child.on("message", (r: WorkerResult) => (result = r));
    child.once("exit", (code, signal) => {
      clearInterval(watchdog);
      if (result && code === 0) resolve(result);
      else reject(new Error(`fuzz worker died (${signal ?? `exit ${code}`}) in case ${current()}: rerun with TSBPF_FUZZ_SEED=${task.seed} TSBPF_FUZZ_CASE=${current()}\n${stderr}`));
    });
    child.send(task);
  });
}

test("fuzz: every entry that takes outside bytes throws only the project's typed errors", { timeout: 900_000 }, async (t) => {
  const seed = Number(process.env.TSBPF_FUZZ_SEED ?? Date.now() % 1_000_000);
  t.diagnostic(`seed ${seed} (TSBPF_FUZZ_SEED=${seed} reproduces this run; TSBPF_FUZZ_CASE=entry:index one case)`);
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-fuzz-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const one = process.env.TSBPF_FUZZ_CASE;
  if (one) {
    // One case, in a worker like the others (the CLI entry writes to fd 1).
    const [name, index] = one.split(":");
    assert.ok(entries.some((e) => e.name === name), `no fuzz entry '${name}'`);
    const r = await runWorker({ seed, progressFile: join(dir, "progress"), jobs: [{ entry: name!, start: Number(index), count: 1 }] });
    t.diagnostic(`outcome: ${Object.keys(r.byClass).join(", ")}; ${r.slowest.ms.toFixed(1)} ms`);
    assert.deepEqual(r.untyped, []);
    return;
  }
  const weights = entries.reduce((s, e) => s + e.weight, 0);
  const counts = entries.map((e) => Math.ceil((TOTAL_CASES * e.weight) / weights));
  // Each entry's cases are split between the workers.
  const tasks: WorkerTask[] = Array.from({ length: WORKERS }, (_, w) => ({
    seed,
    progressFile: join(dir, `progress-${w}`),
    jobs: entries.map((e, i) => {
      const share = Math.ceil((counts[i] as number) / WORKERS);
      const start = w * share;
      return { entry: e.name, start, count: Math.max(0, Math.min(share, (counts[i] as number) - start)) };
    }),
  }));
  const started = performance.now();
  const results = await Promise.all(tasks.map(runWorker));
  const cases = results.reduce((s, r) => s + r.cases, 0);
  const byClass: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.byClass)) byClass[k] = (byClass[k] ?? 0) + v;
  const untyped = results.flatMap((r) => r.untyped);
  const slowest = results.map((r) => r.slowest).sort((a, b) => b.ms - a.ms)[0]!;
  const typedCount = Object.entries(byClass).filter(([k]) => k !== "ok").reduce((s, [, v]) => s + v, 0);
  t.diagnostic(`${cases} cases (${entries.map((e, i) => `${e.name} ${counts[i]}`).join(", ")}) in ${((performance.now() - started) / 1000).toFixed(1)} s on ${WORKERS} workers`);
  t.diagnostic(`outcomes: ${Object.entries(byClass).sort().map(([k, v]) => `${k} ${v}`).join(", ")}; typed errors ${typedCount}; untyped ${untyped.length}`);
  t.diagnostic(`typed classes: ${[...TYPED_CLASSES, "UsageError (CLI exit 2)", "BpfError subclasses the CLI reports with their [CODE] (exit 1)"].join(", ")}`);
  const msByEntry: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.msByEntry)) msByEntry[k] = (msByEntry[k] ?? 0) + v;
  t.diagnostic(`time per entry (s, both workers): ${Object.entries(msByEntry).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}`).join(", ")}`);
  const peak = Math.max(...results.map((r) => r.maxRssKiB));
  t.diagnostic(`peak RSS ${(peak / 1024).toFixed(0)} MiB (largest worker; heap limit ${WORKER_HEAP_MB} MiB each); slowest case ${slowest.entry}:${slowest.index} ${slowest.ms.toFixed(1)} ms`);
  for (const u of untyped.slice(0, 20)) t.diagnostic(`untyped: ${u.entry}:${u.index}: ${u.error}`);
  assert.deepEqual(untyped.slice(0, 5).map((u) => `TSBPF_FUZZ_SEED=${seed} TSBPF_FUZZ_CASE=${u.entry}:${u.index} ${u.error}`), []);
  assert.ok(cases >= TOTAL_CASES, `${cases} cases ran`);
});
