// The ps (task iterator) and profile (perf_event sampler) examples as users
// run them: ps's line for this process matches /proc; profile, stopped with
// Ctrl-C while a child copies /dev/zero to /dev/null, prints that child's
// kernel stacks with every frame a /proc/kallsyms function, and nothing its
// programs were attached to stays attached.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { exampleMain, leftAttached, programIdsOf, startTool } from "../util/example-tool.js";
import { requireOracle } from "../util/environment.js";

function ps(args: string[]): { status: number | null; lines: string[] } {
  const r = spawnSync(process.execPath, [exampleMain("ps"), ...args], { encoding: "utf8" });
  assert.equal(r.stderr, "");
  return { status: r.status, lines: r.stdout.split("\n").filter(Boolean) };
}

test("ps lists this process with its parent, user and command; -p limits it; -T adds threads", () => {
  const all = ps([]);
  assert.equal(all.status, 0);
  assert.match(all.lines[0]!, /^\s+PID\s+PPID\s+UID S COMMAND$/);
  const mine = new RegExp(`^\\s+${process.pid}\\s+${process.ppid}\\s+0 [RSD] node$`);
  assert.equal(all.lines.filter((l) => mine.test(l)).length, 1, all.lines.slice(0, 5).join("\n"));
  assert.ok(all.lines.length > 10, "the whole task list");

  const one = ps(["-p", String(process.pid)]);
  assert.equal(one.lines.length, 2);
  assert.match(one.lines[1]!, mine);

  const threads = ps(["-T", "-p", String(process.pid)]);
  const tids = threads.lines.slice(1).map((l) => Number(l.trim().split(/\s+/)[1]));
  const procTids = readFileSync(`/proc/${process.pid}/status`, "utf8").match(/^Threads:\s+(\d+)$/m)![1];
  assert.ok(tids.includes(process.pid), "the main thread");
  assert.ok(tids.length > 1 && tids.length <= Number(procTids) + 2, `${tids.length} threads vs /proc's ${procTids}`);
});

test("profile prints a busy child's kernel stacks, symbolised through kallsyms; Ctrl-C exits 0", { timeout: 30_000 }, async (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const tool = startTool("profile", ["-F", "499"], /^Sampling kernel stacks/m);
  await tool.ready;
  const progs = programIdsOf(tool.child.pid!);
  assert.equal(progs.length, 1);
  const dd = spawn("dd", ["if=/dev/zero", "of=/dev/null", "bs=4k"], { stdio: "ignore" });
  await sleep(800);
  dd.kill("SIGKILL");
  tool.child.kill("SIGINT");
  const { code, stdout, stderr } = await tool.done;
  assert.equal(code, 0, stderr);
  const kallsyms = new Set(readFileSync("/proc/kallsyms", "latin1").split("\n").map((l) => l.split(/[ \t]/)[2]));
  const lines = stdout.split("\n").filter(Boolean);
  const ddStacks = lines.filter((l) => l.startsWith("dd;") && !l.startsWith("dd;[user]"));
  assert.ok(ddStacks.length > 0, stdout.slice(0, 3000));
  for (const line of ddStacks) {
    const m = /^dd;(.+) (\d+)$/.exec(line);
    assert.ok(m, line);
    for (const frame of m[1]!.split(";")) assert.ok(kallsyms.has(frame), `${frame} is a kernel symbol`);
  }
  assert.ok(ddStacks.some((l) => /sys_read|sys_write|read_zero|entry_SYSCALL/.test(l)), ddStacks.join("\n"));
  // Sorted by count, most frequent first.
  const counts = lines.map((l) => Number(l.slice(l.lastIndexOf(" ") + 1)));
  assert.deepEqual(counts, [...counts].sort((a, b) => b - a));
  assert.deepEqual(leftAttached(progs), []);
});
