// TypedMap on the real kernel: the typed fixture's program fills a hash map
// (struct key → struct value with a char array, a nested struct, bitfields
// and 64-bit members), an array, a per-CPU array, an LRU hash (u64 keys
// beyond 2^53) and a queue; what the typed maps decode must equal what the
// program wrote and what bpftool formats from the same BTF. Values written
// through the typed maps read back identically through bpftool. Batch
// operations, the kernel-BTF path (a map opened by id) and the errors for
// maps without types are checked too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadObjectSpec } from "../../src/object/index.js";
import { Collection } from "../../src/collection.js";
import { BpfMap, MapFlags, MapType, TypedMap } from "../../src/map.js";
import { InvalidArgumentError, KeyNotFoundError } from "../../src/sys/errors.js";
import { possibleCpuCount } from "../../src/sys/cpus.js";
import { BtfError } from "../../src/btf/errors.js";
import { requireOracle } from "../util/environment.js";
import { bpffsTempDir, openFdCount } from "../util/kernel.js";
import { assertSameAsBpftool, bpftoolDump } from "../util/bpftool-formatted.js";

const OBJECT = fileURLToPath(new URL("../../../test/fixtures/typed/typed.bpf.o", import.meta.url));

interface FlowKey { saddr: number; daddr: number; sport: number; dport: number; proto: number }
interface Point { x: number; y: number }
interface Stats { packets: bigint; bytes: bigint; comm: string; where: Point; kind: number; level: number; rest: number; delta: bigint }
interface PcpuCount { count: bigint; last: number }
interface QItem { id: number; name: string }

/** What fill_stats(n) of the fixture writes. */
function stats(n: number): Stats {
  const b = BigInt(n);
  return { packets: b, bytes: b * 1500n + 0x1_0000_0000n, comm: "flow-stat", where: { x: -n, y: n * 3 }, kind: 5, level: 7, rest: 0xabcdef, delta: -1_000_000_000_000n - b };
}

function flowKey(i: number): FlowKey {
  return { saddr: 0x0a00_0000 + i, daddr: 0xc0a8_0001, sport: 1000 + i, dport: 80, proto: 6 };
}

/** The fixture loaded and its fill_maps program run once. */
function filled(): Collection {
  const c = Collection.load(loadObjectSpec(OBJECT));
  try {
    assert.equal(c.program("fill_maps").testRun({ data: new Uint8Array(64) }).retval, 0);
    return c;
  } catch (e) {
    c.close();
    throw e;
  }
}

const byKey = <K, V>(entries: Iterable<[K, V]>, key: (k: K) => string): Map<string, V> => new Map([...entries].map(([k, v]) => [key(k), v]));

test("hash map: struct keys and values decode as the program wrote them and as bpftool shows them", (t) => {
  using c = filled();
  const flows = c.typedMap<FlowKey, Stats>("flows");
  assert.equal(flows.key!.name, "struct flow_key");
  assert.equal(flows.value.name, "struct stats");
  for (const i of [1, 2, 3]) assert.deepEqual(flows.lookup(flowKey(i)), stats(i));
  assert.equal(flows.tryLookup(flowKey(9)), undefined);
  assert.throws(() => flows.lookup(flowKey(9)), KeyNotFoundError);
  const entries = byKey(flows.entries(), (k) => String(k.sport));
  assert.deepEqual([...entries.keys()].sort(), ["1001", "1002", "1003"]);
  assert.deepEqual([...flows.keys()].map((k) => k.sport).sort(), [1001, 1002, 1003]);
  if (!requireOracle(t, "bpftool")) return;
  const oracle = bpftoolDump(flows.map.info().id);
  assert.equal(oracle.length, 3);
  for (const e of oracle) {
    const key = e.key as { sport: number };
    assertSameAsBpftool(flows.value, flows.lookup(flowKey(key.sport - 1000)), e.value, `flows[${key.sport}]`);
    assertSameAsBpftool(flows.key!, flowKey(key.sport - 1000), e.key, "key");
  }
});

test("values written through a typed map read back identically with bpftool", (t) => {
  using c = filled();
  const flows = c.typedMap<FlowKey, Stats>("flows");
  const key: FlowKey = { saddr: 0xffff_ffff, daddr: 1, sport: 0xffff, dport: 0, proto: 255 };
  const value: Stats = {
    packets: 2n ** 64n - 1n, bytes: 2n ** 53n + 1n, comm: "fifteen-chars!!", where: { x: -(2 ** 31), y: 32767 },
    kind: 7, level: 31, rest: 0xff_ffff, delta: -(2n ** 63n),
  };
  flows.update(key, value);
  assert.deepEqual(flows.lookup(key), value);
  // A value that does not fit is refused before anything is written.
  assert.throws(() => flows.update(key, { ...value, kind: 8 }), InvalidArgumentError);
  assert.throws(() => flows.update(key, { ...value, comm: "a string longer than sixteen" }), InvalidArgumentError);
  assert.deepEqual(flows.lookup(key), value);
  if (!requireOracle(t, "bpftool")) return;
  const e = bpftoolDump(flows.map.info().id).find((x) => (x.key as { sport: number }).sport === 0xffff);
  assert.ok(e);
  assertSameAsBpftool(flows.value, value, e.value);
  assertSameAsBpftool(flows.key!, key, e.key, "key");
  assert.equal(flows.tryDelete(key), true);
  assert.equal(flows.tryDelete(key), false);
});

test("array and LRU hash: u32 and u64 keys, 64-bit keys beyond 2^53 as bigints", (t) => {
  using c = filled();
  const slots = c.typedMap<number, Stats>("slots");
  assert.deepEqual(slots.lookup(2), stats(2));
  assert.deepEqual([...slots.keys()], [0, 1, 2, 3]);
  const recent = c.typedMap<bigint, Point>("recent");
  const base = 0xfeed_face_0000_0000n;
  assert.deepEqual(byKey(recent.entries(), String), new Map([1, 2, 3].map((i) => [String(base + BigInt(i)), { x: i * 100, y: -i }])));
  // Either spelling of a key that fits: the encoder takes a number for a bigint field.
  c.typedMap<number | bigint, Point>("recent").update(5, { x: 1, y: 2 });
  assert.deepEqual(recent.lookup(5n), { x: 1, y: 2 });
  if (!requireOracle(t, "bpftool")) return;
  for (const e of bpftoolDump(recent.map.info().id)) assertSameAsBpftool(recent.value, recent.lookup(BigInt(e.key as string | number)), e.value);
  for (const e of bpftoolDump(slots.map.info().id)) assertSameAsBpftool(slots.value, slots.lookup(e.key as number), e.value);
});

test("per-CPU array: one value per possible CPU, as bpftool lists them", (t) => {
  using c = filled();
  const perCpu = c.typedMap<number, PcpuCount, PcpuCount[]>("per_cpu");
  assert.equal(perCpu.perCpu, true);
  const values = perCpu.lookup(0);
  assert.equal(values.length, possibleCpuCount());
  // test_run ran the program once, on one CPU: that CPU counted 1, with last = cpu + 100.
  const ran = values.filter((v) => v.count === 1n);
  assert.equal(ran.length, 1);
  assert.equal(ran[0]!.last, values.indexOf(ran[0]!) + 100);
  assert.deepEqual(perCpu.lookupPerCpu(0), values);
  const written = values.map((_, cpu) => ({ count: BigInt(cpu) << 40n, last: cpu }));
  perCpu.update(1, written);
  assert.deepEqual(perCpu.lookup(1), written);
  assert.throws(() => perCpu.update(1, written.slice(1)), InvalidArgumentError);
  if (!requireOracle(t, "bpftool")) return;
  for (const e of bpftoolDump(perCpu.map.info().id)) {
    const mine = perCpu.lookup(e.key as number);
    for (const { cpu, value } of e.values!) assertSameAsBpftool(perCpu.value, mine[cpu], value, `per_cpu[${String(e.key)}] cpu ${cpu}`);
  }
});

test("queue: pop and peek decode the program's pushes in FIFO order; push encodes", () => {
  using c = filled();
  const items = c.typedMap<never, QItem>("items");
  assert.equal(items.key, undefined);
  assert.deepEqual(items.peek(), { id: 1, name: "item-1" });
  assert.deepEqual([items.pop(), items.pop(), items.pop(), items.pop()], [
    { id: 1, name: "item-1" }, { id: 2, name: "item-2" }, { id: 3, name: "item-3" }, undefined,
  ]);
  items.push({ id: 7, name: "eleven-char" });
  assert.deepEqual(items.pop(), { id: 7, name: "eleven-char" });
  assert.throws(() => items.push({ id: 7, name: "thirteen-char" }), InvalidArgumentError);
});

test("batch: entriesBatch equals entries; updateBatch and deleteBatch write and remove what they are given", () => {
  using c = filled();
  const flows = c.typedMap<FlowKey, Stats>("flows");
  const key = (k: FlowKey): string => JSON.stringify(k);
  assert.deepEqual(byKey(flows.entriesBatch({ batchSize: 1 }), key), byKey(flows.entries(), key));
  const added = [10, 11, 12, 13, 14].map((i) => [flowKey(i), stats(i)] as const);
  assert.equal(flows.updateBatch(added), 5);
  for (const [k, v] of added) assert.deepEqual(flows.lookup(k), v);
  assert.equal(byKey(flows.entriesBatch(), key).size, 8);
  assert.equal(flows.deleteBatch(added.map(([k]) => k)), 5);
  assert.equal(byKey(flows.entriesBatch(), key).size, 3);
  // Per-CPU values through the batch buffers.
  const perCpu = c.typedMap<number, PcpuCount, PcpuCount[]>("per_cpu");
  assert.deepEqual(byKey(perCpu.entriesBatch(), String), byKey(perCpu.entries(), String));
  const slots = c.typedMap<number, Stats>("slots");
  slots.updateBatch([[3, stats(30)]]);
  assert.deepEqual(slots.lookup(3), stats(30));
});

test("batch on a map type without batch commands (LPM trie) falls back to one element at a time", () => {
  using c = filled();
  using trie = BpfMap.create({ type: MapType.LpmTrie, keySize: 8, valueSize: 4, maxEntries: 8, flags: MapFlags.NO_PREALLOC, name: "tsbpf_lpm" });
  // Key: { u32 prefixlen; u8 addr[4] } read as one little-endian u64 (prefix length in the low half).
  const typed = trie.typed<bigint, number>({ btf: c.btf!, keyType: "__u64", valueType: "__u32" });
  const key = (addr: number, prefix: number): bigint => (BigInt(addr) << 32n) | BigInt(prefix);
  const entries = [[key(0x0100_000a, 32), 1], [key(0x0000_a8c0, 16), 2]] as const;
  assert.equal(typed.updateBatch(entries), 2);
  assert.deepEqual(new Map(typed.entriesBatch()), new Map(entries));
  assert.equal(typed.deleteBatch([entries[0][0]]), 1);
  assert.deepEqual([...typed.entriesBatch()], [entries[1]]);
});

test("a map opened by id gets its types from the kernel's BTF", () => {
  using c = filled();
  const id = c.map("flows").info().id;
  using byId = TypedMap.fromId<FlowKey, Stats>(id);
  assert.equal(byId.value.name, "struct stats");
  assert.deepEqual(byId.lookup(flowKey(2)), stats(2));
  using raw = BpfMap.fromId(id);
  assert.deepEqual(raw.typed<FlowKey, Stats>().lookup(flowKey(3)), stats(3));
});

test("a map without BTF types: a clear error, or the types passed explicitly", () => {
  using c = filled();
  using plain = BpfMap.create({ type: MapType.Hash, keySize: 16, valueSize: 56, maxEntries: 4, name: "tsbpf_untyped" });
  assert.throws(() => plain.typed(), (e: unknown) => e instanceof InvalidArgumentError && /created without BTF/.test(e.message) && /keyType/.test(e.message));
  const typed = plain.typed<FlowKey, Stats>({ btf: c.btf!, keyType: "struct flow_key", valueType: "struct stats" });
  typed.update(flowKey(1), stats(1));
  assert.deepEqual(typed.lookup(flowKey(1)), stats(1));
  // A type whose size is not the map's is refused.
  assert.throws(() => plain.typed({ btf: c.btf!, keyType: "struct point", valueType: "struct stats" }), (e: unknown) => e instanceof InvalidArgumentError && /8 bytes/.test(e.message));
});

test("TypedMap.openPinned owns the map it opens; typing errors close it again", () => {
  using c = filled();
  const dir = bpffsTempDir();
  try {
    c.map("flows").pin(`${dir.path}/flows`);
    const before = openFdCount();
    const typed = TypedMap.openPinned<FlowKey, Stats>(`${dir.path}/flows`, { mode: "read-only" });
    assert.deepEqual(typed.lookup(flowKey(1)), stats(1));
    typed.close();
    assert.equal(typed.map.fd.closed, true);
    assert.equal(openFdCount(), before);
    assert.throws(() => TypedMap.openPinned(`${dir.path}/flows`, { valueType: "struct nope" }), BtfError);
    assert.equal(openFdCount(), before);
  } finally {
    dir.cleanup();
  }
});

test("maps that hold events or globals say what reads them instead", () => {
  using c = filled();
  assert.throws(() => c.typedMap("ring"), (e: unknown) => e instanceof InvalidArgumentError && /collection\.ringBuffer/.test(e.message));
  assert.throws(() => c.typedMap("perf"), (e: unknown) => e instanceof InvalidArgumentError && /collection\.perfBuffer/.test(e.message));
  assert.throws(() => c.typedMap(".bss"), (e: unknown) => e instanceof InvalidArgumentError && /collection\.variable/.test(e.message));
  // A queue's types exist only in the object: the kernel never had them.
  using byId = BpfMap.fromId(c.map("items").info().id);
  assert.throws(() => byId.typed(), (e: unknown) => e instanceof InvalidArgumentError && /created without BTF/.test(e.message));
});
