// The execsnoop, bootstrap and runqslower examples as users run them: each is
// started as a child, an event is provoked (a child exec with a unique
// argument, a process exiting with code 3, a task waking), Ctrl-C ends it
// with exit 0, and bpftool finds nothing its programs left attached.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { exampleMain, leftAttached, programIdsOf, startTool } from "../util/example-tool.js";
import { requireOracle } from "../util/environment.js";

/** Waits until the tool's programs are visible to bpftool, returning their ids. */
async function programsOfTool(pid: number): Promise<number[]> {
  // The tool prints "Tracing …" after attaching, so its fds are there already; a few retries cover slow starts.
  for (let i = 0; i < 10; i++) {
    const ids = programIdsOf(pid);
    if (ids.length > 0) return ids;
    await sleep(20);
  }
  return [];
}

test("execsnoop shows a child's exec with its arguments and result; Ctrl-C exits 0 leaving nothing attached", { timeout: 30_000 }, async (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const marker = `tsbpf-exec-${randomBytes(4).toString("hex")}`;
  const tool = startTool("execsnoop", [], /^Tracing execve calls/m);
  await tool.ready;
  const progs = await programsOfTool(tool.child.pid!);
  assert.equal(progs.length, 2, "two tracepoint programs loaded");
  const echo = spawnSync("/bin/echo", [marker, "second"]);
  const missing = spawnSync(`/nonexistent-${marker}`);
  await sleep(200);
  tool.child.kill("SIGINT");
  const { code, stdout, stderr } = await tool.done;
  assert.equal(code, 0, stderr);
  const lines = stdout.split("\n");
  assert.match(lines[0]!, /^PCOMM\s+PID\s+PPID\s+RET ARGS$/);
  const ours = lines.find((l) => l.includes(marker) && l.startsWith("echo"));
  assert.ok(ours, stdout.slice(0, 3000));
  assert.match(ours, new RegExp(`^echo\\s+${echo.pid}\\s+${process.pid}\\s+0 /bin/echo ${marker} second$`));
  assert.ok(missing.error, "the missing binary failed to start");
  assert.deepEqual(leftAttached(progs), []);
});

test("bootstrap reports a process's exec and its exit code; -m keeps only long-lived ones", { timeout: 30_000 }, async (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const tool = startTool("bootstrap", [], /^Tracing process starts/m);
  await tool.ready;
  const progs = await programsOfTool(tool.child.pid!);
  const child = spawnSync("/bin/sh", ["-c", "exit 3"]);
  await sleep(200);
  tool.child.kill("SIGINT");
  const { code, stdout, stderr } = await tool.done;
  assert.equal(code, 0, stderr);
  const lines = stdout.split("\n").filter((l) => new RegExp(`^\\S+ (EXEC|EXIT)\\s+\\S+\\s+${child.pid} `).test(l));
  assert.equal(lines.length, 2, stdout.slice(0, 3000));
  assert.match(lines[0]!, new RegExp(`EXEC  sh\\s+${child.pid}\\s+${process.pid} /(usr/)?bin/sh$`));
  assert.match(lines[1]!, new RegExp(`EXIT  sh\\s+${child.pid}\\s+${process.pid} \\[3\\] \\(\\d+ms\\)$`));
  assert.deepEqual(leftAttached(progs), []);

  // 60 s minimum: a short-lived child is not reported, and no EXEC lines at all.
  const filtered = startTool("bootstrap", ["-m", "60000"], /^Tracing process starts/m);
  await filtered.ready;
  const quick = spawnSync("/bin/sh", ["-c", "exit 4"]);
  await sleep(200);
  filtered.child.kill("SIGINT");
  const out = await filtered.done;
  assert.equal(out.code, 0, out.stderr);
  assert.ok(!out.stdout.includes(` ${quick.pid} `), out.stdout);
  assert.ok(!/ EXEC /.test(out.stdout), "no exec events with a minimum duration");
});

test("runqslower -m 0 -p PID reports each wakeup of a process that sleeps in a loop", { timeout: 30_000 }, async (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const sleeper = spawn("/bin/sh", ["-c", "while :; do sleep 0.05; done"], { stdio: "ignore" });
  try {
    const tool = startTool("runqslower", ["-m", "0", "-p", String(sleeper.pid)], /^Tracing run queue latency/m);
    await tool.ready;
    const progs = await programsOfTool(tool.child.pid!);
    assert.equal(progs.length, 3, "three tp_btf programs");
    await sleep(500);
    tool.child.kill("SIGINT");
    const { code, stdout, stderr } = await tool.done;
    assert.equal(code, 0, stderr);
    const lines = stdout.split("\n");
    assert.match(lines[0]!, /^TIME\s+COMM\s+TID\s+LAT\(us\) PREV COMM\s+PREV TID$/);
    const events = lines.slice(1).filter(Boolean);
    assert.ok(events.length > 0, stdout);
    for (const line of events) assert.match(line, new RegExp(`^\\d\\d:\\d\\d:\\d\\d sh\\s+${sleeper.pid}\\s+\\d+ \\S.*\\d+$`));
    assert.deepEqual(leftAttached(progs), []);
  } finally {
    sleeper.kill("SIGKILL");
  }
});

test("--help, bad options and missing root: exit 0, 2 and 1 with one line", () => {
  for (const tool of ["execsnoop", "bootstrap", "runqslower", "ps", "profile"]) {
    const help = spawnSync(process.execPath, [exampleMain(tool), "--help"], { encoding: "utf8" });
    assert.equal(help.status, 0, tool);
    assert.match(help.stdout, new RegExp(`^Usage: ${tool}`));
    const bad = spawnSync(process.execPath, [exampleMain(tool), "--bogus"], { encoding: "utf8" });
    assert.equal(bad.status, 2, tool);
    assert.match(bad.stderr, new RegExp(`^${tool}: Unknown option '--bogus'`));
    const nobody = spawnSync(process.execPath, [exampleMain(tool)], { encoding: "utf8", uid: 65534, gid: 65534 });
    assert.equal(nobody.status, 1, tool);
    assert.match(nobody.stderr, new RegExp(`^${tool}: must run as root[^\\n]*\\n$`));
  }
});
