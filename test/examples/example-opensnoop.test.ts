// The opensnoop example as users run it (`npm start`): a child process that
// loads examples/opensnoop/opensnoop.bpf.o, attaches its tracepoints and
// prints what this test process opens. libbpf-tools' opensnoop, run at the
// same time, is the oracle for the lines of a child we spawn.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { attachTracepoint, Collection, loadObjectSpec } from "../../src/index.js";
import type { OpenEvent } from "../../examples/opensnoop/opensnoop.skel.js";
import { missingOracle } from "../util/environment.js";
import { run, type ToolRun } from "../util/example-tool.js";

const MAIN = fileURLToPath(new URL("../../examples/opensnoop/main.js", import.meta.url));
const OBJECT = fileURLToPath(new URL("../../../examples/opensnoop/opensnoop.bpf.o", import.meta.url));
const LIBBPF_OPENSNOOP = "/usr/sbin/opensnoop";

function opensnoop(args: string[]): ToolRun {
  return run(process.execPath, [MAIN, ...args], /^Tracing open calls/m);
}

/**
 * Waits until libbpf-tools' opensnoop (which prints nothing when ready) has
 * created its event-buffer epoll fd: it does so after attaching.
 */
async function attached(pid: number): Promise<void> {
  for (let waited = 0; waited < 10_000; waited += 20) {
    try {
      const fds = readdirSync(`/proc/${pid}/fd`).map((fd) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return "";
        }
      });
      if (fds.includes("anon_inode:[eventpoll]")) return;
    } catch {
      return; // it exited; its output will tell
    }
    await sleep(20);
  }
}

function uniquePath(what: string): string {
  return `/tmp/tsbpf-opensnoop-${what}-${randomBytes(6).toString("hex")}`;
}

/** Columns of one output line: PID COMM FD ERR PATH (COMM is 16 characters wide and may contain spaces). */
function parseLine(line: string): { pid: number; comm: string; fd: number; err: number; path: string } | undefined {
  const m = /^(\d+)\s+(.{16}) +(-?\d+) +(\d+) (.*)$/.exec(line);
  return m ? { pid: Number(m[1]), comm: m[2]!.trimEnd(), fd: Number(m[3]), err: Number(m[4]), path: m[5]! } : undefined;
}

test("library use (the README's tracing example): programs attach by their SEC() names, events arrive in the ring", { timeout: 20_000 }, async () => {
  const spec = loadObjectSpec(OBJECT);
  spec.variable("target_tgid").set(process.pid);
  using objects = Collection.load(spec, { programs: ["enter_openat", "exit_openat"] });
  const links = [...objects.programs.values()].map((p) => attachTracepoint(p));
  try {
    assert.deepEqual(links.map((l) => l.target), ["tracepoint syscalls/sys_enter_openat", "tracepoint syscalls/sys_exit_openat"]);
    const events = objects.ringBuffer<OpenEvent>("events", { type: "struct open_event" });
    const path = uniquePath("library");
    const controller = new AbortController();
    const seen: OpenEvent[] = [];
    const reading = events.consume((e) => {
      seen.push(e);
      if (e.path === path) controller.abort();
    }, { signal: controller.signal });
    setTimeout(() => closeSync(openSync(path, "w")), 10);
    await reading;
    rmSync(path, { force: true });
    assert.ok(seen.every((e) => e.tgid === process.pid), "the .rodata filter kept other processes out");
    const ours = seen.at(-1)!;
    assert.equal(ours.path, path);
    assert.equal(ours.comm, "node");
    assert.ok(ours.ret >= 0);
  } finally {
    for (const link of links) link.close();
  }
});

test("opensnoop shows this process opening a uniquely named file", { timeout: 20_000 }, async () => {
  const path = uniquePath("ok");
  const tool = opensnoop(["-d", "2"]);
  await tool.ready;
  closeSync(openSync(path, "w"));
  const { code, stdout, stderr } = await tool.done;
  rmSync(path, { force: true });
  assert.equal(code, 0, stderr);
  const lines = stdout.split("\n");
  assert.equal(lines[0], "PID    COMM              FD ERR PATH");
  const ours = lines.map(parseLine).filter((l) => l?.path === path);
  assert.equal(ours.length, 1, `one line for ${path} in:\n${stdout.slice(0, 2000)}`);
  assert.equal(ours[0]!.pid, process.pid);
  assert.equal(ours[0]!.comm, "node");
  assert.ok(ours[0]!.fd >= 0);
  assert.equal(ours[0]!.err, 0);
});

test("-x shows only failed opens, with their errno; -p limits to one process", { timeout: 20_000 }, async () => {
  const existing = uniquePath("exists");
  const missing = uniquePath("missing");
  writeFileSync(existing, "");
  const tool = opensnoop(["-x", "-p", String(process.pid), "-d", "2"]);
  await tool.ready;
  closeSync(openSync(existing, "r"));
  assert.throws(() => openSync(missing, "r"), /ENOENT/);
  spawnSync("/bin/cat", [missing]); // another process: filtered out by -p
  const { code, stdout, stderr } = await tool.done;
  rmSync(existing, { force: true });
  assert.equal(code, 0, stderr);
  const lines = stdout.split("\n").slice(1).filter(Boolean).map(parseLine);
  assert.ok(lines.every((l) => l !== undefined && l.pid === process.pid && l.err > 0 && l.fd === -1), stdout);
  const failed = lines.filter((l) => l?.path === missing);
  assert.equal(failed.length, 1, stdout);
  assert.equal(failed[0]!.err, 2, "ENOENT");
  assert.ok(!stdout.includes(existing), "the successful open is not shown");
});

test("--json prints one parseable object per event; -n filters by command name", { timeout: 20_000 }, async () => {
  const path = uniquePath("json");
  const tool = opensnoop(["--json", "-n", "node", "-p", String(process.pid), "-d", "2"]);
  await tool.ready;
  closeSync(openSync(path, "w"));
  const { code, stdout, stderr } = await tool.done;
  rmSync(path, { force: true });
  assert.equal(code, 0, stderr);
  const events = stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(events.length > 0);
  assert.ok(events.every((e) => e.pid === process.pid && e.comm === "node"));
  const ours = events.find((e) => e.path === path);
  assert.ok(ours, stdout.slice(0, 2000));
  assert.equal(ours.uid, process.getuid!());
  assert.equal(ours.err, 0);
  assert.equal(typeof ours.fd, "number");
  assert.equal(typeof ours.tid, "number");
  // O_WRONLY | O_CREAT | O_TRUNC, as fs.openSync(path, "w") asks.
  assert.equal((ours.flags as number) & 0o1101, 0o1101);
});

test("the same lines as libbpf-tools' opensnoop for a child process", { timeout: 20_000 }, async (t) => {
  if (!existsSync(LIBBPF_OPENSNOOP)) return missingOracle(t, "libbpf-tools", LIBBPF_OPENSNOOP);
  const ours = opensnoop(["-n", "cat", "-d", "3"]);
  const theirs = run(LIBBPF_OPENSNOOP, ["-n", "cat", "-d", "3"], undefined);
  await ours.ready;
  await attached(theirs.child.pid!);
  const missing = uniquePath("oracle-missing");
  const cat = spawnSync("/bin/cat", ["/etc/hostname", missing]);
  const [a, b] = await Promise.all([ours.done, theirs.done]);
  assert.equal(a.code, 0, a.stderr);
  // libbpf-tools' opensnoop exits with 1 when its -d duration ends; only a crash counts.
  assert.ok(b.code === 0 || b.code === 1, `libbpf-tools opensnoop exited with ${b.code}: ${b.stderr}`);
  const linesOf = (out: string): string[] => out.split("\n").filter((l) => parseLine(l)?.pid === cat.pid);
  const expected = linesOf(b.stdout);
  assert.ok(expected.some((l) => l.endsWith(` ${missing}`)), `libbpf-tools saw the child:\n${b.stdout}`);
  assert.deepEqual(linesOf(a.stdout), expected);
});

test("Ctrl-C ends tracing cleanly with exit 0; bad options and missing root are one-line errors", { timeout: 20_000 }, async () => {
  const tool = opensnoop(["-p", String(process.pid)]);
  await tool.ready;
  tool.child.kill("SIGINT");
  const stopped = await tool.done;
  assert.equal(stopped.code, 0, stopped.stderr);

  const bad = spawnSync(process.execPath, [MAIN, "-d", "soon"], { encoding: "utf8" });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^opensnoop: -d needs an integer/);

  const help = spawnSync(process.execPath, [MAIN, "--help"], { encoding: "utf8" });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage: opensnoop/);

  const nobody = spawnSync(process.execPath, [MAIN, "-d", "1"], { encoding: "utf8", uid: 65534, gid: 65534 });
  assert.equal(nobody.status, 1);
  assert.equal(nobody.stderr.trim().split("\n").length, 1, nobody.stderr);
  assert.match(nobody.stderr, /^opensnoop: must run as root/);
});
