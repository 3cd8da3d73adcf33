// CO-RE against synthetic target BTF: the fixture core-cases.bpf.o
// relocated against a reshaped "kernel" built with the encoder. Each
// relocation's value is checked against what the C layout implies, and the
// relocated programs are compared with libbpf given the same BTF file.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { ElfFile } from "../../src/elf/reader.js";
import { btfFromElf } from "../../src/btf/elf.js";
import { applyCoreFixups, CoreRelocationError, resolveCoreRelocations, type CoreFixup } from "../../src/core/index.js";
import { compareProgram, libbpfHarness, relocateWithTsbpf, runLibbpf } from "../oracle/core/libbpf-relocs.js";
import { agreeingKernel, ambiguousKernel, edgeKernel, reshapedKernel } from "../oracle/core/synthetic-targets.js";
import { missingOracle } from "../util/environment.js";

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../test/fixtures/core");
const casesPath = path.join(fixtures, "core-cases.bpf.o");
const ambiguousPath = path.join(fixtures, "core-ambiguous.bpf.o");
const edgePath = path.join(fixtures, "core-edge.bpf.o");

function localOf(file: string): ReturnType<typeof btfFromElf> {
  return btfFromElf(new ElfFile(readFileSync(file)));
}

type TargetBtf = ReturnType<ReturnType<typeof reshapedKernel>["builder"]["build"]>;

function fixupsFor(file: string, target: TargetBtf["btf"]): CoreFixup[] {
  const { btf, ext } = localOf(file);
  assert.ok(btf && ext, "fixture has .BTF and .BTF.ext");
  return resolveCoreRelocations(btf, ext, { vmlinux: target, vmlinuxName: "synthetic" });
}

/** "KIND path" → target value (or "poison"), per program section. */
function table(fixups: CoreFixup[], section: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of fixups.filter((x) => x.section === `tracepoint/core/${section}`)) {
    out.set(`${f.kind} ${f.localPath}`, f.poisoned ? "poison" : String(f.targetValue));
  }
  return out;
}

type Expected = Record<string, string | number | bigint>;

function expectValues(fixups: CoreFixup[], section: string, expected: Expected): void {
  const got = table(fixups, section);
  for (const [key, value] of Object.entries(expected)) {
    assert.equal(got.get(key), String(value), `${section}: ${key}`);
  }
}

/** Runs `body` with the libbpf oracle and a scratch directory; skips when libbpf-dev or a C compiler is missing. */
function withLibbpf(t: TestContext, body: (harness: string, dir: string) => void): void {
  const harness = libbpfHarness();
  if (!harness) return missingOracle(t, "libbpf-dev");
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-core-"));
  try {
    body(harness, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Relocates `object` against `built` with libbpf and with tsbpf: libbpf relocates `programs` programs, each the same as tsbpf's. */
function assertSameAsLibbpf(harness: string, dir: string, object: string, built: TargetBtf, name: string, programs: number): void {
  const btfFile = path.join(dir, `${name}.btf`);
  writeFileSync(btfFile, built.bytes);
  const theirs = runLibbpf(harness, object, btfFile);
  assert.equal(theirs.error, undefined);
  assert.equal(theirs.programs.length, programs);
  const mine = relocateWithTsbpf(readFileSync(object), built.btf, name);
  assert.equal(mine.error, undefined);
  for (const p of theirs.programs) assert.deepEqual(compareProgram(p, mine), { name: p.name, equal: true });
}

const kernel = reshapedKernel();
const target = kernel.builder.build();

let casesFixups: CoreFixup[] | undefined;
/** core-cases.bpf.o's fixups against the reshaped kernel (resolved once; the tests only read them). */
function caseFixups(): CoreFixup[] {
  casesFixups ??= fixupsFor(casesPath, target.btf);
  return casesFixups;
}

/** Program sections of core-cases.bpf.o whose relocations are checked by value alone. */
const VALUE_CASES: readonly { readonly title: string; readonly section: string; readonly values: Expected }[] = [
  {
    title: "field offsets follow renamed, reordered and anonymous-nested members",
    section: "field_offsets",
    values: {
      "FIELD_BYTE_OFFSET struct core_s.a": 16,
      "FIELD_BYTE_OFFSET struct core_s.b": 8,
      "FIELD_BYTE_OFFSET struct core_s.x": 24,
      "FIELD_BYTE_OFFSET struct core_s.y": 28,
      "FIELD_BYTE_OFFSET struct core_s.arr[2]": 40,
      "FIELD_BYTE_OFFSET struct core_s.in.i2": 72,
      "FIELD_BYTE_OFFSET struct core_s.e": 88,
      "FIELD_BYTE_OFFSET struct core_s.tail[3]": 99,
      "FIELD_BYTE_OFFSET struct core_inner[1].i1": 24,
    },
  },
  {
    title: "field sizes and signedness (ints, arrays, structs, signed enums)",
    section: "field_sizes",
    values: {
      "FIELD_BYTE_SIZE struct core_s.a": 4,
      "FIELD_BYTE_SIZE struct core_s.b": 8,
      "FIELD_BYTE_SIZE struct core_s.c": 4,
      "FIELD_BYTE_SIZE struct core_s.arr": 32,
      "FIELD_BYTE_SIZE struct core_s.arr[1]": 4,
      "FIELD_BYTE_SIZE struct core_s.in": 16,
      "FIELD_SIGNED struct core_s.e": 1,
      "FIELD_SIGNED struct core_s.a": 1,
      "FIELD_SIGNED struct core_s.b": 0,
    },
  },
  {
    title: "bitfields: offset, size and shifts for a differently laid out target",
    section: "bitfields",
    values: {
      // bf1: 3 bits at bit 517 of a u32 → loaded from byte 64, 4 bytes.
      "FIELD_BYTE_OFFSET struct core_s.bf1": 64,
      "FIELD_BYTE_SIZE struct core_s.bf1": 4,
      "FIELD_LSHIFT_U64 struct core_s.bf1": 64 - (517 + 3 - 512),
      "FIELD_RSHIFT_U64 struct core_s.bf1": 61,
      "FIELD_LSHIFT_U64 struct core_s.bf2": 64 - (512 + 5 - 512),
      // sbf: 6 bits at bit 540 cross a 4-byte boundary, so an 8-byte load is needed.
      "FIELD_BYTE_OFFSET struct core_s.sbf": 64,
      "FIELD_BYTE_SIZE struct core_s.sbf": 8,
      "FIELD_LSHIFT_U64 struct core_s.sbf": 64 - (540 + 6 - 512),
      "FIELD_RSHIFT_U64 struct core_s.sbf": 58,
      "FIELD_SIGNED struct core_s.sbf": 1,
    },
  },
  {
    title: "type matches: member-wise matching, enum value sets, typedefs",
    section: "matches",
    values: {
      "TYPE_MATCHES struct core_tm": 1,
      "TYPE_MATCHES struct core_tm_bad": 0,
      "TYPE_MATCHES enum core_e": 0,
      "TYPE_MATCHES typedef core_inner_t": 1,
    },
  },
  {
    title: "enum values: renumbered, signed, enum64, and missing enumerators",
    section: "enums",
    values: {
      "ENUMVAL_EXISTS enum core_e::CORE_A": 1,
      "ENUMVAL_EXISTS enum core_e::CORE_GONE": 0,
      "ENUMVAL_VALUE enum core_e::CORE_B": 20,
      "ENUMVAL_VALUE enum core_e::CORE_NEG": BigInt.asUintN(64, -7n),
      "ENUMVAL_VALUE enum core_e64::CORE64_BIG": 0xfedcba9876543210n,
      "ENUMVAL_VALUE enum core_e64::CORE64_SMALL": 8,
      "ENUMVAL_VALUE enum core_e::CORE_GONE": "poison",
    },
  },
];

for (const { title, section, values } of VALUE_CASES) test(title, () => expectValues(caseFixups(), section, values));

test("existence: removed fields resolve to 0, flavors find the plain type, guarded reads are poisoned", () => {
  const f = caseFixups();
  expectValues(f, "field_exists", {
    "FIELD_EXISTS struct core_s.a": 1,
    "FIELD_EXISTS struct core_s.removed": 0,
    "FIELD_EXISTS struct core_s___v2.new_field": 1,
    "FIELD_BYTE_OFFSET struct core_s___v2.new_field": 92,
    "FIELD_BYTE_OFFSET struct core_s.removed": "poison",
  });
  const poisoned = f.find((x) => x.poisoned && x.localPath === "struct core_s.removed");
  assert.match(poisoned?.description ?? "", /FIELD_BYTE_OFFSET struct core_s\.removed \(0:11\) → no match in synthetic: poisoned/);
});

test("direct loads: unsigned fields are resized, signed size changes are poisoned", () => {
  const f = caseFixups();
  const loads = f.filter((x) => x.section === "tracepoint/core/loads");
  const b = loads.find((x) => x.localPath === "struct core_s.b");
  assert.deepEqual([b?.localMemSize, b?.targetMemSize, b?.memSizeMismatch], [4, 8, false]);
  const c = loads.find((x) => x.localPath === "struct core_s.c");
  assert.deepEqual([c?.localMemSize, c?.targetMemSize, c?.memSizeMismatch], [2, 4, true]);
  const { sections } = relocateWithTsbpf(readFileSync(casesPath), target.btf, "synthetic");
  const code = sections.get("tracepoint/core/loads");
  assert.ok(code && b && c);
  // s->b: r2 = *(u32 *)(r1 + 4) became *(u64 *)(r1 + 8).
  assert.deepEqual([...code.subarray(b.insnIndex * 8, b.insnIndex * 8 + 4)], [0x79, 0x12, 8, 0]);
  // s->c: the 2-byte signed load cannot read a 4-byte int: call 0xbad2310.
  assert.equal(code[c.insnIndex * 8], 0x85);
  assert.equal(new DataView(code.buffer, code.byteOffset).getInt32(c.insnIndex * 8 + 4, true), 0xbad2310);
});

test("type relocations: exists, size, target/local ids, missing types give 0", () => {
  const f = caseFixups();
  expectValues(f, "types", {
    "TYPE_EXISTS struct core_s": 1,
    "TYPE_EXISTS struct core_missing": 0,
    "TYPE_SIZE struct core_s": 96,
    "TYPE_SIZE typedef core_inner_t": 16,
    "TYPE_ID_TARGET struct core_s": kernel.coreS,
    "TYPE_EXISTS union core_u": 1,
    "TYPE_SIZE union core_u": 8,
    "TYPE_ID_TARGET struct core_missing": 0,
    "TYPE_SIZE struct core_missing": 0,
  });
  const local = f.find((x) => x.kind === "TYPE_ID_LOCAL");
  assert.ok(local && local.targetValue === local.localValue && local.targetValue > 0n);
});

test("ambiguous candidates fail with CoreRelocationError; agreeing ones resolve", () => {
  const amb = ambiguousKernel().build();
  assert.throws(() => fixupsFor(ambiguousPath, amb.btf), (e: unknown) => {
    assert.ok(e instanceof CoreRelocationError);
    assert.equal(e.code, "CORE_RELOCATION");
    assert.match(e.message, /ambiguous/);
    assert.match(e.message, /struct core_amb\.f/);
    assert.match(e.message, /core_amb___one/);
    return true;
  });
  const agree = agreeingKernel().build();
  const [only] = fixupsFor(ambiguousPath, agree.btf);
  assert.equal(only?.targetValue, 4n);
});

test("libbpf relocates the fixture identically against the same synthetic BTF", (t) => {
  withLibbpf(t, (harness, dir) => {
    assertSameAsLibbpf(harness, dir, casesPath, target, "synthetic", 8);
    // Both refuse the ambiguous target and agree on the agreeing one.
    const ambFile = path.join(dir, "ambiguous.btf");
    writeFileSync(ambFile, ambiguousKernel().build().bytes);
    assert.equal(runLibbpf(harness, ambiguousPath, ambFile).programs.length, 0);
    assertSameAsLibbpf(harness, dir, ambiguousPath, agreeingKernel().build(), "agree", 1);
  });
});

test("edge cases: floats, function pointers, flattened unions, enum64, resized unsigned loads", () => {
  const f = fixupsFor(edgePath, edgeKernel().build().btf);
  const get = (section: string, key: string): CoreFixup | undefined =>
    f.find((x) => x.section === `tracepoint/edge/${section}` && `${x.kind} ${x.localPath}` === key);
  assert.equal(get("fields", "FIELD_BYTE_OFFSET struct edge.m[1][2]")?.targetValue, 44n);
  assert.equal(get("fields", "FIELD_BYTE_OFFSET struct edge.items[2].w")?.targetValue, 64n);
  assert.equal(get("fields", "FIELD_BYTE_OFFSET struct edge.ub")?.targetValue, 112n);
  const uc = get("loads", "FIELD_BYTE_OFFSET struct edge.uc");
  assert.deepEqual([uc?.targetValue, uc?.localMemSize, uc?.targetMemSize, uc?.memSizeMismatch], [16n, 1, 2, false]);
  // A plain int locally, a bitfield in the target: a direct load of it cannot be patched.
  assert.equal(get("loads", "FIELD_BYTE_OFFSET struct edge.plain")?.memSizeMismatch, true);
  assert.equal(get("loads", "FIELD_BYTE_SIZE struct edge.flag")?.targetValue, 1n);
  // libbpf does not treat FLOAT as type-compatible: a typedef of double "does not exist".
  assert.equal(get("types", "TYPE_EXISTS typedef edge_dbl")?.targetValue, 0n);
  assert.equal(get("types", "TYPE_EXISTS typedef edge_fn")?.targetValue, 1n);
  assert.equal(get("types", "TYPE_MATCHES typedef edge_fn")?.targetValue, 0n);
  assert.equal(get("types", "TYPE_MATCHES struct edge_tm_fwd")?.targetValue, 1n);
  assert.equal(get("enums", "ENUMVAL_VALUE enum edge_small::EDGE_S2")?.targetValue, 0x2_0000_0000n);
});

test("libbpf relocates the edge-case fixture identically", (t) => {
  withLibbpf(t, (harness, dir) => assertSameAsLibbpf(harness, dir, edgePath, edgeKernel().build(), "edge", 4));
});

test("identity relocation reproduces clang's own values, little- and big-endian objects", () => {
  for (const [file, byteOrder] of [[casesPath, "le"], [path.join(fixtures, "core-cases.bpfeb.o"), "be"]] as const) {
    const elf = new ElfFile(readFileSync(file));
    assert.equal(elf.header.littleEndian, byteOrder === "le");
    const { btf, ext } = btfFromElf(elf);
    assert.ok(btf && ext);
    // Relocating against the object's own BTF must leave every instruction as clang wrote it.
    const fixups = resolveCoreRelocations(btf, ext, { vmlinux: btf, vmlinuxName: "self" }, { byteOrder });
    assert.ok(fixups.length > 50);
    let shifts = 0;
    for (const s of elf.sections) {
      if ((s.flags & 0x4) === 0) continue;
      const original = elf.data(s);
      const code = original.slice();
      applyCoreFixups(code, fixups.filter((f) => f.section === s.name), { byteOrder });
      assert.deepEqual(code, original, `${byteOrder} ${s.name}`);
      shifts += fixups.filter((f) => f.section === s.name && f.kind === "FIELD_LSHIFT_U64").length;
    }
    assert.equal(shifts, 3);
    for (const f of fixups) assert.equal(f.targetValue, f.localValue, f.description);
  }
});
