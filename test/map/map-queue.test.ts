// Key-less maps: queue (FIFO), stack (LIFO), bloom filter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BpfMap, MapType, UpdateFlags, NoSpaceError, InvalidArgumentError, NotSupportedError } from "../../src/index.js";
import { readU32, u32 } from "./map-helpers.js";

test("queue is FIFO, peek does not remove, full queue needs EXIST to overwrite", () => {
  using q = BpfMap.create({ type: MapType.Queue, keySize: 0, valueSize: 4, maxEntries: 3, name: "q" });
  assert.equal(q.pop(), undefined);
  assert.equal(q.peek(), undefined);
  for (const v of [1, 2, 3]) q.push(u32(v));
  assert.throws(() => q.push(u32(4)), NoSpaceError);
  q.push(u32(4), UpdateFlags.EXIST); // drops the oldest (1)
  assert.equal(readU32(q.peek() ?? u32(0)), 2);
  const out: number[] = [];
  for (let v = q.pop(); v !== undefined; v = q.pop()) out.push(readU32(v));
  assert.deepEqual(out, [2, 3, 4]);
  assert.throws(() => q.push(new Uint8Array(3)), InvalidArgumentError);
  // Queues have no batch operations.
  assert.throws(() => q.lookupBatch(q.batchCursor(), new Uint8Array(0), new Uint8Array(4)), NotSupportedError);
});

test("stack is LIFO", () => {
  using s = BpfMap.create({ type: MapType.Stack, keySize: 0, valueSize: 4, maxEntries: 8 });
  for (const v of [10, 20, 30]) s.push(u32(v));
  assert.equal(readU32(s.peek() ?? u32(0)), 30);
  assert.deepEqual([s.pop(), s.pop(), s.pop(), s.pop()].map((v) => (v === undefined ? undefined : readU32(v))), [30, 20, 10, undefined]);
});

test("bloom filter: pushed values are reported present, absent ones mostly absent", () => {
  // map_extra low 4 bits: number of hash functions.
  using b = BpfMap.create({ type: MapType.BloomFilter, keySize: 0, valueSize: 4, maxEntries: 1000, mapExtra: 3n });
  for (let i = 0; i < 100; i++) b.push(u32(i * 2));
  for (let i = 0; i < 100; i++) assert.equal(b.mayContain(u32(i * 2)), true, `pushed value ${i * 2} must be present`);
  let falsePositives = 0;
  for (let i = 0; i < 100; i++) if (b.mayContain(u32(100_000 + i))) falsePositives++;
  assert.ok(falsePositives < 20, `${falsePositives}% false positives`);
  assert.equal(b.info().mapExtra, 3n);
  // Bloom filters cannot delete or pop.
  assert.throws(() => b.pop(), NotSupportedError);
});
