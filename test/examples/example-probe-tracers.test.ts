// The uprobe-tracer and usdt-tracer examples as users run them: each traces
// a real process briefly and must print a real event — malloc called by a
// python process with the size it asked for, and the Python function a
// traced interpreter entered — then ends cleanly on Ctrl-C with nothing
// left attached (bpftool), and answers --help and bad options.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { requireOracle } from "../util/environment.js";
import { run } from "../util/example-tool.js";

const UPROBE_TRACER = fileURLToPath(new URL("../../examples/uprobe-tracer/main.js", import.meta.url));
const USDT_TRACER = fileURLToPath(new URL("../../examples/usdt-tracer/main.js", import.meta.url));
const PYTHON = "/usr/bin/python3.11";

/** Programs of `name` that bpftool still lists with a link or a perf event. */
function attachedPrograms(name: string): number {
  const progs = JSON.parse(spawnSync("bpftool", ["-j", "prog", "show"], { encoding: "utf8" }).stdout) as Array<{ id: number; name?: string }>;
  const ids = new Set(progs.filter((p) => p.name === name).map((p) => p.id));
  const links = JSON.parse(spawnSync("bpftool", ["-j", "link", "show"], { encoding: "utf8" }).stdout) as Array<{ prog_id: number }>;
  const perf = JSON.parse(spawnSync("bpftool", ["-j", "perf", "show"], { encoding: "utf8" }).stdout || "[]") as Array<{ prog_id: number }>;
  return [...links, ...perf].filter((l) => ids.has(l.prog_id)).length;
}

test("uprobe-tracer: malloc of one python process, with the size python asked for", { timeout: 30_000 }, async (t) => {
  if (!requireOracle(t, "python3 with USDT") || !requireOracle(t, "bpftool")) return;
  // A python that allocates a bytes object of the size it reads, once the tracer is attached.
  const python = spawn(PYTHON, ["-S", "-u", "-c", "import sys\nfor line in sys.stdin:\n  x = b'x' * int(line)\n  print(len(x))"]);
  const answers = createInterface({ input: python.stdout! })[Symbol.asyncIterator]();
  try {
    const tool = run(process.execPath, [UPROBE_TRACER, "--json", "-p", String(python.pid), "libc.so.6:malloc"], /^Tracing /m);
    await tool.ready;
    python.stdin!.write("1000000\n");
    assert.equal((await answers.next()).value, "1000000");
    await sleep(500); // the tool reads its ring buffer on the event loop
    tool.child.kill("SIGINT");
    const { code, stdout, stderr } = await tool.done;
    assert.equal(code, 0, stderr);
    assert.match(stderr, /^Tracing \/\S+\/libc\.so\.6:malloc pid \d+ until Ctrl-C\.$/m);
    const calls = stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { pid: number; comm: string; function: string; args: string[]; ret: string });
    assert.ok(calls.length > 0 && calls.every((c) => c.pid === python.pid && c.function === "malloc"), stdout.slice(0, 1000));
    // PyBytes adds its header (33 bytes on 64-bit) to the size asked for.
    const big = calls.find((c) => Number(c.args[0]) >= 1_000_000 && Number(c.args[0]) < 1_000_100);
    assert.ok(big, `a malloc of about 1000000 bytes in:\n${stdout.slice(0, 1000)}`);
    assert.equal(big.comm, "python3.11");
    assert.notEqual(BigInt(big.ret), 0n, "malloc returned a pointer");
    assert.equal(attachedPrograms("enter") + attachedPrograms("leave"), 0, "nothing attached after Ctrl-C");
  } finally {
    python.stdin!.end();
  }
});

test("usdt-tracer: the Python function a traced interpreter enters", { timeout: 30_000 }, async (t) => {
  if (!requireOracle(t, "python3 with USDT") || !requireOracle(t, "bpftool")) return;
  const tool = run(process.execPath, [USDT_TRACER, "-d", "3"], /^Tracing /m);
  await tool.ready;
  // CPython 3.11 fires function__entry for calls made while a trace function is set.
  const py = spawnSync(PYTHON, ["-S", "-c", "import sys\nsys.settrace(lambda *a: None)\ndef tsbpf_example_marker():\n  return 1\ntsbpf_example_marker()"]);
  assert.equal(py.status, 0);
  const { code, stdout, stderr } = await tool.done;
  assert.equal(code, 0, stderr);
  assert.match(stderr, /^Tracing python:function__entry in \/usr\/bin\/python3\.11 \(\d+ sites?\) for 3 s\.$/m);
  const lines = stdout.split("\n");
  assert.equal(lines[0], "PID     COMM             FUNCTION (FILE:LINE)");
  assert.ok(lines.includes(`${String(py.pid).padEnd(7)} ${"python3.11".padEnd(16)} tsbpf_example_marker (<string>:3)`), stdout.slice(0, 2000));
  assert.equal(attachedPrograms("function_entry"), 0, "nothing attached after the duration");
});

test("the tracers: Ctrl-C exits 0; --help, bad options and missing root are one-line answers", { timeout: 30_000 }, async () => {
  const tool = run(process.execPath, [USDT_TRACER], /^Tracing /m);
  await tool.ready;
  tool.child.kill("SIGINT");
  assert.equal((await tool.done).code, 0);
  for (const [main, name] of [[UPROBE_TRACER, "uprobe-tracer"], [USDT_TRACER, "usdt-tracer"]] as const) {
    const help = spawnSync(process.execPath, [main, "--help"], { encoding: "utf8" });
    assert.equal(help.status, 0);
    assert.match(help.stdout, new RegExp(`^Usage: ${name} `));
    const bad = spawnSync(process.execPath, [main, "-d", "soon", "x:y"], { encoding: "utf8" });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, new RegExp(`^${name}: -d needs an integer`));
    const nobody = spawnSync(process.execPath, [main, "-d", "1", "libc.so.6:malloc"].slice(0, name === "usdt-tracer" ? 3 : 4),
      { encoding: "utf8", uid: 65534, gid: 65534 });
    assert.equal(nobody.status, 1, nobody.stderr);
    assert.match(nobody.stderr, new RegExp(`^${name}: must run as root`));
  }
  const notTarget = spawnSync(process.execPath, [UPROBE_TRACER, "malloc"], { encoding: "utf8" });
  assert.equal(notTarget.status, 2);
  assert.match(notTarget.stderr, /is not BINARY:FUNCTION/);
  const missing = spawnSync(process.execPath, [UPROBE_TRACER, "-d", "1", "libc.so.6:no_such_function_tsbpf"], { encoding: "utf8" });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^uprobe-tracer: no function no_such_function_tsbpf in \/\S+libc\.so\.6/);
  const noProbe = spawnSync(process.execPath, [USDT_TRACER, "-d", "1", "/bin/true"], { encoding: "utf8" });
  assert.equal(noProbe.status, 1);
  assert.match(noProbe.stderr, /^usdt-tracer: \/bin\/true has no USDT probes/);
});
