// readTracePipe on the real kernel: a bpf_printk line from a program run with
// BPF_PROG_TEST_RUN arrives parsed, the iterator ends on abort and closes its
// fd; the line parser on fixed lines (with and without the tgid and irq-info
// columns, and lines that are not trace lines).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readlinkSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { Collection, loadObjectSpec, NotFoundError, parseTraceLine, readTracePipe, type TraceLine } from "../../src/index.js";
import { PRODUCER_OBJECT } from "../../bench/events.js";

function tracePipeFds(): number {
  return readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).endsWith("/trace_pipe");
    } catch {
      return false;
    }
  }).length;
}

test("parseTraceLine splits the trace format's columns", () => {
  assert.deepEqual(parseTraceLine("           <...>-1042    [001] b..11 11383.862270: bpf_trace_printk: tsbpf trace line abc"), {
    task: "<...>", pid: 1042, tgid: undefined, cpu: 1, flags: "b..11", timestamp: 11383.86227, event: "bpf_trace_printk",
    message: "tsbpf trace line abc", raw: "           <...>-1042    [001] b..11 11383.862270: bpf_trace_printk: tsbpf trace line abc",
  });
  // record-tgid on, a comm with dashes and spaces, no irq-info column, a message with colons.
  const withTgid = parseTraceLine("  kworker/u4:2-x y-77      (     70) [000]    12.000001: bpf_trace_printk: a: b: c");
  assert.equal(withTgid?.task, "kworker/u4:2-x y");
  assert.equal(withTgid?.pid, 77);
  assert.equal(withTgid?.tgid, 70);
  assert.equal(withTgid?.cpu, 0);
  assert.equal(withTgid?.timestamp, 12.000001);
  assert.equal(withTgid?.message, "a: b: c");
  assert.equal(parseTraceLine("  node-5 (-------) [001] d..1. 1.5: bpf_trace_printk: x")?.tgid, undefined);
  assert.equal(parseTraceLine("CPU:1 [LOST 12 EVENTS]"), undefined);
  assert.equal(parseTraceLine(""), undefined);
});

test("readTracePipe yields a program's bpf_printk line and ends on abort, closing its fd", { timeout: 30_000 }, async () => {
  const spec = loadObjectSpec(PRODUCER_OBJECT);
  const tag = BigInt(`0x${randomBytes(5).toString("hex")}`) | 1n;
  spec.variable("tag").set(tag);
  using objects = Collection.load(spec);
  const controller = new AbortController();
  const lines = readTracePipe({ signal: controller.signal });
  // The first next() opens the pipe; the program prints once it is open.
  const timer = setInterval(() => {
    if (tracePipeFds() > 0) objects.program("print_line").testRun({ data: new Uint8Array(64) });
  }, 50);
  let ours: TraceLine | undefined;
  try {
    for await (const line of lines) {
      if (line.message === `tsbpf trace line ${tag.toString(16)}`) {
        ours = line;
        controller.abort();
      }
    }
  } finally {
    clearInterval(timer);
  }
  assert.ok(ours, "the line arrived");
  assert.equal(ours.event, "bpf_trace_printk");
  assert.ok(ours.pid > 0);
  assert.ok(ours.cpu >= 0);
  assert.ok(ours.timestamp > 0);
  assert.equal(tracePipeFds(), 0, "the pipe is closed once the iterator ends");

  // Aborted before the first read: nothing is opened at all.
  const aborted = new AbortController();
  aborted.abort();
  assert.deepEqual(await readTracePipe({ signal: aborted.signal }).next(), { done: true, value: undefined });
  assert.equal(tracePipeFds(), 0);
});

test("readTracePipe on a missing file is a typed error", async () => {
  await assert.rejects(readTracePipe({ path: "/sys/kernel/tracing/no_such_pipe" }).next(), (e) => {
    assert.ok(e instanceof NotFoundError);
    assert.match(e.message, /no_such_pipe does not exist/);
    return true;
  });
});
