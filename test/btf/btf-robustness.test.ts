// Regression tests for malformed or hostile inputs found by fuzzing and by
// probing the API: each input here once crashed, hung or exhausted memory.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Btf, BtfError, encodeBtf, loadBtfFile, parseKernelBtf, type BtfTypeInput } from "../../src/btf/index.js";
import { dumpC } from "../../src/btf/dump-c.js";
import { formatValueJson } from "../../src/btf/format-value.js";
import { ElfError } from "../../src/elf/errors.js";
import { readElfSections, readRegularFile } from "../../src/elf/file.js";
import { loadObjectSpec } from "../../src/object/object-spec.js";
import { ObjectError } from "../../src/object/errors.js";
import { CLI } from "../util/cli.js";

test("kernel BTF: writing to its bytes, words or strings cannot crash the process (the sysfs mapping is read-only)", () => {
  const btf = parseKernelBtf();
  const task = btf.typesByName("task_struct");
  btf.bytes.fill(0);
  btf.words.fill(0);
  btf.strings.bytes.fill(0x41);
  // The copies handed out are stable, and parsing still reads the untouched mapping.
  assert.equal(btf.bytes, btf.bytes);
  assert.equal(btf.bytes[0], 0);
  assert.deepEqual(btf.typesByName("task_struct"), task);
  assert.equal(task[0]?.name, "task_struct");
  // A fresh parse is unaffected too.
  assert.equal(Buffer.compare(Buffer.from(parseKernelBtf().bytes), readFileSync("/sys/kernel/btf/vmlinux")), 0);
});

/** Paths that are not regular files: endless, blocking or not files at all. */
function nonRegularInputs(dir: string): { path: string; kind: RegExp }[] {
  const fifo = join(dir, "fifo");
  execFileSync("mkfifo", [fifo]);
  return [
    { path: "/dev/zero", kind: /character device/ },
    { path: fifo, kind: /FIFO/ },
    { path: dir, kind: /directory/ },
  ];
}

test("non-regular files (/dev/zero, a FIFO, a directory) are refused at once with typed errors by every file reader", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-nonregular-"));
  try {
    for (const { path, kind } of nonRegularInputs(dir)) {
      assert.throws(() => loadBtfFile(path), (e) => e instanceof BtfError && kind.test(e.message) && e.message.includes(path));
      assert.throws(() => loadObjectSpec(path), (e) => e instanceof ObjectError && kind.test(e.message));
      assert.throws(() => readElfSections(path, [".BTF"]), (e) => e instanceof ElfError && kind.test(e.message));
      assert.throws(() => readRegularFile(path, (m) => new ElfError(m)), (e) => e instanceof ElfError && kind.test(e.message));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("CLI: btf dump file on /dev/zero or a FIFO fails at once with the reason", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-nonregular-"));
  try {
    for (const { path, kind } of nonRegularInputs(dir)) {
      // The timeout only detects a hang (it used to read /dev/zero until killed).
      const r = spawnSync(process.execPath, [CLI, "btf", "dump", "file", path, "format", "raw"], { encoding: "utf8", timeout: 60_000 });
      assert.equal(r.status, 1, `${path}: ${r.stderr}`);
      assert.match(r.stderr, kind);
      assert.equal(r.stdout, "");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- the C dumper: cycles and sizes no compiler accepts ----------------------------------

const INT = { kind: "INT", name: "int", kindFlag: false, size: 4, signed: true, char: false, bool: false, bitOffset: 0, bits: 32 } as const;
const CHAR = { kind: "INT", name: "char", kindFlag: false, size: 1, signed: true, char: true, bool: false, bitOffset: 0, bits: 8 } as const;
const ref = (kind: "PTR" | "TYPEDEF" | "VOLATILE" | "CONST" | "RESTRICT", type: number, name = ""): BtfTypeInput => ({ kind, name, kindFlag: false, type });
const struct = (name: string, size: number, members: { name: string; type: number; bitOffset: number }[], kind: "STRUCT" | "UNION" = "STRUCT"): BtfTypeInput =>
  ({ kind, name, kindFlag: false, size, members: members.map((m) => ({ ...m, bitfieldSize: 0 })) });
const array = (type: number, nelems: number): BtfTypeInput => ({ kind: "ARRAY", name: "", kindFlag: false, type, indexType: 1, nelems });

/** Malformed BTF (ids from 1, in order) and what the error must name. */
const malformed: { what: string; types: BtfTypeInput[]; names: RegExp }[] = [
  { what: "a typedef of itself", types: [INT, ref("TYPEDEF", 2, "loop_t")], names: /\[2\] TYPEDEF 'loop_t'/ },
  { what: "typedef → typedef → back", types: [INT, ref("TYPEDEF", 3, "a_t"), ref("TYPEDEF", 2, "b_t")], names: /TYPEDEF '(a_t|b_t)'/ },
  { what: "const → volatile → const", types: [INT, ref("CONST", 3), ref("VOLATILE", 2), ref("TYPEDEF", 2, "cv_t")], names: /\[[23]\] (CONST|VOLATILE)/ },
  { what: "a pointer to itself", types: [INT, ref("PTR", 2), ref("TYPEDEF", 2, "p_t")], names: /\[2\] PTR/ },
  { what: "a pointer to a typedef of itself", types: [INT, ref("PTR", 3), ref("TYPEDEF", 2, "pp_t")], names: /(PTR|TYPEDEF 'pp_t')/ },
  {
    what: "a function prototype taking a pointer to itself",
    types: [INT, { kind: "FUNC_PROTO", name: "", kindFlag: false, returnType: 1, params: [{ name: "f", type: 3 }] }, ref("PTR", 2), ref("TYPEDEF", 3, "fn_t")],
    names: /(FUNC_PROTO|PTR)/,
  },
  { what: "a struct holding an array of itself", types: [INT, struct("self_arr", 8, [{ name: "a", type: 3, bitOffset: 0 }]), array(2, 2)], names: /STRUCT 'self_arr'/ },
  { what: "a struct holding itself", types: [INT, struct("self", 4, [{ name: "s", type: 2, bitOffset: 0 }])], names: /\[2\] STRUCT 'self'/ },
  {
    what: "an anonymous struct reached through a pointer from inside itself",
    types: [INT, struct("", 8, [{ name: "next", type: 3, bitOffset: 0 }]), ref("PTR", 2), ref("TYPEDEF", 2, "anon_t")],
    names: /(STRUCT '\(anon\)'|PTR)/,
  },
  { what: "a member at bit offset 2^31", types: [INT, struct("far", 4, [{ name: "x", type: 1, bitOffset: 2 ** 31 }])], names: /\[2\] STRUCT 'far'.*member 'x'/ },
  { what: "a member larger than its struct", types: [INT, array(1, 1000), struct("small", 4, [{ name: "big", type: 2, bitOffset: 0 }])], names: /STRUCT 'small'.*member 'big'/ },
  { what: "a struct of size 0xffffffff", types: [CHAR, struct("huge", 0xffff_ffff, [{ name: "c", type: 1, bitOffset: 0 }])], names: /\[2\] STRUCT 'huge'/ },
  { what: "an empty struct of size 0xffffffff", types: [struct("huge_empty", 0xffff_ffff, [])], names: /\[1\] STRUCT 'huge_empty'/ },
  { what: "a union of size 0xffffffff holding itself", types: [struct("u", 0xffff_ffff, [{ name: "u", type: 1, bitOffset: 0 }], "UNION")], names: /UNION 'u'/ },
];

for (const { what, types, names } of malformed) {
  test(`dumpC: ${what} is a BtfError naming the type, not a stack overflow or gigabytes of padding`, () => {
    const btf = new Btf(encodeBtf(types));
    let printed = 0;
    assert.throws(() => dumpC(btf, { onChunk: (c) => (printed += c.byteLength) }), (e) => e instanceof BtfError && names.test(e.message));
    assert.ok(printed < 1 << 20, `printed ${printed} bytes before failing`);
  });
}

test("dumpC: a chain of 100,000 const qualifiers is a BtfError (too deep), not a stack overflow", () => {
  const types: BtfTypeInput[] = [INT];
  for (let i = 0; i < 100_000; i++) types.push(ref("CONST", i + 1));
  types.push(ref("TYPEDEF", types.length, "deep_t"));
  const btf = new Btf(encodeBtf(types));
  assert.throws(() => dumpC(btf), (e) => e instanceof BtfError && /nests more than \d+ types deep/.test(e.message));
});

test("dumpC: cycles C allows still print (a struct list through a pointer, through a typedef, a fwd)", () => {
  const btf = new Btf(encodeBtf([
    INT,
    struct("node", 16, [{ name: "next", type: 3, bitOffset: 0 }, { name: "v", type: 1, bitOffset: 64 }]),
    ref("PTR", 4),
    ref("TYPEDEF", 2, "node_t"),
  ]));
  const text = new TextDecoder().decode(dumpC(btf));
  assert.match(text, /typedef struct node node_t;\n\nstruct node \{\n\tnode_t \*next;\n\tint v;\n\};/);
});

test("dumpC on an unknown root id is a BtfError", () => {
  const btf = new Btf(encodeBtf([INT]));
  assert.throws(() => dumpC(btf, { rootIds: [7] }), BtfError);
});

// ---- the value formatter (map dumps): the same malformed types -----------------------------

test("formatValueJson: members outside the value, cycles and zero-size element explosions are BtfErrors", () => {
  const value = new Uint8Array(64);
  const far = new Btf(encodeBtf([INT, struct("far", 4, [{ name: "x", type: 1, bitOffset: 2 ** 31 }])]));
  assert.throws(() => formatValueJson(far, 2, value), (e) => e instanceof BtfError && /'far': member 'x'/.test(e.message));
  const self = new Btf(encodeBtf([INT, struct("self", 4, [{ name: "s", type: 2, bitOffset: 0 }])]));
  assert.throws(() => formatValueJson(self, 2, value), BtfError);
  const loop = new Btf(encodeBtf([INT, ref("CONST", 3), ref("VOLATILE", 2)]));
  assert.throws(() => formatValueJson(loop, 2, value), BtfError);
  // empty struct; 60,000 of them; 60,000 of those: zero bytes of value, 3.6e9 elements to print.
  const explode = new Btf(encodeBtf([INT, struct("empty", 0, []), array(2, 60_000), array(3, 60_000)]));
  assert.throws(() => formatValueJson(explode, 4, value), (e) => e instanceof BtfError && /expands to more/.test(e.message));
});

test("formatValueJson: an INT wider than its size or with bits past it is a BtfError, not a read past the value", () => {
  // Found by the fuzz suite: a 32-bit INT of size 2, and a 105-bit INT at a bit offset.
  const narrow = new Btf(encodeBtf([{ ...INT, size: 2 }]));
  assert.throws(() => formatValueJson(narrow, 1, new Uint8Array(2)), (e) => e instanceof BtfError && /runs past the 2-byte value/.test(e.message));
  const wide = new Btf(encodeBtf([{ ...INT, size: 4, bitOffset: 2, bits: 105 }]));
  assert.throws(() => formatValueJson(wide, 1, new Uint8Array(4)), (e) => e instanceof BtfError && /runs past the 4-byte value/.test(e.message));
});
