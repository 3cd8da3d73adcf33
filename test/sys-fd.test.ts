import { test } from "node:test";
import assert from "node:assert/strict";
import { openSync } from "node:fs";
import { FD, ClosedError } from "../src/index.js";

test("FD closes once and rejects use after close", () => {
  const fd = new FD(openSync("/dev/null", "r"), "test fd");
  const raw = fd.raw;
  assert.ok(raw >= 0);
  fd.close();
  fd.close();
  assert.equal(fd.closed, true);
  assert.throws(() => fd.raw, ClosedError);
});

test("FD works with using", () => {
  let seen: FD | undefined;
  {
    using fd = new FD(openSync("/dev/null", "r"));
    seen = fd;
    assert.equal(fd.closed, false);
  }
  assert.equal(seen.closed, true);
});

test("FD.dup gives an independent descriptor", () => {
  using a = new FD(openSync("/dev/null", "r"));
  using b = a.dup();
  assert.notEqual(a.raw, b.raw);
});
