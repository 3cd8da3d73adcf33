// The parts of `gen build` that need no compiler: clang's depfile syntax,
// the architecture names, the stamp's verdicts, and argument errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseDepfile } from "../../src/gen/build/depfile.js";
import { archNames } from "../../src/gen/build/arch.js";
import { hashFiles, outOfDateReason, readStamp, writeStamp } from "../../src/gen/build/stamp.js";
import { InvalidArgumentError } from "../../src/sys/errors.js";

test("parseDepfile: continuations, escaped spaces and $$, paths resolved against the compiler's directory", () => {
  const text = ".x.bpf.o.123.tmp: probe.bpf.c /usr/include/bpf/bpf_helpers.h \\\n  my\\ dir/a\\#b.h cost$$.h \\\n  ../up.h\n\nother: rule.h\n";
  assert.deepEqual(parseDepfile(text, "/src/proj"), [
    "/src/proj/probe.bpf.c", "/usr/include/bpf/bpf_helpers.h", "/src/proj/my dir/a#b.h", "/src/proj/cost$.h", "/src/up.h",
  ]);
  assert.deepEqual(parseDepfile("C:/weird:name.o: a.h a.h\n", "/p"), ["/p/a.h"]);
  assert.deepEqual(parseDepfile("", "/p"), []);
});

test("archNames maps Node's architectures to the kernel's names, and refuses unknown ones", () => {
  assert.equal(archNames("x64").kernel, "x86");
  assert.equal(archNames("arm64").kernel, "arm64");
  assert.equal(archNames("arm64").triplet, "aarch64-linux-gnu");
  assert.equal(archNames("ppc64").kernel, "powerpc");
  assert.equal(archNames("s390x").kernel, "s390");
  assert.equal(archNames("riscv64").kernel, "riscv");
  assert.throws(() => archNames("pdp11"), InvalidArgumentError);
});

test("stamps: current only when recipe, compiler, inputs and outputs all match", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-stamp-"));
  try {
    const input = path.join(dir, "a.h");
    const output = path.join(dir, "a.o");
    const stampFile = path.join(dir, "a.bpf.stamp");
    writeFileSync(input, "one");
    writeFileSync(output, "obj");
    assert.equal(outOfDateReason(readStamp(stampFile), "r", "c"), "no previous build");
    writeStamp(stampFile, { recipe: "r", clang: "c", clangVersion: "v", inputs: hashFiles([input]), outputs: hashFiles([output]) });
    const stamp = readStamp(stampFile);
    assert.equal(outOfDateReason(stamp, "r", "c"), undefined);
    assert.equal(outOfDateReason(stamp, "r2", "c"), "the flags, paths or options changed");
    assert.equal(outOfDateReason(stamp, "r", "c2"), "the compiler changed");
    writeFileSync(input, "two");
    assert.equal(outOfDateReason(stamp, "r", "c"), `${input} changed`);
    writeFileSync(input, "one");
    rmSync(output);
    assert.equal(outOfDateReason(stamp, "r", "c"), `${output} is missing or was modified`);
    writeFileSync(stampFile, "{ not json");
    assert.equal(readStamp(stampFile), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("buildObject: a missing source is NotFoundError and a bad name InvalidArgumentError, before any tool is looked for", async () => {
  const { buildObject } = await import("../../src/gen/build/index.js");
  const { NotFoundError } = await import("../../src/sys/errors.js");
  const env = { PATH: "/nonexistent" };
  await assert.rejects(buildObject("/nonexistent/x.bpf.c", { env }), (e: unknown) => e instanceof NotFoundError && /\/nonexistent\/x\.bpf\.c does not exist/.test(e.message));
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-build-args-"));
  try {
    writeFileSync(path.join(dir, "x.bpf.c"), "");
    await assert.rejects(buildObject(path.join(dir, "x.bpf.c"), { env, name: "a/b" }), (e: unknown) => e instanceof InvalidArgumentError && e.field === "name");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
