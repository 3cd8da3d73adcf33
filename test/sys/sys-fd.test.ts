import { test } from "node:test";
import assert from "node:assert/strict";
import { openSync } from "node:fs";
import { FD, ClosedError, TooBigError, PermissionError } from "../../src/index.js";
import { Attr, stableBytes, addressOf, errorFromErrno } from "../../src/sys/index.js";
import { Cmd, MapCreateAttr } from "../../src/sys/layouts.js";
import { bpfRaw } from "../../src/sys/syscall.js";

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

test("E2BIG names the attr field the kernel does not know", () => {
  const attr = new Attr(MapCreateAttr);
  attr.set("map_type", 2).set("key_size", 4).set("value_size", 4).set("max_entries", 1);
  // A bpf_attr far larger than any kernel's, with a non-zero byte at its end.
  const big = stableBytes(4096);
  big.set(attr.bytes);
  big[4095] = 1;
  const r = bpfRaw(Cmd.MAP_CREATE, addressOf(big), big.byteLength);
  assert.equal(r, -7 /* E2BIG */);
  const err = errorFromErrno(-r, "BPF_MAP_CREATE", "", attr.set("map_token_fd", 5));
  assert.ok(err instanceof TooBigError);
  assert.match(err.message, /'map_token_fd'/);
});

test("EPERM explains which capability or policy is in the way", () => {
  const err = errorFromErrno(1, "BPF_PROG_LOAD");
  assert.ok(err instanceof PermissionError);
  assert.equal(err.code, "PERMISSION");
  // As root every BPF capability is held, so the message must point at a policy instead.
  if (process.getuid?.() === 0) assert.match(err.message, /kernel policy|lacks CAP_/);
});
