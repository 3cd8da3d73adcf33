// Regression tests for malformed or hostile inputs found by fuzzing and by
// probing the API: each input here once crashed, hung or exhausted memory.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BtfError, loadBtfFile, parseKernelBtf } from "../src/btf/index.js";
import { ElfError } from "../src/elf/errors.js";
import { readElfSections, readRegularFile } from "../src/elf/file.js";
import { loadObjectSpec } from "../src/object/object-spec.js";
import { ObjectError } from "../src/object/errors.js";
import { CLI } from "./util/cli.js";

test("kernel BTF: writing to its bytes, words or strings cannot crash the process (the sysfs mapping is read-only)", () => {
  const btf = parseKernelBtf();
  const task = btf.typesByName("task_struct");
  btf.bytes.fill(0);
  btf.words.fill(0);
  btf.strings.bytes.fill(0x41);
  // The copies handed out are stable, and parsing still reads the untouched mapping.
  assert.equal(btf.bytes, btf.bytes);
  assert.equal(btf.bytes[0], 0);
  assert.deepEqual(btf.typesByName("task_struct"), task);
  assert.equal(task[0]?.name, "task_struct");
  // A fresh parse is unaffected too.
  assert.equal(Buffer.compare(Buffer.from(parseKernelBtf().bytes), readFileSync("/sys/kernel/btf/vmlinux")), 0);
});

/** Paths that are not regular files: endless, blocking or not files at all. */
function nonRegularInputs(dir: string): { path: string; kind: RegExp }[] {
  const fifo = join(dir, "fifo");
  execFileSync("mkfifo", [fifo]);
  return [
    { path: "/dev/zero", kind: /character device/ },
    { path: fifo, kind: /FIFO/ },
    { path: dir, kind: /directory/ },
  ];
}

test("non-regular files (/dev/zero, a FIFO, a directory) are refused at once with typed errors by every file reader", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-nonregular-"));
  try {
    for (const { path, kind } of nonRegularInputs(dir)) {
      assert.throws(() => loadBtfFile(path), (e) => e instanceof BtfError && kind.test(e.message) && e.message.includes(path));
      assert.throws(() => loadObjectSpec(path), (e) => e instanceof ObjectError && kind.test(e.message));
      assert.throws(() => readElfSections(path, [".BTF"]), (e) => e instanceof ElfError && kind.test(e.message));
      assert.throws(() => readRegularFile(path, (m) => new ElfError(m)), (e) => e instanceof ElfError && kind.test(e.message));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("CLI: btf dump file on /dev/zero or a FIFO fails at once with the reason", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-nonregular-"));
  try {
    for (const { path, kind } of nonRegularInputs(dir)) {
      // The timeout only detects a hang (it used to read /dev/zero until killed).
      const r = spawnSync(process.execPath, [CLI, "btf", "dump", "file", path, "format", "raw"], { encoding: "utf8", timeout: 60_000 });
      assert.equal(r.status, 1, `${path}: ${r.stderr}`);
      assert.match(r.stderr, kind);
      assert.equal(r.stdout, "");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
