// Keeps bench/vm.ts from rotting: each workload runs a few times in the
// kernel (BPF_PROG_TEST_RUN) and in both engines of the machine, and every
// side must return the same value and leave the same packet bytes as the
// kernel, with the same instruction count in both engines (no MISMATCH).
// Durations are measured but never asserted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { measureWorkload } from "../../bench/vm/measure.js";
import { VmBenchObjects, WORKLOADS } from "../../bench/vm/workloads.js";

test("bench/vm: the kernel and both engines agree on every workload's result and packet", () => {
  using objects = new VmBenchObjects(0);
  for (const w of WORKLOADS) {
    const rows = measureWorkload(objects, w, 2, 3);
    assert.deepEqual(rows.map((r) => r.engine), ["kernel", "jit", "interpreter"]);
    for (const r of rows) {
      assert.notEqual(r.verdict, "MISMATCH", `${w.program} ${r.engine}`);
      assert.ok(r.instructions > 0 && r.nsPerRun > 0, `${w.program} ${r.engine}: ${JSON.stringify(r)}`);
    }
  }
});
