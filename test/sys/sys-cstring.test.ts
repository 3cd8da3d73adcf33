import { test } from "node:test";
import assert from "node:assert/strict";
import { cString, readCString } from "../../src/sys/cstring.js";
import { addressOf } from "../../src/sys/attr.js";

test("readCString stops at the first NUL", () => {
  const bytes = new Uint8Array([0x61, 0x62, 0, 0x63, 0]);
  assert.equal(readCString(bytes), "ab");
  assert.equal(readCString(bytes, 3), "c");
});

test("readCString takes a full field without a NUL, and no more", () => {
  // A 16-byte char[16] with all 16 bytes used, followed by unrelated bytes.
  const bytes = new Uint8Array(20).fill(0x78);
  assert.equal(readCString(bytes, 2, 16), "x".repeat(16));
  assert.equal(readCString(bytes), "x".repeat(20));
  assert.equal(readCString(new Uint8Array(0)), "");
});

test("readCString decodes UTF-8", () => {
  const bytes = new Uint8Array(32);
  bytes.set(new TextEncoder().encode("héllo"), 4);
  assert.equal(readCString(bytes, 4, 16), "héllo");
});

test("cString is NUL-terminated UTF-8 at a fixed address", () => {
  const b = cString("/sys/fs/bpf/é");
  const text = new TextEncoder().encode("/sys/fs/bpf/é");
  assert.equal(b.length, text.length + 1);
  assert.deepEqual(b.subarray(0, text.length), text);
  assert.equal(b[text.length], 0);
  assert.equal(addressOf(b), addressOf(b));
  assert.equal(readCString(b), "/sys/fs/bpf/é");
  assert.deepEqual([...cString("")], [0]);
});
