// Bad input becomes ObjectError / UnknownSectionError naming the culprit,
// never another exception.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ObjectSpec, ObjectError, UnknownSectionError, ProgramType, loadObjectSpec } from "../src/index.js";
import { ElfFile } from "../src/elf/index.js";

const fixtures = path.resolve(import.meta.dirname, "../../test/fixtures/object");
const fixture = (f: string): Uint8Array => new Uint8Array(readFileSync(path.join(fixtures, f)));
/** Mutated objects per run of the fuzz test: a count, not a time budget, so a busy machine runs the same cases. */
const MUTATIONS = 3000;

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

test("fuzzed objects only ever throw ObjectError", () => {
  const seeds = ["link.bpf.o", "maps.bpf.o", "maps.bpf.eb.o", "externs.bpf.o", "local-calls.bpf.o", "legacy.bpf.o"].map(fixture);
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  let runs = 0;
  let parsed = 0;
  while (runs < MUTATIONS) {
    const input = seeds[runs % seeds.length]!.slice();
    const flips = 1 + rand(8);
    for (let i = 0; i < flips; i++) {
      const at = rand(input.length);
      input[at] = rand(3) === 0 ? 0xff : rand(256);
    }
    try {
      ObjectSpec.parse(input, { allowUnknownSections: true });
      parsed++;
    } catch (e) {
      if (!(e instanceof ObjectError)) assert.fail(`run ${runs}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    }
    runs++;
  }
  assert.ok(parsed > 0);
});
