// A loader's first duty: bind every map reference to the map the object
// means. Fixtures in test/fixtures/binding: maps reached by section symbol +
// offset (static maps in `.maps` and in legacy `maps`), legacy definitions of
// mixed sizes (libbpf's 20-byte struct bpf_map_def, iproute2's 36-byte struct
// bpf_elf_map), `__ulong` map attributes (ENUM/ENUM64). Where libbpf loads an
// object, tsbpf must produce the same tags and xlated dumps; where it refuses,
// bpftool is asked which maps the program tsbpf loaded really holds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ObjectSpec, loadObjectSpec } from "../../src/object/index.js";
import { ObjectError } from "../../src/object/errors.js";
import { Collection } from "../../src/collection.js";
import { BpfMap } from "../../src/map.js";
import { MapFlags, MapType } from "../../src/map/types.js";
import { InvalidArgumentError, PermissionError } from "../../src/sys/errors.js";
import { ElfFile } from "../../src/elf/reader.js";
import { bpffsTempDir, openFdCount } from "../util/kernel.js";
import { requireOracle } from "../util/environment.js";
import { describeLoadedProgram, loadWithLibbpf } from "../util/libbpf-oracle.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtureDir = path.resolve(here, "../../../test/fixtures/binding");
const fixture = (name: string): string => path.join(fixtureDir, name);

function bpftoolJson<T>(...args: string[]): T {
  return JSON.parse(execFileSync("bpftool", ["-j", ...args], { encoding: "utf8" })) as T;
}

interface BpftoolMap {
  id: number; name: string; type: string; bytes_key: number; bytes_value: number; max_entries: number; flags: number;
}

/**
 * The maps a loaded program's ld_imm64 instructions name, in instruction
 * order, entirely by bpftool: `prog show` for its map ids, `map show` for
 * their names, `prog dump xlated` for the order.
 */
function boundMaps(progId: number): { order: string[]; maps: Map<string, BpftoolMap> } {
  const prog = bpftoolJson<{ map_ids?: number[] }>("prog", "show", "id", String(progId));
  const byId = new Map<number, BpftoolMap>();
  for (const id of prog.map_ids ?? []) byId.set(id, bpftoolJson<BpftoolMap>("map", "show", "id", String(id)));
  const dump = execFileSync("bpftool", ["prog", "dump", "xlated", "id", String(progId)], { encoding: "utf8" });
  const order = [...dump.matchAll(/map\[id:(\d+)\]/g)].map((m) => byId.get(Number(m[1]))?.name ?? `unknown id ${m[1]}`);
  return { order, maps: new Map([...byId.values()].map((m) => [m.name, m])) };
}

const u32 = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);
const u64 = (v: bigint): Uint8Array => new Uint8Array(new BigUint64Array([v]).buffer);
/** Socket filters need at least an Ethernet header to test-run. */
const packet = new Uint8Array(64);

test("btf-global: libbpf loads it, and tsbpf's program has the same tag and xlated dump", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const file = fixture("btf-global.bpf.o");
  const pins = bpffsTempDir("tsbpf-binding-");
  const fds = openFdCount();
  try {
    const theirs = loadWithLibbpf(file, pins.path);
    assert.ok(typeof theirs !== "string", `libbpf refused: ${String(theirs)}`);
    using c = Collection.load(loadObjectSpec(file));
    const mine = describeLoadedProgram(c.program("g_lookups").fd);
    assert.deepEqual(mine, theirs.get("g_lookups"));
    assert.match(mine.dump, /map\[g_second\][\s\S]*map\[g_bloom\][\s\S]*map\[g_first\]/);
  } finally {
    pins.cleanup();
  }
  assert.equal(openFdCount(), fds);
});

test("static maps in .maps are bound by section offset (libbpf refuses them)", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const file = fixture("btf-static.bpf.o");
  const spec = loadObjectSpec(file);
  // llvm-objdump -r: insn 5 `r1 = 0x0 ll` and insn 15 `r1 = 0x20 ll` both relocate against the `.maps` section symbol.
  assert.deepEqual([...spec.program("lookups").references], [
    [5, { kind: "map", map: "third" }], [15, { kind: "map", map: "second" }],
    [21, { kind: "map", map: "last" }], [27, { kind: "map", map: "first" }],
  ]);
  assert.deepEqual([...spec.maps.values()].map((m) => [m.name, m.sectionOffset]), [["third", 0], ["second", 32], ["last", 64], ["first", 96]]);

  const pins = bpffsTempDir("tsbpf-binding-");
  try {
    assert.match(String(loadWithLibbpf(file, pins.path)), /map 'third': unsupported map linkage static/);
  } finally {
    pins.cleanup();
  }
  using c = Collection.load(spec);
  const p = c.program("lookups");
  const { order, maps } = boundMaps(p.id);
  assert.deepEqual(order, ["third", "second", "last", "first"]);
  assert.deepEqual([...maps.values()].map((m) => [m.name, m.type, m.bytes_key, m.bytes_value, m.max_entries]).sort(), [
    ["first", "array", 4, 8, 1], ["last", "array", 4, 4, 3], ["second", "hash", 4, 4, 4], ["third", "lru_hash", 8, 4, 8],
  ]);
  // Behaviour: only `second` holds key 0, so the program sees first|second|last (1|2|8), not third (4).
  c.map("second").update(u32(0), u32(7));
  assert.equal(p.testRun({ data: packet }).retval, 11);
  c.map("third").update(u64(0n), u32(7));
  assert.equal(p.testRun({ data: packet }).retval, 15);
});

test("static inner maps of a map-in-map's .values are bound by the addend's offset", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const file = fixture("btf-static-inner.bpf.o");
  const spec = loadObjectSpec(file);
  assert.deepEqual(spec.map("outer").initialSlots, ["in_b", "in_a"]);
  const pins = bpffsTempDir("tsbpf-binding-");
  try {
    assert.match(String(loadWithLibbpf(file, pins.path)), /unsupported map linkage static/);
  } finally {
    pins.cleanup();
  }
  using c = Collection.load(spec);
  const slot = (i: number): string => bpftoolJson<BpftoolMap>("map", "show", "id", String(c.map("outer").innerMapId(u32(i)))).name;
  assert.deepEqual([slot(0), slot(1)], ["in_b", "in_a"]);
  c.map("in_b").update(u32(0), u32(22));
  c.map("in_a").update(u32(0), u32(11));
  assert.equal(c.program("slot0_value").testRun({ data: packet }).retval, 22);
});

test("legacy maps: each definition as long as its symbol; iproute2's layout; static maps by offset", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const file = fixture("legacy-sized.bpf.o");
  const spec = loadObjectSpec(file);
  const rows = [...spec.maps.values()].map((m) => [m.name, m.sectionOffset, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags, m.pinning]);
  assert.deepEqual(rows, [
    ["short_hash", 0, MapType.Hash, 4, 4, 5, 0, undefined],
    ["plain_array", 16, MapType.Array, 4, 8, 6, MapFlags.RDONLY_PROG, undefined],
    // iproute2's PIN_GLOBAL_NS (pinning = 2) is pin-by-name, not a NUMA node.
    ["tc_hash", 36, MapType.Hash, 8, 16, 7, MapFlags.NO_PREALLOC, "by-name"],
    ["padded_array", 72, MapType.Array, 4, 12, 8, 0, undefined],
    ["static_array", 100, MapType.Array, 4, 2, 9, 0, undefined],
  ]);
  assert.deepEqual(spec.map("tc_hash").iproute2, { id: 3, pinning: 2, innerId: 0, innerIdx: 0 });
  assert.equal(spec.map("tc_hash").numaNode, undefined);
  // insn 5 is `r1 = 0x64 ll` against the `maps` section symbol: static_array.
  assert.deepEqual([...spec.program("legacy_lookups").references.values()].map((r) => r.kind === "map" && r.map), [
    "static_array", "tc_hash", "padded_array", "short_hash", "plain_array",
  ]);

  const pins = bpffsTempDir("tsbpf-binding-");
  const fds = openFdCount();
  try {
    assert.match(String(loadWithLibbpf(file, path.join(pins.path, "libbpf"))), /legacy map definitions in 'maps' section are not supported/);
    using c = Collection.load(spec, { pinPath: pins.path });
    const p = c.program("legacy_lookups");
    const { order, maps } = boundMaps(p.id);
    assert.deepEqual(order, ["static_array", "tc_hash", "padded_array", "short_hash", "plain_array"]);
    assert.deepEqual([...maps.values()].map((m) => [m.name, m.type, m.bytes_key, m.bytes_value, m.max_entries, m.flags]).sort(), [
      ["padded_array", "array", 4, 12, 8, 0], ["plain_array", "array", 4, 8, 6, MapFlags.RDONLY_PROG],
      ["short_hash", "hash", 4, 4, 5, 0], ["static_array", "array", 4, 2, 9, 0], ["tc_hash", "hash", 8, 16, 7, MapFlags.NO_PREALLOC],
    ]);
    assert.ok(existsSync(path.join(pins.path, "tc_hash")), "PIN_GLOBAL_NS pins the map by name under pinPath");
    // Arrays always hit; the hashes only when they hold the key.
    assert.equal(p.testRun({ data: packet }).retval, 2 | 8 | 16);
    c.map("short_hash").update(u32(0), u32(1));
    c.map("tc_hash").update(u64(0n), new Uint8Array(16));
    assert.equal(p.testRun({ data: packet }).retval, 31);
  } finally {
    pins.cleanup();
  }
  assert.equal(openFdCount(), fds);
});

test("legacy maps: a non-zero byte no layout knows is refused, naming the map and the offset", () => {
  assert.throws(() => loadObjectSpec(fixture("legacy-nonzero.bpf.o")), (e) => {
    assert.ok(e instanceof ObjectError);
    assert.equal(e.symbol, "numa_hash");
    assert.match(e.message, /legacy map 'numa_hash': byte 24 of its 28-byte definition \(offset 44 of section 'maps'\) is non-zero/);
    return true;
  });
});

test("iproute2 map-in-maps by id, and PIN_OBJECT_NS asks for a choice", () => {
  const spec = loadObjectSpec(fixture("iproute2.bpf.o"));
  const outer = spec.map("outer");
  assert.deepEqual(
    [outer.innerMap?.name, outer.innerMap?.type, outer.innerMap?.keySize, outer.innerMap?.valueSize, outer.innerMap?.maxEntries],
    ["outer.inner", MapType.Array, 4, 4, 1],
  );
  assert.deepEqual(outer.initialSlots, [undefined, undefined, "inner_array"]);
  assert.equal(spec.map("per_object").pinning, undefined);

  const fds = openFdCount();
  assert.throws(() => Collection.load(spec), (e) => e instanceof InvalidArgumentError && e.field === "pinning" && /map 'per_object' asks for iproute2's PIN_OBJECT_NS/.test(e.message));
  assert.equal(openFdCount(), fds, "a refused load leaves no fd behind");

  spec.map("per_object").pinning = "none";
  using c = Collection.load(spec);
  assert.equal(c.map("outer").innerMapId(u32(2)), c.map("inner_array").info().id);
  c.map("inner_array").update(u32(0), u32(42));
  assert.equal(c.program("through_outer").testRun({ data: packet }).retval, 42);
});

test("__ulong(map_extra, 5): an ENUM attribute is read as a number and reaches the kernel", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const spec = loadObjectSpec(fixture("ulong-bloom.bpf.o"));
  const bloom = spec.map("bloom");
  const def = spec.btf!.typeById(spec.btf!.typesByName("bloom", "VAR")[0]!.type);
  assert.ok(def.kind === "STRUCT");
  assert.equal(spec.btf!.typeById(def.members.find((m) => m.name === "map_extra")!.type).kind, "ENUM");
  assert.deepEqual([bloom.type, bloom.valueSize, bloom.maxEntries, bloom.mapExtra], [MapType.BloomFilter, 4, 32, 5n]);
  const pins = bpffsTempDir("tsbpf-binding-");
  try {
    // libbpf 1.1 (Debian 12) predates __ulong.
    assert.match(String(loadWithLibbpf(fixture("ulong-bloom.bpf.o"), pins.path)), /attr 'map_extra': expected PTR, got enum/);
  } finally {
    pins.cleanup();
  }
  using c = Collection.load(spec);
  assert.equal(c.map("bloom").info().mapExtra, 5n);
  assert.deepEqual(boundMaps(c.program("bloom_peek").id).order, ["bloom"]);
});

test("__ulong(map_extra, 1 << 44): an ENUM64 attribute is read as a 64-bit number", () => {
  const spec = loadObjectSpec(fixture("ulong-arena.bpf.o"));
  const arena = spec.map("arena");
  assert.deepEqual([arena.type, arena.flags, arena.maxEntries, arena.mapExtra], [MapType.Arena, MapFlags.MMAPABLE, 2, 1n << 44n]);
  // clang wrote the member as ENUM64 (the value needs 45 bits).
  const def = spec.btf!.typeById(spec.btf!.typesByName("arena", "VAR")[0]!.type);
  assert.ok(def.kind === "STRUCT");
  const extra = def.members.find((m) => m.name === "map_extra")!;
  assert.equal(spec.btf!.typeById(extra.type).kind, "ENUM64");
  let c: Collection | undefined;
  try {
    c = Collection.load(spec);
  } catch (e) {
    // This machine refuses arena maps (EPERM, also from C): the error must show the map_extra that was sent.
    assert.ok(e instanceof PermissionError, String(e));
    assert.match(e.message, /BPF_MAP_CREATE \(arena map 'arena'; sent type arena, key 0, value 0, entries 2, flags 0x400, map_extra 0x100000000000\)/);
    return;
  }
  try {
    assert.equal(c.map("arena").info().mapExtra, 1n << 44n);
  } finally {
    c.close();
  }
});

test("a refused map's error shows the attributes sent: the NUMA_NODE flag the loader added, not the spec's flags 0", () => {
  assert.throws(() => BpfMap.create({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 4, name: "numa", numaNode: 4000 }), (e) => {
    assert.ok(e instanceof InvalidArgumentError, String(e));
    assert.match(e.message, /the kernel rejected type hash, key 4, value 8, entries 4, flags 0x4, numa node 4000;/);
    return true;
  });
});

/** The object with one ld_imm64 imm changed (the instruction at `slot` of section `sectionName`). */
function withImm(bytes: Uint8Array, sectionName: string, slot: number, imm: number): Uint8Array {
  const copy = new Uint8Array(bytes); // a copy (Buffer.slice would share memory)
  const section = new ElfFile(copy).section(sectionName)!;
  new DataView(copy.buffer).setInt32(section.offset + slot * 8 + 4, imm, true);
  return copy;
}

test("an offset that lands on no map is an ObjectError naming the program, the instruction and the offset", () => {
  const bytes = readFileSync(fixture("btf-static.bpf.o"));
  assert.throws(() => ObjectSpec.parse(withImm(bytes, "socket", 15, 0x24)), (e) => {
    assert.ok(e instanceof ObjectError);
    assert.equal(e.symbol, "lookups");
    assert.match(e.message, /program 'lookups', instruction 15 of section 'socket': refers to offset 36 of \.maps \(section symbol '\.maps', imm 36\), where no map definition starts/);
    return true;
  });
  const legacy = readFileSync(fixture("legacy-sized.bpf.o"));
  assert.throws(() => ObjectSpec.parse(withImm(legacy, "socket", 5, 0x70)), /instruction 5 of section 'socket': refers to offset 112 of maps/);
});
