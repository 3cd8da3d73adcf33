// Keeps the benchmark suite from rotting: every registered benchmark runs with
// a tiny op count, and tsbpf must have done the same work as the C reference
// built on libbpf (equal checksums of what the kernel returned).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { collectBenchmarks, runBenchmark } from "../../bench/runner.js";
import { benchmarkGroups } from "../../bench/groups.js";
import { checksumBytes, median, setBenchClock, summarize } from "../../bench/harness.js";
import { timeCommand } from "../../bench/external.js";
import { FD } from "../../src/sys/fd.js";
import { openFdCount } from "../util/kernel.js";
import { skipForBenchProblem } from "../util/environment.js";

const { benchmarks, skipped } = collectBenchmarks();

test("every benchmark group is registered and either runs or says why not", () => {
  assert.ok(benchmarkGroups.length >= 2);
  assert.equal(new Set(benchmarks.map((b) => b.name)).size, benchmarks.length, "benchmark names are unique");
  for (const s of skipped) assert.match(s.reason, /\S/);
});

for (const group of benchmarkGroups) {
  const reason = skipped.find((s) => s.group === group.name)?.reason;
  test(`bench smoke: ${group.name}`, (t) => {
    if (reason) return skipForBenchProblem(t, reason);
    const built = group.benchmarks();
    assert.ok(Array.isArray(built));
    for (const b of built as typeof benchmarks) {
      const ownedBefore = FD.openCount;
      const openBefore = openFdCount();
      const r = runBenchmark(b, "smoke");
      assert.equal(FD.openCount, ownedBefore, `${b.name} closed every FD it owned`);
      assert.equal(openFdCount(), openBefore, `${b.name} left no descriptor open`);
      assert.equal(r.tsbpf.check, r.reference.check, `${b.name}: tsbpf and C saw the same data`);
      if (r.baseline) assert.equal(r.baseline.check, r.reference.check, `${b.name}: baseline saw the same data`);
      assert.notEqual(r.verdict, "MISMATCH");
      for (const side of [r.tsbpf, r.reference]) {
        assert.ok(Number.isFinite(side.opsPerSec) && side.opsPerSec > 0, `${b.name}: positive finite rate`);
        assert.ok(side.minNs <= side.medianNs && side.medianNs <= side.maxNs);
      }
      assert.ok(r.ratio > 0);
    }
  });
}

test("batch benchmarks verify their contents: the sum of values key + 1 over n keys", (t) => {
  const batch = benchmarks.filter((b) => b.name.includes("batch"));
  if (batch.length === 0) {
    return skipForBenchProblem(t, skipped[0]?.reason ?? "no batch benchmarks registered");
  }
  for (const b of batch) {
    const r = runBenchmark(b, "smoke", { ops: 1000 });
    assert.equal(r.reference.check, (1000 * 1001) / 2, `${b.name}: C checksum`);
    assert.equal(r.tsbpf.check, (1000 * 1001) / 2, `${b.name}: tsbpf checksum`);
  }
});

test("npm run bench --json prints a machine-readable report", (t) => {
  if (skipped.length > 0 && benchmarks.length === 0) {
    return skipForBenchProblem(t, skipped[0].reason);
  }
  const runJs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bench/run.js");
  const first = benchmarks[0].name;
  let out: string;
  try {
    out = execFileSync(process.execPath, [runJs, "--smoke", "--json", "--filter", first], { encoding: "utf8" });
  } catch (e) {
    // Exit status 1 means a target was missed, which a smoke run may do; the report is still printed.
    out = String((e as { stdout?: unknown }).stdout ?? "");
  }
  const report = JSON.parse(out) as { machine: { cpus: number; kernel: string }; results: { name: string; ratio: number }[] };
  assert.ok(report.machine.cpus >= 1);
  assert.match(report.machine.kernel, /\d+\.\d+/);
  assert.deepEqual(report.results.map((r) => r.name), benchmarks.filter((b) => b.name.includes(first)).map((b) => b.name));
  assert.ok(report.results.every((r) => r.ratio > 0));
});

test("harness statistics: median, rate and output checksum", () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  const stats = summarize({ ops: 1000, samplesNs: [2e6, 1e6, 3e6], check: 0 });
  assert.equal(stats.medianNs, 2e6);
  assert.equal(stats.opsPerSec, 500_000);
  assert.equal(checksumBytes(new TextEncoder().encode("a")), 0xe40c292c); // FNV-1a test vector
});

test("external commands are timed with both clocks, their stdout hashed", () => {
  const expected = checksumBytes(new TextEncoder().encode("hello\n"));
  try {
    for (const clock of ["wall", "cpu"] as const) {
      setBenchClock(clock);
      const m = timeCommand("/bin/echo", ["hello"], { ops: 1, warmup: 1, reps: 2 });
      assert.equal(m.samplesNs.length, 2);
      assert.ok(m.samplesNs.every((ns) => ns >= 0));
      assert.equal(m.check, expected);
    }
  } finally {
    setBenchClock("wall");
  }
});
