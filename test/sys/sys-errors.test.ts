// The sys layer's own failures are typed: a bad CPU list or a layout that does
// not fit is an InvalidArgumentError naming the argument, never a bare Error.
import { test } from "node:test";
import assert from "node:assert/strict";
import { defineLayout, InvalidArgumentError, parseCpuList } from "../../src/sys/index.js";

test("parseCpuList reads ranges and refuses what is not a CPU list", () => {
  assert.deepEqual(parseCpuList("0-3,5,7-8\n"), [0, 1, 2, 3, 5, 7, 8]);
  for (const bad of ["3-1", "a", "0-x"]) {
    assert.throws(() => parseCpuList(bad), (e) => e instanceof InvalidArgumentError && e.field === "text");
  }
});

test("defineLayout refuses a field past the struct's size", () => {
  assert.throws(() => defineLayout("tiny", 4, { wide: { offset: 0, size: 8 } }),
    (e) => e instanceof InvalidArgumentError && e.field === "wide");
});
