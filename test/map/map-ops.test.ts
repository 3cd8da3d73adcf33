// Element operations, iteration and batches on hash-like and array maps.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BpfMap,
  MapType,
  MapFlags,
  UpdateFlags,
  KeyNotFoundError,
  KeyExistsError,
  NoSpaceError,
  InvalidArgumentError,
  possibleCpuCount,
} from "../../src/index.js";
import { hex, readU32, readU64, u32, u64 } from "./map-helpers.js";
import { skipFor } from "../util/environment.js";

test("hash map: update, lookup, flags, delete", () => {
  using m = BpfMap.create({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 4, name: "ops_hash" });
  m.update(u32(1), u64(100));
  assert.equal(readU64(m.lookup(u32(1))), 100n);
  assert.equal(m.tryLookup(u32(2)), undefined);
  assert.throws(() => m.lookup(u32(2)), KeyNotFoundError);
  assert.throws(() => m.update(u32(1), u64(5), UpdateFlags.NOEXIST), KeyExistsError);
  assert.throws(() => m.update(u32(2), u64(5), UpdateFlags.EXIST), KeyNotFoundError);
  m.update(u32(1), u64(7), UpdateFlags.EXIST);
  const out = new Uint8Array(8);
  assert.equal(m.lookupInto(u32(1), out), true);
  assert.equal(readU64(out), 7n);
  assert.equal(m.lookupInto(u32(9), out), false);
  // Any ArrayBufferView works as key and value.
  m.update(new Uint32Array([3]), new BigUint64Array([33n]));
  assert.equal(readU64(m.lookup(new DataView(u32(3).buffer))), 33n);
  m.update(u32(4), u64(4));
  m.update(u32(5), u64(5));
  assert.throws(() => m.update(u32(6), u64(6)), NoSpaceError);
  m.delete(u32(5));
  assert.throws(() => m.delete(u32(5)), KeyNotFoundError);
  assert.equal(m.tryDelete(u32(5)), false);
  assert.equal(readU64(m.lookupAndDelete(u32(4))), 4n);
  assert.equal(m.tryLookup(u32(4)), undefined);
});

test("array map: every index exists, out of range is rejected", () => {
  using m = BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 8 });
  assert.equal(readU32(m.lookup(u32(7))), 0);
  m.update(u32(7), u32(77));
  assert.equal(readU32(m.lookup(u32(7))), 77);
  assert.throws(() => m.lookup(u32(8)), KeyNotFoundError);
  assert.throws(() => m.update(u32(8), u32(1)), (e) => e instanceof InvalidArgumentError && e.field === "key");
  assert.throws(() => m.update(u32(1), u32(1), UpdateFlags.NOEXIST), KeyExistsError);
  const keys = [...m.keys()].map((k) => readU32(k));
  assert.deepEqual(keys, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(readU32(m.nextKey() ?? new Uint8Array(4).fill(0xff)), 0);
  assert.equal(readU32(m.nextKey(u32(3)) ?? new Uint8Array(4)), 4);
  assert.equal(m.nextKey(u32(7)), undefined);
});

test("hash map iteration is complete and survives deleting every key on the way", () => {
  using m = BpfMap.create({ type: MapType.Hash, keySize: 4, valueSize: 4, maxEntries: 1000 });
  for (let i = 0; i < 1000; i++) m.update(u32(i), u32(i * 3));
  const seen = new Set<number>();
  for (const [k, v] of m.entries()) {
    const key = readU32(k);
    assert.equal(readU32(v), key * 3);
    assert.ok(!seen.has(key), `key ${key} surfaced twice`);
    seen.add(key);
  }
  assert.equal(seen.size, 1000);
  // Deleting the key just received must not restart or repeat the walk.
  const deleted: number[] = [];
  for (const k of m.keys()) {
    m.delete(k);
    deleted.push(readU32(k));
  }
  assert.equal(deleted.length, 1000);
  assert.equal(new Set(deleted).size, 1000);
  assert.equal(m.nextKey(), undefined);
});

test("hash map iteration with someone else deleting ahead of the cursor has no duplicates", () => {
  using m = BpfMap.create({ type: MapType.Hash, keySize: 4, valueSize: 4, maxEntries: 256 });
  for (let i = 0; i < 256; i++) m.update(u32(i), u32(i));
  const seen: number[] = [];
  let step = 0;
  for (const k of m.keys()) {
    seen.push(readU32(k));
    // Delete the key the iterator will continue from: the kernel restarts the walk.
    if (step++ % 3 === 0) {
      const ahead = m.nextKey(k);
      if (ahead) m.tryDelete(ahead);
    }
  }
  assert.equal(new Set(seen).size, seen.length, "no key surfaced twice");
  const remaining = [...m.keys()].map((k) => readU32(k));
  for (const r of remaining) assert.ok(seen.includes(r), `surviving key ${r} was missed`);
});

test("batch lookup/update/delete agree with single-element operations", (t) => {
  using m = BpfMap.create({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 512 });
  const n = 300;
  const keys = new Uint32Array(n);
  const values = new BigUint64Array(n);
  for (let i = 0; i < n; i++) {
    keys[i] = i * 7 + 1;
    values[i] = BigInt(i) * 1000n;
  }
  try {
    assert.equal(m.updateBatch(keys, values), n);
  } catch (e) {
    if ((e as Error).name === "NotSupportedError") return skipFor(t, "kernel older than", { linux: "5.6", feature: "BPF_MAP_UPDATE_BATCH" });
    throw e;
  }
  const single = new globalThis.Map<string, string>();
  for (const [k, v] of m.entries()) single.set(hex(k), hex(v));
  assert.equal(single.size, n);
  // Small batches so the cursor is exercised.
  const cursor = m.batchCursor();
  const kb = new Uint8Array(64 * 4);
  const vb = new Uint8Array(64 * 8);
  const batched = new globalThis.Map<string, string>();
  let calls = 0;
  while (!cursor.done) {
    const got = m.lookupBatch(cursor, kb, vb);
    calls++;
    for (let i = 0; i < got; i++) batched.set(hex(kb.subarray(i * 4, i * 4 + 4)), hex(vb.subarray(i * 8, i * 8 + 8)));
  }
  assert.ok(calls > 1);
  assert.deepEqual(batched, single);
  const viaIterator = new globalThis.Map([...m.batchEntries({ batchSize: 1 })].map(([k, v]) => [hex(k), hex(v)]));
  assert.deepEqual(viaIterator, single);
  // Delete half by batch, then lookup-and-delete the rest by batch.
  assert.equal(m.deleteBatch(keys.subarray(0, 150)), 150);
  assert.equal([...m.keys()].length, 150);
  const c2 = m.batchCursor();
  const allK = new Uint8Array(512 * 4);
  const allV = new Uint8Array(512 * 8);
  let drained = 0;
  while (!c2.done) drained += m.lookupAndDeleteBatch(c2, allK.subarray(drained * 4), allV.subarray(drained * 8));
  assert.equal(drained, 150);
  assert.equal(m.nextKey(), undefined);
  assert.throws(() => m.deleteBatch(u32(1)), KeyNotFoundError);
});

test("array batch lookup covers every index", () => {
  using m = BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 10 });
  const keys = new Uint32Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  m.updateBatch(keys, keys.map((k) => k * k));
  const all = [...m.batchEntries({ batchSize: 3 })];
  assert.deepEqual(all.map(([k, v]) => [readU32(k), readU32(v)]), [...keys].map((k) => [k, k * k]));
});

test("per-CPU maps hold one value per possible CPU", () => {
  const cpus = possibleCpuCount();
  for (const type of [MapType.PercpuHash, MapType.PercpuArray, MapType.LruPercpuHash]) {
    using m = BpfMap.create({ type, keySize: 4, valueSize: 4, maxEntries: 8 });
    assert.equal(m.cpus, cpus);
    assert.equal(m.valueBufferSize, 8 * cpus, "each CPU's 4-byte value is padded to 8");
    const perCpu = Array.from({ length: cpus }, (_, c) => u32(1000 + c));
    m.update(u32(2), perCpu);
    const back = m.lookupPerCpu(u32(2));
    assert.deepEqual(back.map((v) => readU32(v)), perCpu.map((v) => readU32(v)));
    const flat = m.lookup(u32(2));
    assert.equal(flat.byteLength, 8 * cpus);
    for (let c = 0; c < cpus; c++) assert.equal(readU32(flat, c * 8), 1000 + c);
    // The flat form is accepted too.
    const flatIn = new Uint8Array(8 * cpus);
    for (let c = 0; c < cpus; c++) new DataView(flatIn.buffer).setUint32(c * 8, 5 + c, true);
    m.update(u32(3), flatIn);
    assert.deepEqual(m.lookupPerCpu(u32(3)).map((v) => readU32(v)), Array.from({ length: cpus }, (_, c) => 5 + c));
    assert.throws(() => m.update(u32(3), Array.from({ length: cpus + 1 }, () => u32(1))), InvalidArgumentError);
    // Batch values are per-CPU too.
    const vals = new Uint8Array(9 * 8 * cpus);
    const keys = new Uint8Array(9 * 4);
    const cur = m.batchCursor();
    let n = 0;
    while (!cur.done) n += m.lookupBatch(cur, keys.subarray(n * 4), vals.subarray(n * 8 * cpus));
    assert.equal(n, type === MapType.PercpuArray ? 8 : 2);
  }
});

test("LRU hash evicts the least recently used element when full", () => {
  // The common LRU list: with NO_COMMON_LRU each CPU evicts only from its own list, so which keys survive depends on scheduling.
  using m = BpfMap.create({ type: MapType.LruHash, keySize: 4, valueSize: 4, maxEntries: 64 });
  for (let i = 0; i < 1000; i++) m.update(u32(i), u32(i));
  const keys = [...m.keys()].map((k) => readU32(k));
  assert.ok(keys.length <= 64, `LRU kept ${keys.length} > max_entries elements`);
  assert.ok(keys.length > 0);
  assert.notEqual(m.tryLookup(u32(999)), undefined, "the newest element is present");
  assert.equal(m.tryLookup(u32(0)), undefined, "the oldest element was evicted");
});

test("LPM trie returns the longest matching prefix", () => {
  // key: u32 prefixlen + 4 bytes of IPv4 address.
  const key = (len: number, a: number, b: number, c: number, d: number) => {
    const k = new Uint8Array(8);
    new DataView(k.buffer).setUint32(0, len, true);
    k.set([a, b, c, d], 4);
    return k;
  };
  using m = BpfMap.create({ type: MapType.LpmTrie, keySize: 8, valueSize: 4, maxEntries: 16, flags: MapFlags.NO_PREALLOC });
  m.update(key(8, 10, 0, 0, 0), u32(8));
  m.update(key(16, 10, 1, 0, 0), u32(16));
  m.update(key(24, 10, 1, 2, 0), u32(24));
  assert.equal(readU32(m.lookup(key(32, 10, 1, 2, 3))), 24);
  assert.equal(readU32(m.lookup(key(32, 10, 1, 9, 9))), 16);
  assert.equal(readU32(m.lookup(key(32, 10, 200, 0, 1))), 8);
  assert.equal(m.tryLookup(key(32, 11, 0, 0, 0)), undefined);
  assert.equal([...m.keys()].length, 3);
  m.delete(key(16, 10, 1, 0, 0));
  assert.equal(readU32(m.lookup(key(32, 10, 1, 9, 9))), 8);
});

test("freeze makes a map read-only for user space", async () => {
  const { PermissionError } = await import("../../src/index.js");
  using m = BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 1 });
  m.update(u32(0), u32(42));
  assert.equal(m.info().frozen, false);
  m.freeze();
  assert.equal(m.info().frozen, true);
  assert.throws(() => m.update(u32(0), u32(1)), PermissionError);
  assert.equal(readU32(m.lookup(u32(0))), 42);
});

test("lookupInto and update allocate nothing per call (no scavenge in 1M calls)", async () => {
  const { execFileSync } = await import("node:child_process");
  const indexUrl = new URL("../../src/index.js", import.meta.url).href;
  // In a child with --trace-gc: any per-call allocation (even a 4-byte view)
  // would fill the young generation many times over in a million calls.
  const out = execFileSync(process.execPath, ["--trace-gc", "--input-type=module", "-e", `
    import { Map, MapType } from ${JSON.stringify(indexUrl)};
    const m = Map.create({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 256 });
    const k = new Uint8Array(4), v = new Uint8Array(8), out = new Uint8Array(8);
    const run = (n) => { for (let i = 0; i < n; i++) { k[0] = i & 255; m.update(k, v); m.lookupInto(k, out); } };
    run(100000);
    console.log("START");
    run(500000);
    console.log("END");
    m.close();
  `], { encoding: "utf8" });
  const region = out.slice(out.indexOf("START"), out.indexOf("END"));
  const scavenges = region.split("\n").filter((l) => /Scavenge|Mark-Compact/.test(l)).length;
  assert.ok(out.includes("END"));
  assert.ok(scavenges <= 1, `${scavenges} GCs during 1M hot-path calls:\n${region}`);
});
