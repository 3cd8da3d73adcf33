// Program BTF sanitised for kernels that lack BTF features. The running
// kernel supports every kind, so the probe result is overridden to stand in
// for older kernels, one feature at a time and all together. For real objects
// (our kinds fixture and Debian's libbpf-tools corpus) the sanitised BTF must
// hold no type of a disabled kind, keep every type id and string offset, and
// still be accepted by this kernel; Collection.load must load fixtures with
// it. Also: maps retried without BTF the kernel refuses, and legacy `maps`
// maps typed through `____btf_map_<name>`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Btf } from "../../src/btf/btf.js";
import { loadBtf } from "../../src/btf/kernel.js";
import type { BtfType } from "../../src/btf/types.js";
import { loadObjectSpec } from "../../src/object/index.js";
import { Collection, type CollectionLoadOptions } from "../../src/collection.js";
import { loadCollectionWith } from "../../src/collection/load-with.js";
import { ENUM64_PLACEHOLDER, overrideBtfSupport, probeBtfSupport, programBtfSupported, sanitizeBtf, type BtfKernelSupport } from "../../src/collection/btf-sanitize.js";
import { createMap, legacyMapBtfIds } from "../../src/collection/maps.js";
import type { BpfMap } from "../../src/map.js";
import { writeToolObject, libbpfTools } from "../util/libbpf-tools.js";
import { bpffsTempDir, openFdCount } from "../util/kernel.js";
import { missingOracle } from "../util/environment.js";

const fixture = (rel: string): string => fileURLToPath(new URL(`../../../test/fixtures/${rel}`, import.meta.url));
type Feature = keyof BtfKernelSupport;
const FEATURES: readonly Feature[] = ["func", "globalFunc", "datasec", "qmarkDatasec", "float", "declTag", "typeTag", "enum64"];
const ALL = Object.fromEntries(FEATURES.map((f) => [f, true])) as unknown as BtfKernelSupport;

/** The kernels to stand in for: each feature missing alone, then all missing. */
const SCENARIOS: { name: string; support: BtfKernelSupport; off: readonly Feature[] }[] = [
  ...FEATURES.map((f) => ({ name: `without ${f}`, support: { ...ALL, [f]: false }, off: [f] })),
  { name: "without any", support: Object.fromEntries(FEATURES.map((f) => [f, false])) as unknown as BtfKernelSupport, off: FEATURES },
];

/** Is `t` something a kernel lacking `f` cannot take? */
function forbidden(t: BtfType, f: Feature): boolean {
  switch (f) {
    case "func": return t.kind === "FUNC" || t.kind === "FUNC_PROTO";
    case "globalFunc": return t.kind === "FUNC" && t.linkage !== "static";
    case "datasec": return t.kind === "VAR" || t.kind === "DATASEC";
    case "qmarkDatasec": return t.kind === "DATASEC" && t.name.startsWith("?");
    case "float": return t.kind === "FLOAT";
    case "declTag": return t.kind === "DECL_TAG";
    case "typeTag": return t.kind === "TYPE_TAG";
    case "enum64": return t.kind === "ENUM64" || (t.kind === "ENUM" && t.kindFlag);
  }
}

/** Kinds a feature's rewriting may touch (a decl tag follows what it tags). */
const TOUCHES: Record<Feature, readonly string[]> = {
  func: ["FUNC", "FUNC_PROTO", "DECL_TAG"], globalFunc: ["FUNC"], datasec: ["VAR", "DATASEC", "DECL_TAG"], qmarkDatasec: ["DATASEC"],
  float: ["FLOAT"], declTag: ["DECL_TAG"], typeTag: ["TYPE_TAG"], enum64: ["ENUM", "ENUM64"],
};

/** Checks (a), (b), (c) for one BTF blob and scenario; returns whether anything changed. */
function checkSanitized(raw: Uint8Array, support: BtfKernelSupport, off: readonly Feature[], what: string): boolean {
  const before = new Btf(raw);
  const out = sanitizeBtf(raw, support);
  const after = new Btf(out);
  // (a) nothing the kernel would lack is left.
  for (const t of after) for (const f of off) assert.ok(!forbidden(t, f), `${what}: [${t.id}] ${t.kind} '${t.name}' survived without ${f}`);
  // (b) same ids at the same places, strings only appended.
  const hadEnum64 = [...before].some((t) => t.kind === "ENUM64");
  const added = off.includes("enum64") && hadEnum64 ? 1 : 0;
  assert.equal(after.count, before.count + added, `${what}: type count`);
  if (added) {
    const p = after.typeById(after.count);
    assert.ok(p.kind === "INT" && p.name === ENUM64_PLACEHOLDER && p.size === 1, `${what}: placeholder int appended`);
  }
  assert.ok(Buffer.from(after.strings.bytes).subarray(0, before.strings.bytes.byteLength).equals(before.strings.bytes), `${what}: string table is a prefix`);
  const touched = new Set(off.flatMap((f) => TOUCHES[f]));
  for (let id = 1; id <= before.count; id++) {
    assert.equal(after.recordStart(id), before.recordStart(id), `${what}: record of [${id}] moved`);
    const a = before.typeById(id);
    if (!touched.has(a.kind)) assert.deepEqual(after.typeById(id), a, `${what}: [${id}] ${a.kind} changed`);
    // func_info points at FUNC ids: they must stay FUNCs unless FUNC itself is gone.
    if (a.kind === "FUNC" && !off.includes("func")) assert.equal(after.kindOf(id), "FUNC");
  }
  // (c) this kernel still takes it.
  loadBtf(out).close();
  return out !== raw;
}

test("the probe finds every BTF feature on this kernel; the override replaces it and is removed", () => {
  const real = probeBtfSupport();
  for (const f of FEATURES) assert.equal(real[f], true, `${f} on Linux 6.18`);
  overrideBtfSupport({ float: false });
  try {
    assert.equal(probeBtfSupport().float, false);
    assert.equal(probeBtfSupport().enum64, true);
  } finally {
    overrideBtfSupport(undefined);
  }
  assert.equal(probeBtfSupport().float, true);
  const raw = loadObjectSpec(fixture("btf/kinds.bpf.o")).btfForKernel()!;
  assert.equal(sanitizeBtf(raw), raw, "nothing to do: the same bytes");
});

test("kinds fixture: every feature off, alone and together", () => {
  const raw = loadObjectSpec(fixture("btf/kinds.bpf.o")).btfForKernel()!;
  const kinds = new Set([...new Btf(raw)].map((t) => t.kind));
  for (const k of ["DECL_TAG", "TYPE_TAG", "ENUM64", "FLOAT", "FUNC", "DATASEC"]) assert.ok(kinds.has(k as BtfType["kind"]), `fixture has ${k}`);
  for (const s of SCENARIOS) assert.ok(checkSanitized(raw, s.support, s.off, `kinds ${s.name}`), `kinds ${s.name}: rewritten`);
});

test("kinds fixture: the rewrites are libbpf's", () => {
  const raw = loadObjectSpec(fixture("btf/kinds.bpf.o")).btfForKernel()!;
  const before = new Btf(raw);
  const none = SCENARIOS.at(-1)!.support;
  const after = new Btf(sanitizeBtf(raw, none));
  for (const a of before) {
    const b = after.typeById(a.id);
    if (a.kind === "ENUM64") {
      assert.ok(b.kind === "UNION" && b.size === a.size && b.members.length === a.values.length);
      b.members.forEach((m, i) => {
        assert.equal(m.name, a.values[i]!.name);
        assert.equal(m.bitOffset, 0);
        assert.equal(after.nameOf(m.type), ENUM64_PLACEHOLDER);
      });
    } else if (a.kind === "FLOAT") {
      assert.ok(b.kind === "STRUCT" && b.size === a.size && b.name === "" && b.members.length === 0);
    } else if (a.kind === "TYPE_TAG") {
      assert.ok(b.kind === "CONST" && b.type === a.type && b.name === "");
    } else if (a.kind === "DECL_TAG" || a.kind === "VAR") {
      assert.ok(b.kind === "INT" && b.size === 1 && b.bits === 8 && b.name === a.name);
    } else if (a.kind === "DATASEC") {
      assert.ok(b.kind === "STRUCT" && b.size === a.size && b.name === a.name.replace(/[.?]/g, "_"));
      b.members.forEach((m, i) => {
        const v = a.vars[i]!;
        assert.deepEqual([m.type, m.bitOffset, m.name], [v.type, v.offset * 8, before.nameOf(v.type)]);
      });
    } else if (a.kind === "FUNC") {
      assert.ok(b.kind === "TYPEDEF" && b.type === a.type && b.name === a.name);
    } else if (a.kind === "FUNC_PROTO") {
      assert.ok(b.kind === "ENUM" && b.size === 4 && b.values.length === a.params.length);
    } else if (a.kind === "ENUM") {
      assert.ok(b.kind === "ENUM" && !b.kindFlag);
    }
  }
  // Linkage only: global → static keeps the FUNC.
  const linkOnly = new Btf(sanitizeBtf(raw, { ...ALL, globalFunc: false }));
  for (const a of before) if (a.kind === "FUNC") assert.deepEqual(linkOnly.typeById(a.id), { ...a, linkage: "static", linkageValue: 0 });
});

test("'?.data' datasec names become '_.data' where unsupported", () => {
  // [1] int, [2] var "x", [3] datasec "?.x" { [2] }
  const strs = "\0int\0x\0?.x\0";
  const words = [1, 0x01000000, 4, 0x01000020, 5, 0x0e000000, 1, 1, 7, 0x0f000001, 4, 2, 0, 4];
  const str = new TextEncoder().encode(strs);
  const raw = new Uint8Array(24 + words.length * 4 + str.length);
  const v = new DataView(raw.buffer);
  v.setUint16(0, 0xeb9f, true);
  v.setUint8(2, 1);
  v.setUint32(4, 24, true);
  v.setUint32(12, words.length * 4, true);
  v.setUint32(16, words.length * 4, true);
  v.setUint32(20, str.length, true);
  words.forEach((w, i) => v.setUint32(24 + i * 4, w, true));
  raw.set(str, 24 + words.length * 4);
  const out = new Btf(sanitizeBtf(raw, { ...ALL, qmarkDatasec: false }));
  assert.equal(out.typeById(3).name, "_.x");
  assert.equal(out.typeById(2).name, "x");
  checkSanitized(raw, { ...ALL, qmarkDatasec: false }, ["qmarkDatasec"], "qmark");
});

test("libbpf-tools corpus: every feature off, alone and together", (t) => {
  const tools = libbpfTools();
  if (tools.length === 0) return missingOracle(t, "libbpf-tools");
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-sanitize-"));
  let objects = 0;
  try {
    for (const tool of tools) {
      const file = writeToolObject(tool, dir);
      if (!file) continue;
      const raw = loadObjectSpec(file).btfForKernel();
      if (!raw) continue;
      objects++;
      for (const s of SCENARIOS) checkSanitized(raw, s.support, s.off, `${tool} ${s.name}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(objects >= 40, `only ${objects} corpus objects with BTF`);
});

/** Loads a fixture with Collection.load as on a kernel with `support`. */
function loadAs(support: BtfKernelSupport, file: string, options: CollectionLoadOptions = {}): Collection {
  return loadCollectionWith(loadObjectSpec(file), options, { btfSupport: support });
}

for (const s of SCENARIOS) {
  test(`Collection.load with program BTF sanitised ${s.name}`, () => {
    // Without FUNC the kernel refuses func_info whose ids are no longer FUNCs,
    // so programs load without BTF (as libbpf does); maps keep theirs.
    assert.equal(programBtfSupported(s.support), !s.off.includes("func"));
    const fds = openFdCount();
    const dir = bpffsTempDir("tsbpf-sanitize-");
    try {
      for (const rel of ["collection/globals.bpf.o", "collection/maps.bpf.o", "collection/legacy-btf.bpf.o"]) loadAndCheck(s.support, rel, dir.path);
    } finally {
      dir.cleanup();
    }
    assert.equal(openFdCount(), fds);
  });
}

/** (d): the fixture loads with the sanitised BTF; programs keep func/line info, data maps their value type. */
function loadAndCheck(support: BtfKernelSupport, rel: string, pinPath: string): void {
  using c = loadAs(support, fixture(rel), { pinPath });
  assert.ok(!c.warnings.some((w) => /refused the object's BTF/.test(w)), `${rel}: BTF accepted`);
  assert.ok(c.programs.size > 0);
  for (const [name, p] of c.programs) {
    const info = p.info();
    if (!support.func) {
      assert.equal(info.funcInfo.length, 0, `${rel} ${name}: loaded without func info`);
      continue;
    }
    assert.ok(info.btfId > 0, `${rel} ${name}: loaded with BTF`);
    assert.ok(info.funcInfo.length > 0 && info.lineInfo.length > 0, `${rel} ${name}: func and line info`);
  }
  for (const [name, m] of c.maps) {
    if (!/^\.(rodata|data|bss)/.test(name)) continue;
    // Keyless array maps need a DATASEC value type, so without DATASEC (kernels
    // before 5.2) they are created without BTF, as libbpf's retry does.
    if (support.datasec) assert.ok(m.info().btfValueTypeId > 0, `${rel} ${name}: value type kept`);
    else assert.equal(m.info().btfValueTypeId, 0, `${rel} ${name}: created without BTF`);
  }
}

test("a map whose BTF the kernel refuses is created without it, with a warning", () => {
  const spec = loadObjectSpec(fixture("collection/maps.bpf.o"));
  const shared = spec.maps.get("shared")!;
  const btf = spec.btf!;
  // A 1-byte type for an 8-byte value: BPF_MAP_CREATE says EINVAL.
  const charId = [...btf].find((t) => t.kind === "INT" && t.size === 1)?.id ?? [...btf].find((t) => t.kind === "INT")!.id;
  shared.valueTypeId = charId;
  const dir = bpffsTempDir("tsbpf-sanitize-");
  const dir2 = bpffsTempDir("tsbpf-sanitize-");
  try {
    using btfFd = loadBtf(spec.btfForKernel()!);
    const warnings: string[] = [];
    const created = createMap("shared", shared, { btfFd, pinPath: dir.path, replacements: new Map(), warnings });
    using map: BpfMap = created.map;
    assert.equal(map.info().btfValueTypeId, 0);
    assert.equal(map.info().valueSize, 8);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /map 'shared' was created without BTF/);
    // Through Collection.load too (a fresh pin directory, so nothing is reused): the object still loads.
    using c = Collection.load(spec, { pinPath: dir2.path });
    assert.equal(c.map("shared").info().btfValueTypeId, 0);
    assert.ok(c.programs.size > 0);
  } finally {
    dir.cleanup();
    dir2.cleanup();
  }
});

test("legacy `maps` maps get key/value types from ____btf_map_<name>", () => {
  const spec = loadObjectSpec(fixture("collection/legacy-btf.bpf.o"));
  const m = spec.maps.get("annotated")!;
  assert.equal(m.kind, "legacy");
  const btf = spec.btf!;
  const ids = legacyMapBtfIds(btf, "annotated");
  assert.ok(ids);
  assert.equal(btf.nameOf(ids.valueTypeId), "pair");
  assert.equal(legacyMapBtfIds(btf, "nope"), undefined);
  using btfFd = loadBtf(spec.btfForKernel()!);
  using map = createMap("annotated", m, { btfFd, btf, pinPath: undefined, replacements: new Map() }).map;
  const info = map.info();
  assert.deepEqual([info.btfKeyTypeId, info.btfValueTypeId], [ids.keyTypeId, ids.valueTypeId]);
  assert.ok(info.btfId > 0);
});
