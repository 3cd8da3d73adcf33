// perf_event sampling on the real kernel: a SEC("perf_event") program counts
// cpu-clock samples per CPU while this process spins, through one Link per
// online CPU grouped in a LinkGroup (or one event for this process), and
// nothing stays attached after the group closes (bpftool link show). Hardware
// counters: a typed error naming the event where the machine has none.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Collection, loadObjectSpec } from "../../src/index.js";
import { InvalidArgumentError, NotSupportedError } from "../../src/sys/errors.js";
import { onlineCpus } from "../../src/sys/cpus.js";
import { attachPerfEvent } from "../../src/link/index.js";
import { readCounter } from "../sys/sys-attach-helpers.js";
import { openFdCount } from "../util/kernel.js";
import { bpftoolLinksOf } from "../util/attached.js";
import { requireOracle } from "../util/environment.js";

const OBJECT = fileURLToPath(new URL("../../../test/fixtures/tracing/perf-event.bpf.o", import.meta.url));

function loadSampler(): Collection {
  const spec = loadObjectSpec(OBJECT);
  spec.variable("target_tgid").set(process.pid);
  return Collection.load(spec);
}

/** Spins on this thread until the program has seen `enough` samples of this process (bounded by a generous cap). */
function spinUntilSampled(objects: Collection, enough: bigint): void {
  const target = objects.map("target_samples");
  for (let round = 0; round < 200 && readCounter(target) < enough; round++) {
    const end = Date.now() + 25;
    while (Date.now() < end) Math.sqrt(Math.random());
  }
}

test("cpu-clock sampling on every online CPU: one link per CPU, samples counted per CPU, all detached at close", { timeout: 30_000 }, (t) => {
  if (!requireOracle(t, "bpftool")) return;
  using objects = loadSampler();
  const program = objects.program("count_samples");
  const cpus = onlineCpus();
  const fds = openFdCount();
  {
    using group = attachPerfEvent(program, { event: "cpu-clock", frequency: 1000 });
    assert.equal(group.size, cpus.length);
    assert.deepEqual(group.links.map((l) => l.target), cpus.map((c) => `perf_event cpu-clock 1000 Hz on cpu ${c}`));
    assert.equal(bpftoolLinksOf(program.id).length, cpus.length, "bpftool sees one perf_event link per CPU");
    spinUntilSampled(objects, 20n);
  }
  assert.ok(readCounter(objects.map("target_samples")) >= 20n, "samples of this spinning process");
  const perCpu = cpus.map((c) => readCounter(objects.map("samples"), c));
  assert.ok(perCpu.some((n) => n > 0n), `samples per CPU: ${perCpu.join(",")}`);
  const total = perCpu.reduce((a, b) => a + b, 0n);
  const end = Date.now() + 50;
  while (Date.now() < end) Math.sqrt(Math.random());
  assert.deepEqual(cpus.map((c) => readCounter(objects.map("samples"), c)).reduce((a, b) => a + b, 0n), total, "no samples after close");
  assert.deepEqual(bpftoolLinksOf(program.id), [], "nothing stays attached");
  assert.equal(openFdCount(), fds);
});

test("one process by period: task-clock of this pid on any CPU", { timeout: 30_000 }, () => {
  using objects = loadSampler();
  {
    using group = attachPerfEvent(objects.program("count_samples"), { event: "task-clock", period: 1_000_000n, pid: process.pid });
    assert.equal(group.size, 1);
    assert.equal(group.links[0]!.target, `perf_event task-clock period 1000000 on pid ${process.pid}`);
    spinUntilSampled(objects, 10n);
  }
  assert.ok(readCounter(objects.map("target_samples")) >= 10n);
});

test("hardware counters: sampled where the machine has them, else an error naming the event", () => {
  using objects = loadSampler();
  const fds = openFdCount();
  if (existsSync("/sys/bus/event_source/devices/cpu")) {
    using group = attachPerfEvent(objects.program("count_samples"), { event: "cycles", frequency: 100 });
    assert.equal(group.size, onlineCpus().length);
    return;
  }
  assert.throws(() => attachPerfEvent(objects.program("count_samples"), { event: "cycles", frequency: 100 }), (e: Error) => {
    assert.ok(e instanceof NotSupportedError, String(e));
    assert.equal(e.message,
      "hardware perf event 'cycles' on this machine (the CPU's counters are not available; /sys/bus/event_source/devices/cpu does not exist: " +
      "no hardware PMU is exposed (a VM without a virtual PMU); software events such as cpu-clock work everywhere) is not supported by the running kernel");
    return true;
  });
  assert.equal(openFdCount(), fds, "no per-CPU event left open");
});

test("bad input: program type, rate, event and CPU are checked first", () => {
  using objects = loadSampler();
  const p = objects.program("count_samples");
  assert.throws(() => attachPerfEvent(p, {}), /exactly one of frequency .* and period/);
  assert.throws(() => attachPerfEvent(p, { frequency: 10, period: 10 }), InvalidArgumentError);
  assert.throws(() => attachPerfEvent(p, { frequency: 0 }), InvalidArgumentError);
  assert.throws(() => attachPerfEvent(p, { frequency: 10, event: "nope" as "cycles" }), /unknown perf event 'nope'/);
  assert.throws(() => attachPerfEvent(p, { frequency: 10, cpus: [4096] }), /CPU 4096 is not online/);
  using raw = Collection.load(loadObjectSpec(fileURLToPath(new URL("../../../test/fixtures/tracing/raw-tp.bpf.o", import.meta.url))), { programs: ["raw_enter"] });
  assert.throws(() => attachPerfEvent(raw.program("raw_enter"), { frequency: 10 }), /attachPerfEvent needs a perf_event program/);
});
