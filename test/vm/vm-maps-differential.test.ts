// The emulated maps against the kernel's: the same seeded sequence of
// user-side operations runs on a kernel map (BpfMap.create) and on a VmMap of
// the same spec, and every result must agree — the bytes returned, or the
// error's class, code and message (both sides build messages from the same
// errno the same way, so equal messages mean equal errnos). Hash maps iterate
// in a different order, so for them only "the first key exists" and the
// sorted contents are compared; arrays, LPM tries, queues and stacks must
// agree on order too. Bloom filters use BPF_F_ZERO_SEED, so even their false
// positives must agree. Runs as root on the real kernel.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BpfMap } from "../../src/map.js";
import { MapFlags, MapType, UpdateFlags } from "../../src/map/types.js";
import type { MapSpec } from "../../src/map/spec.js";
import { BpfError } from "../../src/sys/errors.js";
import { possibleCpuCount } from "../../src/sys/cpus.js";
import { ProgramBuilder, R0, R1, R2, R3, R4, R6, R7, R10 } from "../../src/asm/index.js";
import { Program, ProgramType } from "../../src/program.js";
import type { RingBufferVmMap } from "../../src/vm/index.js";
import { AddressSpace, createVmMap, spinLockOffset, VmMap, VmProgram, type VmMapHost, type VmMapOptions } from "../../src/vm/index.js";
import { Random } from "./random-program.js";
import { hex, loadTrivialProgram, perfEventSoftware, u32 } from "../map/map-helpers.js";
import { loadTestBtf, TEST_BTF, testBtfBytes } from "../util/btf-blob.js";
import { Btf } from "../../src/btf/btf.js";

const CPUS = possibleCpuCount();

function host(): VmMapHost {
  return { memory: new AddressSpace(), cpus: CPUS, currentCpu: () => 0 };
}

/** What both kinds of map have, for the operations the test runs. */
type UserMap = BpfMap | VmMap;

/** One operation: a label for failure messages and what it does to a map. */
interface Op {
  readonly label: string;
  run(m: UserMap): unknown;
  /** Compare the error's class, code and errno only (BpfMap explains a refused freeze with the host's privileges). */
  readonly classOnly?: boolean;
}

function show(v: unknown): string {
  if (v === undefined) return "undefined";
  if (v instanceof Uint8Array) return hex(v);
  if (Array.isArray(v)) return `[${v.map(show).join(" ")}]`;
  return String(v);
}

function outcome(m: UserMap, op: Op): string {
  try {
    return show(op.run(m));
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    return op.classOnly ? `${e.name} ${e.code} errno ${e.errno}` : `${e.name} ${e.code}: ${e.message}`;
  }
}

/** Runs `ops` on a kernel map and an emulated map of `spec`; every outcome must match. Returns the outcomes. */
function compare(spec: MapSpec, ops: readonly Op[], options: VmMapOptions = {}): string[] {
  const kernel = BpfMap.create(spec);
  const vm = createVmMap(spec, host(), options);
  try {
    return ops.map((op, i) => {
      const want = outcome(kernel, op);
      const got = outcome(vm, op);
      assert.equal(got, want, `${spec.name} op ${i} (${op.label})`);
      return want;
    });
  } finally {
    kernel.close();
    vm.close();
  }
}

/** The random operations reached each of these outcomes at least once (full maps, flag conflicts …). */
function assertSeen(outcomes: readonly string[], errors: readonly string[]): void {
  for (const name of errors) assert.ok(outcomes.some((o) => o.startsWith(`${name} `)), `some operation ended in ${name}`);
}

function bytes(rnd: Random, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => rnd.below(256));
}

/** Sorted [key, value] hex pairs: the contents, whatever the iteration order. */
const sortedEntries: Op = { label: "sorted entries", run: (m) => [...m.entries()].map(([k, v]) => `${hex(k)}=${hex(v)}`).sort().join(",") };
/** Keys in iteration order (arrays, LPM tries). */
const orderedKeys: Op = { label: "keys in order", run: (m) => [...m.keys()].map(hex).join(",") };
/** Whether the first key is present (hash maps: which key comes first differs). */
const firstKeyExists: Op = {
  label: "first key exists",
  run: (m) => {
    const k = m.nextKey();
    return k === undefined ? "empty" : m.tryLookup(k) !== undefined;
  },
};

function hashOps(rnd: Random, spec: MapSpec, cpus: number, count: number, poolSize = spec.maxEntries + 4): Op[] {
  const pool = Array.from({ length: poolSize }, () => bytes(rnd, spec.keySize));
  const perCpu = spec.type === MapType.PercpuHash || spec.type === MapType.LruPercpuHash;
  const stride = (spec.valueSize + 7) & ~7;
  const flat = perCpu ? stride * cpus : spec.valueSize;
  const ops: Op[] = [];
  for (let i = 0; i < count; i++) {
    const key = rnd.pick(pool);
    const kind = rnd.below(14);
    const flags = rnd.pick([UpdateFlags.ANY, UpdateFlags.ANY, UpdateFlags.NOEXIST, UpdateFlags.EXIST]);
    switch (kind) {
      case 0: case 1: case 2: case 3: {
        const value = bytes(rnd, flat);
        ops.push({ label: `update ${hex(key)} flags ${flags}`, run: (m) => m.update(key, value, flags) });
        break;
      }
      case 4:
        if (perCpu) {
          const values = Array.from({ length: cpus }, () => bytes(rnd, spec.valueSize));
          ops.push({ label: `update per-CPU ${hex(key)}`, run: (m) => m.update(key, values, flags) });
          ops.push({ label: `lookupPerCpu ${hex(key)}`, run: (m) => m.lookupPerCpu(key) });
        } else {
          ops.push({ label: `update flags 3 ${hex(key)}`, run: (m) => m.update(key, bytes(new Random(i), flat), 3) });
        }
        break;
      case 5: ops.push({ label: `lookup ${hex(key)}`, run: (m) => m.lookup(key) }); break;
      case 6: ops.push({ label: `tryLookup ${hex(key)}`, run: (m) => m.tryLookup(key) }); break;
      case 7: ops.push({ label: `lookupInto ${hex(key)}`, run: (m) => { const out = new Uint8Array(flat + 3); return [m.lookupInto(key, out), out]; } }); break;
      case 8: ops.push({ label: `delete ${hex(key)}`, run: (m) => m.delete(key) }); break;
      case 9: ops.push({ label: `tryDelete ${hex(key)}`, run: (m) => m.tryDelete(key) }); break;
      case 10: ops.push({ label: `lookupAndDelete ${hex(key)}`, run: (m) => m.lookupAndDelete(key) }); break;
      case 11: ops.push(firstKeyExists); break;
      case 12: ops.push({ label: "lookup flags 1", run: (m) => m.lookup(key, 1) }); break;
      default: ops.push({ label: "wrong key size", run: (m) => m.lookup(new Uint8Array(spec.keySize + 1)) });
    }
    if (i % 16 === 15) ops.push(sortedEntries);
  }
  ops.push(sortedEntries);
  return ops;
}

// Keys of up to 6 bytes and longer ones are indexed differently by the emulation: both sizes run.
for (const [type, flags, keySize, valueSize] of [
  [MapType.Hash, 0, 6, 8], [MapType.Hash, MapFlags.NO_PREALLOC, 13, 12], [MapType.PercpuHash, 0, 6, 5], [MapType.PercpuHash, MapFlags.NO_PREALLOC, 9, 16],
] as const) {
  test(`vm maps: ${MapType[type]} (flags ${flags}, key ${keySize} bytes, value ${valueSize} bytes) agrees with the kernel's on 600 random operations`, () => {
    const spec: MapSpec = { type, keySize, valueSize, maxEntries: 8, flags, name: "vm_diff" };
    const outcomes: string[] = [];
    for (let seed = 1; seed <= 4; seed++) outcomes.push(...compare(spec, hashOps(new Random(seed * 7919 + type), spec, CPUS, 150)));
    assertSeen(outcomes, ["NoSpaceError", "KeyExistsError", "KeyNotFoundError", "InvalidArgumentError"]);
  });
}

// LRU maps below capacity behave as hash maps. The kernel's LRU lists hand free
// nodes to CPUs in batches and may evict before the map is full when a CPU runs
// dry, so the pool (6 keys) stays far below max_entries (64) and nothing is evicted.
for (const [type, flags] of [[MapType.LruHash, 0], [MapType.LruPercpuHash, 0], [MapType.LruHash, MapFlags.NO_COMMON_LRU]] as const) {
  test(`vm maps: ${MapType[type]} (flags ${flags}) below capacity agrees with the kernel's on 450 random operations`, () => {
    const spec: MapSpec = { type, keySize: 4, valueSize: 12, maxEntries: 64, flags, name: "vm_diff_lru" };
    const outcomes: string[] = [];
    for (let seed = 1; seed <= 3; seed++) outcomes.push(...compare(spec, hashOps(new Random(seed * 17 + type), spec, CPUS, 150, 6)));
    assertSeen(outcomes, ["KeyExistsError", "KeyNotFoundError", "InvalidArgumentError"]);
  });
}

function arrayOps(rnd: Random, spec: MapSpec, cpus: number, count: number): Op[] {
  const perCpu = spec.type === MapType.PercpuArray;
  const stride = (spec.valueSize + 7) & ~7;
  const flat = perCpu ? stride * cpus : spec.valueSize;
  const ops: Op[] = [{ label: "nextKey()", run: (m) => m.nextKey() }];
  for (let i = 0; i < count; i++) {
    const key = u32(rnd.below(spec.maxEntries + 3));
    const flags = rnd.below(5);
    switch (rnd.below(9)) {
      case 0: case 1: case 2: {
        const value = bytes(rnd, flat);
        ops.push({ label: `update ${hex(key)} flags ${flags}`, run: (m) => m.update(key, value, flags) });
        break;
      }
      case 3: ops.push({ label: `lookup ${hex(key)}`, run: (m) => m.lookup(key) }); break;
      case 4: ops.push({ label: `delete ${hex(key)}`, run: (m) => m.delete(key) }); break;
      case 5: ops.push({ label: `nextKey ${hex(key)}`, run: (m) => m.nextKey(key) }); break;
      case 6: ops.push({ label: `lookupAndDelete ${hex(key)}`, run: (m) => m.lookupAndDelete(key) }); break;
      case 7:
        if (perCpu) {
          const values = Array.from({ length: cpus }, () => bytes(rnd, spec.valueSize));
          ops.push({ label: `update per-CPU ${hex(key)}`, run: (m) => m.update(key, values) });
          ops.push({ label: `lookupPerCpu ${hex(key)}`, run: (m) => m.lookupPerCpu(key) });
        } else {
          ops.push({ label: `update with per-CPU values ${hex(key)}`, run: (m) => m.update(key, [bytes(rnd, spec.valueSize)]) });
        }
        break;
      default: ops.push({ label: `lookup flags 4 ${hex(key)}`, run: (m) => m.lookup(key, UpdateFlags.F_LOCK) });
    }
  }
  ops.push(orderedKeys, sortedEntries);
  return ops;
}

for (const [type, valueSize, flags] of [[MapType.Array, 12, 0], [MapType.Array, 8, MapFlags.MMAPABLE], [MapType.PercpuArray, 4, 0]] as const) {
  test(`vm maps: ${MapType[type]} (value ${valueSize} bytes, flags ${flags}) agrees with the kernel's on 300 random operations`, () => {
    const spec: MapSpec = { type, keySize: 4, valueSize, maxEntries: 6, flags, name: "vm_diff_array" };
    const outcomes: string[] = [];
    for (let seed = 1; seed <= 3; seed++) outcomes.push(...compare(spec, arrayOps(new Random(seed * 104729 + type), spec, CPUS, 100)));
    assertSeen(outcomes, ["KeyExistsError", "KeyNotFoundError", "InvalidArgumentError", "NotSupportedError"]);
  });
}

function queueOps(rnd: Random, spec: MapSpec, count: number): Op[] {
  const ops: Op[] = [];
  const none = new Uint8Array(0);
  for (let i = 0; i < count; i++) {
    const value = bytes(rnd, spec.valueSize);
    const flags = rnd.below(4);
    switch (rnd.below(10)) {
      case 0: case 1: case 2: ops.push({ label: `push flags ${flags}`, run: (m) => m.push(value, flags) }); break;
      case 3: ops.push({ label: "update", run: (m) => m.update(none, value) }); break;
      case 4: case 5: ops.push({ label: "pop", run: (m) => m.pop() }); break;
      case 6: ops.push({ label: "peek", run: (m) => m.peek() }); break;
      case 7: ops.push({ label: `lookupAndDelete flags ${flags}`, run: (m) => m.lookupAndDelete(none, flags) }); break;
      case 8: ops.push({ label: "delete", run: (m) => m.delete(none) }); break;
      default: ops.push({ label: "nextKey", run: (m) => m.nextKey() });
    }
  }
  return ops;
}

for (const type of [MapType.Queue, MapType.Stack]) {
  test(`vm maps: ${MapType[type]} agrees with the kernel's on 300 random operations`, () => {
    const spec: MapSpec = { type, keySize: 0, valueSize: 6, maxEntries: 5, name: "vm_diff_queue" };
    const outcomes: string[] = [];
    for (let seed = 1; seed <= 3; seed++) outcomes.push(...compare(spec, queueOps(new Random(seed * 31 + type), spec, 100)));
    assertSeen(outcomes, ["NoSpaceError", "InvalidArgumentError", "KeyNotFoundError"]);
  });
}

test("vm maps: a bloom filter with a zero seed answers exactly as the kernel's (false positives included)", () => {
  for (const [valueSize, mapExtra, maxEntries] of [[4, 0n, 8], [7, 3n, 4], [16, 1n, 2]] as const) {
    const spec: MapSpec = { type: MapType.BloomFilter, keySize: 0, valueSize, maxEntries, flags: MapFlags.ZERO_SEED, mapExtra, name: "vm_diff_bloom" };
    const rnd = new Random(valueSize);
    const pool = Array.from({ length: 400 }, () => bytes(rnd, valueSize));
    const ops: Op[] = [];
    for (const [i, v] of pool.entries()) {
      if (i % 10 === 0) ops.push({ label: `push ${hex(v)}`, run: (m) => m.push(v) });
      ops.push({ label: `mayContain ${hex(v)}`, run: (m) => m.mayContain(v) });
    }
    const none = new Uint8Array(0);
    ops.push(
      { label: "push flags 1", run: (m) => m.push(pool[0] as Uint8Array, UpdateFlags.NOEXIST) },
      { label: "delete", run: (m) => m.delete(none) },
      { label: "nextKey", run: (m) => m.nextKey() },
      { label: "pop", run: (m) => m.pop() },
    );
    compare(spec, ops);
    // Some values never pushed must test positive, or the check above proves little about the hash.
    const vm = createVmMap(spec, host());
    for (const [i, v] of pool.entries()) if (i % 10 === 0) vm.push(v);
    const falsePositives = pool.filter((v, i) => i % 10 !== 0 && vm.mayContain(v)).length;
    vm.close();
    if (maxEntries === 2) assert.ok(falsePositives > 0, `false positives of a 64-bit filter with ${pool.length / 10} values: ${falsePositives}`);
  }
});

function lpmKey(prefixlen: number, data: Uint8Array): Uint8Array {
  const k = new Uint8Array(4 + data.length);
  new DataView(k.buffer).setUint32(0, prefixlen, true);
  k.set(data, 4);
  return k;
}

function lpmOps(rnd: Random, spec: MapSpec, count: number): Op[] {
  const dataBytes = spec.keySize - 4;
  // Few distinct data values, so prefixes nest and collide.
  const bases = Array.from({ length: 4 }, () => bytes(rnd, dataBytes));
  const freshKey = (): Uint8Array => {
    const data = rnd.pick(bases).slice();
    if (rnd.below(3) === 0) data[dataBytes - 1] = rnd.below(256);
    return lpmKey(rnd.below(dataBytes * 8 + 3), data);
  };
  // Mostly keys seen before (so NOEXIST/EXIST meet present keys), some new.
  const pool = Array.from({ length: 16 }, freshKey);
  const randomKey = (): Uint8Array => (rnd.below(4) === 0 ? freshKey() : rnd.pick(pool));
  const ops: Op[] = [];
  for (let i = 0; i < count; i++) {
    const key = randomKey();
    const flags = rnd.below(4);
    switch (rnd.below(8)) {
      case 0: case 1: case 2: {
        const value = bytes(rnd, spec.valueSize);
        ops.push({ label: `update ${hex(key)} flags ${flags}`, run: (m) => m.update(key, value, flags) });
        break;
      }
      case 3: ops.push({ label: `lookup ${hex(key)}`, run: (m) => m.tryLookup(key) }); break;
      case 4: ops.push({ label: `delete ${hex(key)}`, run: (m) => m.tryDelete(key) }); break;
      case 5: ops.push({ label: `nextKey ${hex(key)}`, run: (m) => m.nextKey(key) }); break;
      case 6: ops.push({ label: "nextKey()", run: (m) => m.nextKey() }); break;
      default: ops.push(orderedKeys);
    }
  }
  ops.push(orderedKeys, sortedEntries);
  return ops;
}

test("vm maps: an LPM trie agrees with the kernel's on longest matches, flags, capacity and key order", () => {
  for (const keySize of [8, 6, 20]) {
    const spec: MapSpec = { type: MapType.LpmTrie, keySize, valueSize: 3, maxEntries: 10, flags: MapFlags.NO_PREALLOC, name: "vm_diff_lpm" };
    const outcomes: string[] = [];
    for (let seed = 1; seed <= 3; seed++) outcomes.push(...compare(spec, lpmOps(new Random(seed * 13 + keySize), spec, 150)));
    assertSeen(outcomes, ["NoSpaceError", "KeyExistsError", "KeyNotFoundError", "InvalidArgumentError"]);
  }
});

test("vm maps: element commands on a ring buffer and a perf event array fail as the kernel's", () => {
  const none = new Uint8Array(0);
  compare({ type: MapType.Ringbuf, keySize: 0, valueSize: 0, maxEntries: 4096, name: "vm_diff_rb" }, [
    { label: "lookup", run: (m) => m.lookup(none) },
    { label: "update", run: (m) => m.update(none, none) },
    { label: "delete", run: (m) => m.delete(none) },
    { label: "nextKey", run: (m) => m.nextKey() },
    { label: "pop", run: (m) => m.pop() },
  ]);
  // The machine cannot tell a perf event fd from another, so only real ones are stored here.
  const perf = perfEventSoftware(0);
  try {
    compare({ type: MapType.PerfEventArray, keySize: 4, valueSize: 4, maxEntries: 3, name: "vm_diff_perf" }, [
      { label: "lookup", run: (m) => m.lookup(u32(1)) },
      { label: "delete", run: (m) => m.tryDelete(u32(1)) },
      { label: "delete past the end", run: (m) => m.tryDelete(u32(3)) },
      orderedKeys,
      { label: "update flags 1", run: (m) => m.update(u32(0), perf, 1) },
      { label: "update past the end", run: (m) => m.update(u32(3), perf) },
      { label: "update", run: (m) => m.update(u32(1), perf) },
      { label: "lookup set slot", run: (m) => m.lookup(u32(1)) },
      { label: "delete set slot", run: (m) => m.tryDelete(u32(1)) },
      { label: "delete it again", run: (m) => m.tryDelete(u32(1)) },
    ]);
  } finally {
    perf.close();
  }
});

test("vm maps: a prog array agrees with the kernel's (fds resolved through resolveProgram)", () => {
  const fd = loadTrivialProgram();
  try {
    const program = new VmProgram(new ProgramBuilder().mov64Imm(R0, 0).exit().instructions());
    const options: VmMapOptions = { resolveProgram: (n) => (n === fd.raw ? program : undefined) };
    const present: Op = { label: "slots set", run: (m) => [0, 1, 2, 3].map((i) => m.tryLookup(u32(i)) !== undefined).join(",") };
    compare({ type: MapType.ProgArray, keySize: 4, valueSize: 4, maxEntries: 3, name: "vm_diff_prog" }, [
      present,
      { label: "update 1", run: (m) => m.update(u32(1), fd) },
      { label: "update 3", run: (m) => m.update(u32(3), fd) },
      { label: "update flags 1", run: (m) => m.update(u32(0), fd, UpdateFlags.NOEXIST) },
      { label: "update flags 2", run: (m) => m.update(u32(0), fd, UpdateFlags.EXIST) },
      { label: "update bad fd", run: (m) => m.update(u32(0), u32(99_999)) },
      present,
      { label: "lookup 0", run: (m) => m.lookup(u32(0)) },
      orderedKeys,
      { label: "delete 1", run: (m) => m.delete(u32(1)) },
      { label: "delete 1 again", run: (m) => m.delete(u32(1)) },
      { label: "delete 7", run: (m) => m.delete(u32(7)) },
      present,
    ], options);
  } finally {
    fd.close();
  }
});

test("vm maps: maps of maps agree with the kernel's (inner maps checked against the template)", () => {
  const inner: MapSpec = { type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 2 };
  const kernelInner = BpfMap.create(inner);
  const kernelOther = BpfMap.create({ ...inner, valueSize: 8 });
  const h = host();
  const vmInner = createVmMap(inner, h);
  const vmOther = createVmMap({ ...inner, valueSize: 8 }, h);
  const byFd = new Map<number, VmMap>([[kernelInner.fd.raw, vmInner], [kernelOther.fd.raw, vmOther]]);
  const options: VmMapOptions = { resolveMap: (n) => byFd.get(n) };
  const set: Op = { label: "slots set", run: (m) => [...m.keys()].map((k) => `${hex(k)}:${m.tryLookup(k) !== undefined}`).sort().join(",") };
  const ops = (key: (i: number) => Uint8Array): Op[] => [
    { label: "update 0", run: (m) => m.update(key(0), kernelInner) },
    { label: "update 1 incompatible", run: (m) => m.update(key(1), kernelOther) },
    { label: "update 1 flags 1", run: (m) => m.update(key(1), kernelInner, UpdateFlags.NOEXIST) },
    { label: "update 0 flags 1", run: (m) => m.update(key(0), kernelInner, UpdateFlags.NOEXIST) },
    { label: "update 2 flags 2", run: (m) => m.update(key(2), kernelInner, UpdateFlags.EXIST) },
    { label: "update 4", run: (m) => m.update(key(4), kernelInner) },
    { label: "update 5", run: (m) => m.update(key(5), kernelInner) },
    { label: "update bad fd", run: (m) => m.update(key(3), u32(99_999)) },
    set,
    { label: "delete 0", run: (m) => m.tryDelete(key(0)) },
    { label: "delete 0 again", run: (m) => m.tryDelete(key(0)) },
    { label: "delete 9", run: (m) => m.tryDelete(key(9)) },
    set,
  ];
  try {
    compare({ type: MapType.ArrayOfMaps, keySize: 4, valueSize: 4, maxEntries: 4, innerMap: inner, name: "vm_diff_aom" }, ops(u32), options);
    compare({ type: MapType.HashOfMaps, keySize: 4, valueSize: 4, maxEntries: 4, innerMap: inner, name: "vm_diff_hom" }, ops(u32), options);
  } finally {
    kernelInner.close();
    kernelOther.close();
    vmInner.close();
    vmOther.close();
  }
});

test("vm maps: read-only, write-only and frozen maps refuse user access as the kernel's", () => {
  const key = u32(1);
  const value = u32(7);
  const ops: Op[] = [
    { label: "update", run: (m) => m.update(key, value) },
    { label: "lookup", run: (m) => m.lookup(key) },
    { label: "nextKey", run: (m) => m.nextKey() },
    { label: "delete", run: (m) => m.tryDelete(key) },
    { label: "freeze", run: (m) => m.freeze(), classOnly: true },
    { label: "update after freeze", run: (m) => m.update(key, value) },
    { label: "lookup after freeze", run: (m) => m.lookup(key) },
    { label: "freeze again", run: (m) => m.freeze(), classOnly: true },
  ];
  for (const flags of [0, MapFlags.RDONLY, MapFlags.WRONLY]) {
    compare({ type: MapType.Hash, keySize: 4, valueSize: 4, maxEntries: 4, flags, name: "vm_diff_ro" }, ops);
  }
});

test("vm maps: specs the kernel refuses are refused with the same error class", () => {
  const specs: MapSpec[] = [
    { type: MapType.Hash, keySize: 0, valueSize: 4, maxEntries: 4 },
    { type: MapType.Hash, keySize: 4, valueSize: 0, maxEntries: 4 },
    { type: MapType.Hash, keySize: 4, valueSize: 4, maxEntries: 0 },
    { type: MapType.Hash, keySize: 600, valueSize: 4, maxEntries: 4 },
    { type: MapType.Hash, keySize: 4, valueSize: 4, maxEntries: 4, flags: MapFlags.NO_COMMON_LRU },
    { type: MapType.LruHash, keySize: 4, valueSize: 4, maxEntries: 4, flags: MapFlags.NO_PREALLOC },
    { type: MapType.PercpuHash, keySize: 4, valueSize: 40000, maxEntries: 4 },
    { type: MapType.Array, keySize: 8, valueSize: 4, maxEntries: 4 },
    { type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 0 },
    { type: MapType.PercpuArray, keySize: 4, valueSize: 4, maxEntries: 4, flags: MapFlags.MMAPABLE },
    { type: MapType.Queue, keySize: 4, valueSize: 4, maxEntries: 4 },
    { type: MapType.Stack, keySize: 0, valueSize: 0, maxEntries: 4 },
    { type: MapType.BloomFilter, keySize: 0, valueSize: 4, maxEntries: 4, mapExtra: 16n },
    { type: MapType.LpmTrie, keySize: 8, valueSize: 4, maxEntries: 4 },
    { type: MapType.LpmTrie, keySize: 4, valueSize: 4, maxEntries: 4, flags: MapFlags.NO_PREALLOC },
    { type: MapType.Ringbuf, keySize: 0, valueSize: 0, maxEntries: 4096 * 3 },
    { type: MapType.Ringbuf, keySize: 4, valueSize: 0, maxEntries: 4096 },
    { type: MapType.ProgArray, keySize: 4, valueSize: 8, maxEntries: 4 },
    { type: MapType.Hash, keySize: 4, valueSize: 4, maxEntries: 4, flags: MapFlags.RDONLY | MapFlags.WRONLY },
  ];
  for (const spec of specs) {
    const className = (fn: () => { close(): void }): string => {
      try {
        fn().close();
        return "created";
      } catch (e) {
        if (!(e instanceof BpfError)) throw e;
        return e.name;
      }
    };
    const label = JSON.stringify(spec, (_, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
    assert.equal(className(() => createVmMap(spec, host())), className(() => BpfMap.create(spec)), label);
  }
});

test("vm maps: an LRU hash never holds more than the kernel's capacity, keeps the newest keys, and keeps what programs use", () => {
  for (const [type, flags] of [[MapType.LruHash, 0], [MapType.LruPercpuHash, 0], [MapType.LruHash, MapFlags.NO_COMMON_LRU]] as const) {
    const spec: MapSpec = { type, keySize: 4, valueSize: 8, maxEntries: 16, flags, name: "vm_diff_lru" };
    const kernel = BpfMap.create(spec);
    const h = host();
    const vm = createVmMap(spec, h);
    try {
      const value = new Uint8Array(vm.valueBufferSize);
      // The kernel rounds max_entries up to a multiple of the CPUs for per-CPU LRU lists.
      const capacity = flags & MapFlags.NO_COMMON_LRU ? Math.ceil(16 / CPUS) * CPUS : 16;
      for (let i = 0; i < 100; i++) {
        kernel.update(u32(i), value);
        vm.update(u32(i), value);
        assert.ok([...kernel.keys()].length <= capacity, `kernel: at most ${capacity} after ${i + 1} inserts`);
        assert.ok(kernel.tryLookup(u32(i)) !== undefined, "kernel: the newest key survives");
        assert.equal([...vm.keys()].length, Math.min(i + 1, flags & MapFlags.NO_COMMON_LRU ? Math.ceil(16 / CPUS) : 16));
      }
      // The emulation is an exact LRU: the newest keys (of this CPU's list) are the ones left.
      const left = [...vm.keys()].map((k) => new DataView(k.buffer).getUint32(0, true)).sort((a, b) => a - b);
      const kept = flags & MapFlags.NO_COMMON_LRU ? Math.ceil(16 / CPUS) : 16;
      assert.deepEqual(left, Array.from({ length: kept }, (_, i) => 100 - kept + i));
      // A key a program looks up counts as used: it outlives newer keys nobody used.
      const oldest = u32(100 - kept);
      assert.notEqual(vm.programLookup(oldest), 0n);
      for (let i = 100; i < 100 + kept - 1; i++) vm.update(u32(i), value);
      assert.ok(vm.tryLookup(oldest) !== undefined, "the key a program used survives");
      assert.equal(vm.tryLookup(u32(100 - kept + 1)), undefined, "the least recently used key was evicted");
    } finally {
      kernel.close();
      vm.close();
    }
  }
});

test("vm maps: a ring buffer accepts the same number of records as the kernel's before it is full", () => {
  const size = 4096;
  for (const recordBytes of [1, 8, 13, 200]) {
    const calls = Math.floor(size / (recordBytes + 8)) + 3;
    using rb = BpfMap.create({ type: MapType.Ringbuf, keySize: 0, valueSize: 0, maxEntries: size, name: "vm_diff_rb" });
    // r6 counts successful bpf_ringbuf_output calls of recordBytes from the stack; r0 = r6 | avail << 20.
    const b = new ProgramBuilder().mov64Imm(R6, 0);
    for (let off = -256; off < 0; off += 8) b.stDW(R10, off, 0);
    for (let i = 0; i < calls; i++) {
      b.ldMapFd(R1, rb.fd).mov64Reg(R2, R10).add64Imm(R2, -256).mov64Imm(R3, recordBytes).mov64Imm(R4, 0).call("ringbuf_output")
        .jneImm(R0, 0, `skip${i}`).add64Imm(R6, 1).label(`skip${i}`);
    }
    b.ldMapFd(R1, rb.fd).mov64Imm(R2, 0).call("ringbuf_query").mov64Reg(R7, R0).lsh64Imm(R7, 20).mov64Reg(R0, R6).or64Reg(R0, R7).exit();
    using prog = Program.load({ type: ProgramType.SocketFilter, instructions: b.build(), license: "GPL" });
    const retval = prog.testRun({ data: new Uint8Array(64) }).retval;
    const vm = createVmMap({ type: MapType.Ringbuf, keySize: 0, valueSize: 0, maxEntries: size }, host()) as RingBufferVmMap;
    let accepted = 0;
    for (let i = 0; i < calls; i++) if (vm.output(new Uint8Array(recordBytes)) === 0) accepted++;
    const avail = Number(vm.query(0n));
    assert.deepEqual({ accepted, avail }, { accepted: retval & 0xfffff, avail: retval >>> 20 }, `${recordBytes}-byte records`);
    assert.ok(accepted < calls, "the ring filled up");
    vm.close();
  }
});

test("vm maps: values with a bpf_spin_lock take BPF_F_LOCK as the kernel's (the lock reads as zeros and is never written)", () => {
  const btfFd = loadTestBtf();
  try {
    const spinLock = spinLockOffset(new Btf(testBtfBytes()), TEST_BTF.LOCKED_VAL);
    assert.equal(spinLock, 0);
    const value = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 42, 0, 0, 0);
    const ops: Op[] = [];
    for (const flags of [0, 4, 5, 6, 1, 2]) {
      ops.push({ label: `update flags ${flags}`, run: (m) => m.update(u32(1), value, flags) });
      ops.push({ label: "lookup", run: (m) => m.tryLookup(u32(1)) });
      ops.push({ label: "lookup F_LOCK", run: (m) => m.tryLookup(u32(1), UpdateFlags.F_LOCK) });
    }
    ops.push({ label: "update key 5 F_LOCK", run: (m) => m.update(u32(5), value, UpdateFlags.F_LOCK) });
    ops.push({ label: "lookupAndDelete F_LOCK", run: (m) => m.lookupAndDelete(u32(1), UpdateFlags.F_LOCK) }, sortedEntries);
    for (const type of [MapType.Hash, MapType.Array]) {
      const spec: MapSpec = { type, keySize: 4, valueSize: 8, maxEntries: 4, name: "vm_diff_lock", btfFd, keyTypeId: TEST_BTF.INT, valueTypeId: TEST_BTF.LOCKED_VAL };
      compare(spec, ops, { spinLockOffset: spinLock });
    }
  } finally {
    btfFd.close();
  }
});
