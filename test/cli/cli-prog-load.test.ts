// `tsbpf prog load` / `prog loadall` on a real-world object (Debian
// libbpf-tools' opensnoop), checked with bpftool: the pins tsbpf makes are
// the ones bpftool makes, and bpftool finds a loaded program behind each.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { bpffsTempDir } from "../util/kernel.js";
import { writeToolObject } from "../util/libbpf-tools.js";
import { bpftool, ok, tsbpf } from "../util/cli.js";
import { type Skippable, missingOracle, requireOracle, skipFor } from "../util/environment.js";

/** Extracts libbpf-tools objects into a temporary directory for one test. */
function withObjects(t: Skippable, tools: string[], body: (objects: string[], pins: string) => void): void {
  if (!requireOracle(t, "bpftool")) return;
  const objDir = mkdtempSync(path.join(tmpdir(), "tsbpf-cli-load-"));
  const pins = bpffsTempDir("tsbpf-cli-load-");
  try {
    const objects = tools.map((tool) => writeToolObject(tool, objDir));
    if (objects.some((o) => o === undefined)) return missingOracle(t, "libbpf-tools", tools.join(", "));
    body(objects as string[], pins.path);
  } finally {
    pins.cleanup();
    rmSync(objDir, { recursive: true, force: true });
  }
}

interface ShownProgram {
  name: string;
  type: string;
  tag: string;
}

test("loadall pins every program (and with pinmaps every map) where bpftool does", (t) => {
  withObjects(t, ["opensnoop"], ([obj], pins) => {
    const mine = path.join(pins, "mine");
    const theirs = path.join(pins, "theirs");
    mkdirSync(theirs); // bpftool creates only the last component of PATH
    assert.equal(ok("prog", "loadall", obj!, path.join(mine, "progs"), "pinmaps", path.join(mine, "maps")), "");
    bpftool("prog", "loadall", obj!, path.join(theirs, "progs"), "pinmaps", path.join(theirs, "maps"));
    const progs = readdirSync(path.join(mine, "progs")).sort();
    assert.ok(progs.length >= 2, `several programs pinned: ${progs.join(", ")}`);
    assert.deepEqual(progs, readdirSync(path.join(theirs, "progs")).sort());
    assert.deepEqual(readdirSync(path.join(mine, "maps")).sort(), readdirSync(path.join(theirs, "maps")).sort());
    for (const name of progs) {
      const shown = JSON.parse(bpftool("-j", "prog", "show", "pinned", path.join(mine, "progs", name))) as ShownProgram;
      const reference = JSON.parse(bpftool("-j", "prog", "show", "pinned", path.join(theirs, "progs", name))) as ShownProgram;
      assert.equal(shown.name, name, "bpftool names it from BTF func info: the full C name");
      assert.equal(shown.type, "tracepoint");
      assert.equal(shown.tag, reference.tag, `${name}: same instructions as libbpf loaded`);
    }
  });
});

test("load pins one program: the first, or the one named with program/--program; type and btf", (t) => {
  withObjects(t, ["opensnoop"], ([obj], pins) => {
    const first = path.join(pins, "first");
    ok("prog", "load", obj!, first);
    const firstShown = JSON.parse(bpftool("-j", "prog", "show", "pinned", first)) as ShownProgram;
    assert.equal(firstShown.name, "tracepoint__syscalls__sys_enter_open", "the object's first program");

    const named = path.join(pins, "named");
    ok("prog", "load", obj!, named, "program", "tracepoint__syscalls__sys_exit_openat");
    const shown = JSON.parse(bpftool("-j", "prog", "show", "pinned", named)) as ShownProgram & { map_ids?: number[] };
    assert.equal(shown.type, "tracepoint");
    // The exit program uses the perf event array, the enter program does not: the right one was loaded.
    const mapNames = (shown.map_ids ?? []).map((id) => (JSON.parse(bpftool("-j", "map", "show", "id", String(id))) as { name: string }).name);
    assert.ok(mapNames.includes("events"), `maps of the exit program: ${mapNames.join(", ")}`);

    // The long option reaches the command after `--` (the global parser does not know it).
    const dashed = path.join(pins, "dashed");
    ok("prog", "load", obj!, dashed, "--", "--program", "tracepoint__syscalls__sys_exit_openat");
    assert.equal((JSON.parse(bpftool("-j", "prog", "show", "pinned", dashed)) as ShownProgram).tag, shown.tag);

    // An explicit CO-RE target and an explicit type (read as a SEC() name) give the same program.
    const explicit = path.join(pins, "explicit");
    ok("prog", "load", obj!, explicit, "type", "tracepoint", "btf", "/sys/kernel/btf/vmlinux", "program", "tracepoint__syscalls__sys_exit_openat");
    assert.equal((JSON.parse(bpftool("-j", "prog", "show", "pinned", explicit)) as ShownProgram).tag, shown.tag);
    const badType = tsbpf("prog", "load", obj!, path.join(pins, "bad"), "type", "no_such_type");
    assert.equal(badType.status, 2);
    assert.match(badType.stderr, /unknown program type 'no_such_type'/);

    const missing = tsbpf("prog", "load", obj!, path.join(pins, "missing"), "program", "no_such_program");
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no program 'no_such_program' \(it has: tracepoint__syscalls__sys_enter_open,/);
    assert.ok(!existsSync(path.join(pins, "missing")));
  });
});

test("a refused object exits 1 with one clear paragraph, no stack trace, and leaves no pins", (t) => {
  // capable: a map sized at run time (max_entries 0); runqlen: a CO-RE field this kernel lacks.
  withObjects(t, ["capable", "runqlen"], ([capable, runqlen], pins) => {
    const unsized = tsbpf("prog", "loadall", capable!, path.join(pins, "capable"));
    assert.equal(unsized.status, 1);
    assert.equal(unsized.stdout, "");
    assert.match(unsized.stderr, /^Error: map 'stackmap' has max_entries 0: .*\[INVALID_ARGUMENT\]\n$/);
    assert.deepEqual(readdirSync(pins), [], "nothing pinned, no directory made before the load succeeded");

    const core = tsbpf("prog", "load", runqlen!, path.join(pins, "runqlen"));
    if (core.status === 0) return skipFor(t, "kernel older than", { linux: "6.14", feature: "struct cfs_rq without nr_running (runqlen must fail CO-RE)" });
    assert.equal(core.status, 1);
    const lines = core.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, `one paragraph: ${core.stderr}`);
    assert.match(lines[0]!, /^Error: program 'do_sample' .*CO-RE relocation .*cfs_rq\.nr_running.*\[VERIFIER\]$/);
    assert.match(lines[0]!, /BPF_CORE_READ\(task, se\.cfs_rq, nr_running\)/, "the C source line");
    assert.deepEqual(readdirSync(pins), []);

    const debug = tsbpf("--debug", "prog", "load", runqlen!, path.join(pins, "runqlen"));
    assert.equal(debug.status, 1);
    assert.match(debug.stderr, /\n\s+at /, "--debug adds the stack trace");
  });
});
