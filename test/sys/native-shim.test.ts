// The native shim validates every argument before acting and makes double
// release a no-op: regression tests for the crashes found by probing it, and
// a fuzz of every entry point in a child process (a crash there fails the
// test with the input that caused it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { native, POLL_READABLE, type WatchHandle } from "../../src/sys/native.js";
import { rawSyscall } from "../../src/sys/syscall.js";
import { InvalidArgumentError } from "../../src/index.js";
import { addressOf } from "../../src/sys/index.js";

const CHILD = fileURLToPath(new URL("../util/shim-fuzz-child.js", import.meta.url));

interface FuzzRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  /** The last case the child logged before it ended. */
  lastCase: string;
  summary: { cases: number; threw: number; returned: number; bad: string[]; badCount: number } | undefined;
  stderr: string;
}

function runFuzz(cases: number, seed: number, crashAt?: number): FuzzRun {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-shim-fuzz-"));
  const log = join(dir, "cases.log");
  try {
    const args = ["--expose-gc", CHILD, log, String(cases), String(seed), ...(crashAt === undefined ? [] : [String(crashAt)])];
    // A generous bound: a watcher left running would keep the child alive forever.
    const r = spawnSync(process.execPath, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 300_000 });
    const lines = readFileSync(log, "utf8").trimEnd().split("\n");
    const summaryLine = r.stdout.trim().split("\n").at(-1);
    return {
      status: r.status,
      signal: r.signal,
      lastCase: lines.at(-1) === "done" ? (lines.at(-2) ?? "") : (lines.at(-1) ?? ""),
      summary: summaryLine ? (JSON.parse(summaryLine) as FuzzRun["summary"]) : undefined,
      stderr: r.stderr,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function pipeFds(): [number, number] {
  const fds = new Int32Array(2);
  const O_CLOEXEC = 0o2000000;
  assert.equal(rawSyscall(process.arch === "arm64" ? 59 : 293, fds, O_CLOEXEC), 0);
  return [fds[0]!, fds[1]!];
}

function isHandle(h: WatchHandle | number): h is WatchHandle {
  return typeof h === "object";
}

test("the fuzz harness reports a crash of the child with the input that caused it", () => {
  const run = runFuzz(500, 1, 123);
  assert.equal(run.signal, "SIGSEGV");
  assert.match(run.lastCase, /^123 \w+\(/);
});

test("every shim entry point survives 60,000 calls with wrong types, counts and values", () => {
  for (const seed of [1, 2, 3]) {
    const run = runFuzz(20_000, seed);
    assert.ok(run.signal === null, `the shim crashed (${run.signal}) on: ${run.lastCase}\n${run.stderr}`);
    assert.equal(run.status, 0, `seed ${seed}: ${run.summary?.bad.join("\n") ?? run.stderr} (last case: ${run.lastCase})`);
    const s = run.summary!;
    assert.equal(s.cases, 20_000);
    assert.equal(s.badCount, 0, s.bad.join("\n"));
    // Both paths are exercised: refused arguments and real calls.
    assert.ok(s.threw > 10_000 && s.returned > 500, JSON.stringify(s));
  }
});

test("watch() with a callback that is not a function throws before polling the fd", () => {
  const [r, w] = pipeFds();
  try {
    for (const cb of [undefined, 5, "f", {}, null]) {
      assert.throws(() => native.watch(r, POLL_READABLE, cb as unknown as () => void), InvalidArgumentError);
    }
    // Nothing was left polling the fd: libuv would refuse a second poll of it (EEXIST).
    const h = native.watch(r, POLL_READABLE, () => undefined);
    assert.ok(isHandle(h), `watch failed: ${String(h)}`);
    assert.equal(native.unwatch(h), 0);
  } finally {
    closeSync(r);
    closeSync(w);
  }
});

test("watch() refuses bad fds and event masks with typed errors", () => {
  const cb = (): void => undefined;
  for (const fd of [-1, NaN, 1.5, 2 ** 31, "3", 3n ** 40n]) {
    assert.throws(() => native.watch(fd as number, POLL_READABLE, cb), InvalidArgumentError, String(fd));
  }
  for (const events of [0, -1, 16, 4096, NaN, "1"]) {
    assert.throws(() => native.watch(0, events as number, cb), InvalidArgumentError, String(events));
  }
});

test("unwatch() twice, and after the fd was closed, does nothing; events arrive until then", async () => {
  const [r, w] = pipeFds();
  const seen: Array<[number, number]> = [];
  let ready!: () => void;
  const arrived = new Promise<void>((resolve) => (ready = resolve));
  const h = native.watch(r, POLL_READABLE, (status, events) => {
    seen.push([status, events]);
    ready();
  });
  assert.ok(isHandle(h));
  writeSync(w, "x");
  await arrived;
  assert.deepEqual(seen[0], [0, POLL_READABLE]);
  closeSync(r);
  closeSync(w);
  assert.equal(native.unwatch(h), 0);
  assert.equal(native.unwatch(h), 0);
  // Let the close callback run, then the stale handle is still harmless.
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(native.unwatch(h), 0);
  assert.throws(() => native.unwatch({} as WatchHandle), InvalidArgumentError);
});

test("munmap() twice is a no-op; foreign and detached buffers are refused", () => {
  const fd = openSync("/proc/self/exe", "r");
  try {
    const PROT_READ = 1;
    const MAP_PRIVATE = 2;
    const m = native.mmap(fd, 4096, PROT_READ, MAP_PRIVATE, 0);
    assert.ok(m instanceof ArrayBuffer);
    const view = new Uint8Array(m);
    assert.deepEqual([...view.subarray(1, 4)], [0x45, 0x4c, 0x46]); // "ELF"
    assert.equal(native.munmap(m), 0);
    assert.equal(m.byteLength, 0);
    assert.equal(view.byteLength, 0);
    assert.equal(native.munmap(m), 0);
    assert.throws(() => native.munmap(new ArrayBuffer(4096)), InvalidArgumentError);
    assert.throws(() => addressOf(view), InvalidArgumentError);
    // MAP_FIXED (0x10) and friends could replace memory Node uses.
    assert.throws(() => native.mmap(fd, 4096, PROT_READ, MAP_PRIVATE | 0x10, 0), InvalidArgumentError);
    assert.throws(() => native.mmap(fd, 0, PROT_READ, MAP_PRIVATE, 0), InvalidArgumentError);
    assert.throws(() => native.mmap(-1, 4096, PROT_READ, MAP_PRIVATE, 0), InvalidArgumentError);
  } finally {
    closeSync(fd);
  }
});

test("raw syscalls refuse arguments they cannot pass, typed", () => {
  const getpid = process.arch === "arm64" ? 172 : 39;
  assert.equal(rawSyscall(getpid), process.pid);
  assert.throws(() => rawSyscall(getpid, NaN), InvalidArgumentError);
  assert.throws(() => rawSyscall(getpid, "1" as unknown as number), InvalidArgumentError);
  assert.throws(() => rawSyscall(getpid, 1, 2, 3, 4, 5, 6, 7), InvalidArgumentError);
  assert.throws(() => rawSyscall(-1), InvalidArgumentError);
  assert.throws(() => native.bpf(0, NaN, 8), InvalidArgumentError);
});
