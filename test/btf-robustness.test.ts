// Regression tests for malformed or hostile inputs found by fuzzing and by
// probing the API: each input here once crashed, hung or exhausted memory.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseKernelBtf } from "../src/btf/index.js";

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
