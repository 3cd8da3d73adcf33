import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, existsSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ElfError } from "../../src/index.js";
import { ElfFile, EM_BPF, SHT, readElfSections } from "../../src/elf/index.js";
import { missingOracle } from "../util/environment.js";

const fixtures = new URL("../../../test/fixtures/btf/", import.meta.url).pathname;
const readelf = ["llvm-readelf-19", "llvm-readelf", "readelf"].find((t) => {
  try {
    execFileSync(t, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
});

function run(args: string[]): string {
  return execFileSync(readelf as string, args, { encoding: "utf8", maxBuffer: 1 << 28 });
}

test("ELF header and sections of a BPF object match readelf", (t) => {
  if (!readelf) return missingOracle(t, "readelf");
  for (const name of ["kinds.bpf.o", "kinds.bpfeb.o", "core.bpf.o"]) {
    const path = fixtures + name;
    const elf = new ElfFile(readFileSync(path));
    assert.equal(elf.header.machine, EM_BPF);
    assert.equal(elf.header.type, 1);
    assert.equal(elf.header.littleEndian, !name.includes("bpfeb"));
    const expected = [...run(["-S", "--wide", path]).matchAll(/^\s+\[\s*(\d+)\]\s+(\S*)\s+([A-Z_]+)\s+([0-9a-f]{16}) ([0-9a-f]+) ([0-9a-f]+)/gm)];
    assert.equal(elf.sections.length, expected.length, name);
    for (const m of expected) {
      const s = elf.sections[Number(m[1])];
      assert.ok(s);
      assert.equal(s.name, m[2] ?? "", `${name} section ${m[1]}`);
      assert.equal(s.offset, parseInt(m[5] ?? "", 16));
      assert.equal(s.size, parseInt(m[6] ?? "", 16));
    }
  }
});

test("symbols match readelf -s", (t) => {
  if (!readelf) return missingOracle(t, "readelf");
  const path = fixtures + "kinds.bpf.o";
  const elf = new ElfFile(readFileSync(path));
  const syms = elf.symbols();
  const rows = [...run(["-s", "--wide", path]).matchAll(/^\s+(\d+): ([0-9a-f]{16})\s+(\d+) (\w+)\s+(\w+)\s+(\w+)\s+(\w+) ?(.*)$/gm)];
  assert.equal(syms.length, rows.length);
  const ndx: Record<string, number> = { UND: 0, ABS: 0xfff1, COM: 0xfff2 };
  for (const r of rows) {
    const s = syms[Number(r[1])];
    assert.ok(s);
    assert.equal(s.value, BigInt("0x" + r[2]));
    assert.equal(s.size, BigInt(r[3] ?? "0"));
    assert.equal(String(s.type).toUpperCase(), r[4]);
    assert.equal(String(s.binding).toUpperCase(), r[5]);
    assert.equal(s.visibility.toUpperCase(), r[6]);
    assert.equal(s.sectionIndex, ndx[r[7] ?? ""] ?? Number(r[7]));
    // readelf shows section symbols by their section's name.
    assert.equal(s.type === "section" && s.name === "" ? elf.sectionAt(s.sectionIndex).name : s.name, r[8] ?? "");
  }
  const handle = syms.find((s) => s.name === "handle");
  assert.equal(handle?.type, "func");
  assert.equal(handle?.binding, "global");
  assert.equal(elf.sectionAt(handle?.sectionIndex ?? 0).name, "tracepoint/syscalls/sys_enter_getpid");
});

test("REL relocations match readelf -r, in both byte orders", (t) => {
  if (!readelf) return missingOracle(t, "readelf");
  for (const name of ["kinds.bpf.o", "kinds.bpfeb.o"]) {
    const path = fixtures + name;
    const elf = new ElfFile(readFileSync(path));
    const syms = elf.symbols();
    const text = run(["-r", "--wide", path]);
    for (const block of text.split("Relocation section ").slice(1)) {
      const secName = /^'([^']+)'/.exec(block)?.[1] ?? "";
      const section = elf.section(secName);
      assert.ok(section, secName);
      assert.equal(section.type, SHT.REL);
      const rows = [...block.matchAll(/^([0-9a-f]{16})\s+([0-9a-f]{16})\s+(\S+)\s+[0-9a-f]{16}\s+(\S*)/gm)];
      const rels = elf.relocations(section);
      assert.equal(rels.length, rows.length, secName);
      rows.forEach((r, i) => {
        const rel = rels[i];
        assert.ok(rel);
        assert.equal(rel.offset, parseInt(r[1] ?? "", 16));
        const info = BigInt("0x" + r[2]);
        assert.equal(rel.symbol, Number(info >> 32n));
        assert.equal(rel.type, Number(info & 0xffffffffn));
        assert.equal(rel.addend, 0n);
        assert.equal(syms[rel.symbol]?.name || elf.sectionAt(syms[rel.symbol]?.sectionIndex ?? 0).name, r[4]);
      });
      assert.ok(elf.relocationSectionsFor(elf.sectionAt(section.info)).includes(section), "sh_info names the relocated section");
    }
  }
});

test("RELA relocations and notes of a host executable", (t) => {
  const path = "/usr/sbin/opensnoop";
  if (!existsSync(path)) return missingOracle(t, "libbpf-tools");
  if (!readelf) return missingOracle(t, "readelf");
  const elf = new ElfFile(readFileSync(path));
  const rela = elf.sections.find((s) => s.type === SHT.RELA);
  assert.ok(rela, "an x86-64 PIE has .rela.dyn");
  const rels = elf.relocations(rela);
  const count = Number(new RegExp(`'${rela.name.replace(/\./g, "\\.")}' at offset 0x[0-9a-f]+ contains (\\d+) entr`).exec(run(["-r", "--wide", path]))?.[1]);
  assert.equal(rels.length, count);
  const notes = elf.notes();
  const buildId = notes.find((n) => n.name === "GNU" && n.type === 3);
  assert.ok(buildId);
  const expected = /Build ID: ([0-9a-f]+)/.exec(run(["-n", path]))?.[1];
  assert.equal(Buffer.from(buildId.desc).toString("hex"), expected);
});

test("objects embedded in libbpf-tools binaries parse, with their BTF sections", (t) => {
  const tools = existsSync("/usr/sbin") ? readdirSync("/usr/sbin").filter((n) => /snoop$|^bio|^runq/.test(n)) : [];
  if (tools.length === 0) return missingOracle(t, "libbpf-tools");
  let found = 0;
  for (const tool of tools) {
    const bytes = readFileSync(join("/usr/sbin", tool));
    for (let p = bytes.indexOf("\x7fELF", 1); p > 0; p = bytes.indexOf("\x7fELF", p + 1)) {
      if (bytes[p + 4] !== 2 || bytes.readUInt16LE(p + 18) !== EM_BPF) continue;
      // The embedded image runs to its section table's end (clang puts that last).
      const shoff = Number(bytes.readBigUInt64LE(p + 40));
      const end = shoff + bytes.readUInt16LE(p + 60) * bytes.readUInt16LE(p + 58);
      const elf = new ElfFile(bytes.subarray(p, p + end));
      assert.ok(elf.section(".BTF"), tool);
      assert.ok(elf.symbols().length > 0);
      found++;
    }
  }
  assert.ok(found > 0, "at least one embedded BPF object");
});

test("readElfSections reads only what is asked, from disk", () => {
  const path = fixtures + "core.bpf.o";
  const whole = new ElfFile(readFileSync(path));
  const partial = readElfSections(path, [".BTF", ".BTF.ext", "missing"]);
  assert.equal(partial.sections.length, whole.sections.length);
  assert.deepEqual(new Uint8Array(partial.data.get(".BTF") ?? []), new Uint8Array(whole.data(whole.section(".BTF") ?? whole.sectionAt(0))));
  assert.equal(partial.data.has("missing"), false);
});

test("malformed ELF input gives ElfError", () => {
  const good = readFileSync(fixtures + "core.bpf.o");
  const cases: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["not ELF", new TextEncoder().encode("hello world, this is not an ELF file at all........................")],
    ["ELF32", Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, ...new Array(60).fill(0)])],
    ["truncated header", good.subarray(0, 40)],
    ["truncated sections", good.subarray(0, good.length - 100)],
  ];
  const hugeCount = Buffer.from(good);
  hugeCount.writeUInt16LE(0xfffe, 60);
  cases.push(["huge shnum", hugeCount]);
  const badOffset = Buffer.from(good);
  badOffset.writeBigUInt64LE(0xffff_ffff_ffffn, 40);
  cases.push(["shoff past end", badOffset]);
  for (const [what, bytes] of cases) {
    assert.throws(() => new ElfFile(bytes), ElfError, what);
  }
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-elf-"));
  try {
    writeFileSync(join(dir, "bad.o"), good.subarray(0, good.length - 100));
    assert.throws(() => readElfSections(join(dir, "bad.o"), [".BTF"]), ElfError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
