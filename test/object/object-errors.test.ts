// Bad input becomes ObjectError / UnknownSectionError naming the culprit,
// never another exception.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ObjectSpec, ObjectError, UnknownSectionError, ProgramType, loadObjectSpec } from "../../src/index.js";
import { ElfFile } from "../../src/elf/index.js";

const fixtures = path.resolve(import.meta.dirname, "../../../test/fixtures/object");
const fixture = (f: string): Uint8Array => new Uint8Array(readFileSync(path.join(fixtures, f)));

/** Renames a section in place (same length) by rewriting its name in .shstrtab. */
function renameSection(bytes: Uint8Array, from: string, to: string): Uint8Array {
  assert.equal(from.length, to.length);
  const out = bytes.slice();
  const elf = new ElfFile(out);
  const names = elf.sections[elf.header.shstrndx]!;
  const s = elf.section(from)!;
  const at = names.offset + s.nameOffset;
  out.set(new TextEncoder().encode(to), at);
  return out;
}

test("truncated and non-BPF inputs are ObjectErrors", () => {
  const good = fixture("link.bpf.o");
  for (const len of [0, 10, 63, 64, 200, good.length - 1]) {
    assert.throws(() => ObjectSpec.parse(good.subarray(0, len)), ObjectError, `length ${len}`);
  }
  const x86 = good.slice();
  x86[18] = 62;
  assert.throws(() => ObjectSpec.parse(x86), /e_machine is 62/);
  assert.throws(() => loadObjectSpec("/nonexistent/x.o"), { code: "NOT_FOUND" });
});

test("an unknown SEC() name is UnknownSectionError unless overridden", () => {
  const bytes = renameSection(fixture("maps.bpf.o"), "sk_msg", "bogus1");
  assert.throws(() => ObjectSpec.parse(bytes), (e: unknown) => e instanceof UnknownSectionError && e.section === "bogus1" && e.code === "UNKNOWN_SECTION");
  const spec = ObjectSpec.parse(bytes, { programTypes: { bogus1: { type: ProgramType.SkMsg } } });
  assert.equal(spec.program("skmsg").type, ProgramType.SkMsg);
  const lax = ObjectSpec.parse(bytes, { allowUnknownSections: true });
  assert.throws(() => lax.program("skmsg").type, UnknownSectionError);
  lax.program("skmsg").setType(ProgramType.SkMsg);
  assert.equal(lax.program("skmsg").type, ProgramType.SkMsg);
});

test("relocations against missing or wrong-kind symbols name the symbol", () => {
  const bytes = fixture("link.bpf.o");
  const elf = new ElfFile(bytes);
  const symtab = elf.sections.find((s) => s.type === 2)!;
  const syms = elf.symbols(symtab);
  const rel = elf.sections.find((s) => s.name === ".reltracepoint/syscalls/sys_enter_getpid")!;
  const relos = elf.relocations(rel);
  // Point the map relocation of `first` at a symbol past the end of the table.
  const mapIdx = relos.findIndex((r) => syms[r.symbol]?.name === "counters");
  const bad = bytes.slice();
  new DataView(bad.buffer).setUint32(rel.offset + mapIdx * 16 + 12, syms.length + 5, true);
  assert.throws(() => ObjectSpec.parse(bad), (e: unknown) => e instanceof ObjectError && /past the end of the symbol table/.test(e.message));
  // Point it at the LICENSE object: a section with neither code, maps nor data.
  const lic = syms.findIndex((s) => s.name === "LICENSE");
  const wrong = bytes.slice();
  new DataView(wrong.buffer).setUint32(rel.offset + mapIdx * 16 + 12, lic, true);
  assert.throws(() => ObjectSpec.parse(wrong), (e: unknown) => e instanceof ObjectError && e.symbol === "LICENSE" && /license/.test(e.message));
  // Move a relocation off its instruction.
  const off = bytes.slice();
  new DataView(off.buffer).setBigUint64(rel.offset + mapIdx * 16, BigInt(relos[mapIdx]!.offset + 8), true);
  assert.throws(() => ObjectSpec.parse(off), ObjectError);
});

test("missing .BTF for BTF-defined maps is an ObjectError naming .maps", () => {
  const bytes = renameSection(fixture("maps.bpf.o"), ".BTF", ".XYZ");
  assert.throws(() => ObjectSpec.parse(bytes), (e: unknown) => e instanceof ObjectError && (e.section === ".maps" || /BTF/.test(e.message)));
});

// Mutated objects (ObjectSpec.parse and the loader's pure steps) are fuzzed in test/fuzz/fuzz.test.ts.
