// The C dumper against its oracles: bpftool's `format c` output (byte for
// byte) on this kernel's BTF and on real-world objects, and clang-19, which
// must compile a program that includes the generated vmlinux.h.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Btf } from "../../src/btf/btf.js";
import { BtfError } from "../../src/btf/errors.js";
import { loadBtfFile } from "../../src/btf/discovery.js";
import { dumpC, dumpCText } from "../../src/btf/dump-c.js";
import { encodeBtf } from "../../src/btf/encode.js";
import { haveBpftool } from "../util/kernel.js";
import { assertSameText, bpftoolBtfDump, withDumpObjects } from "../util/btf-dump-oracle.js";
import { missingOracle, requireOracle, skipFor } from "../util/environment.js";

const VMLINUX = "/sys/kernel/btf/vmlinux";
const FIXTURES = fileURLToPath(new URL("../../../test/fixtures", import.meta.url));
const bpftool = haveBpftool();

test("vmlinux format c is byte-identical to bpftool", (t) => {
  if (!existsSync(VMLINUX)) return skipFor(t, "no vmlinux BTF");
  if (!bpftool) return missingOracle(t, "bpftool");
  const ours = dumpC(loadBtfFile(VMLINUX));
  assertSameText(ours, bpftoolBtfDump(VMLINUX, "c"), "vmlinux.h");
});

test("objects' format c is byte-identical to bpftool (libbpf-tools and fixtures)", (t) => {
  if (!bpftool) return missingOracle(t, "bpftool");
  withDumpObjects(t, (files) => {
    for (const file of files) assertSameText(dumpC(loadBtfFile(file)), bpftoolBtfDump(file, "c"), path.basename(file));
  });
});

test("the generated vmlinux.h compiles with clang-19 -target bpf", (t) => {
  if (!existsSync(VMLINUX)) return skipFor(t, "no vmlinux BTF");
  if (!requireOracle(t, "clang-19")) return;
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-vmlinux-h-"));
  try {
    writeFileSync(path.join(dir, "vmlinux.h"), dumpC(loadBtfFile(VMLINUX)));
    copyFileSync(path.join(FIXTURES, "dump", "uses-vmlinux.bpf.c"), path.join(dir, "prog.bpf.c"));
    execFileSync("clang-19", ["-target", "bpf", "-O2", "-g", "-Wall", "-Werror", "-c", "prog.bpf.c", "-o", "prog.bpf.o"], { cwd: dir, stdio: "pipe" });
    // The object's BTF knows task_struct through the header's definitions.
    const obj = loadBtfFile(path.join(dir, "prog.bpf.o"));
    assert.ok(obj.typesByName("task_struct", "STRUCT").length === 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A small hand-built BTF exercising the tricky declarators, padding and naming rules. */
function handBuiltBtf(): Btf {
  return new Btf(encodeBtf([
    /* 1 */ { kind: "INT", name: "int", kindFlag: false, size: 4, signed: true, char: false, bool: false, bitOffset: 0, bits: 32 },
    /* 2 */ { kind: "INT", name: "char", kindFlag: false, size: 1, signed: true, char: false, bool: false, bitOffset: 0, bits: 8 },
    /* 3 */ { kind: "PTR", name: "", kindFlag: false, type: 4 },
    /* 4 */ { kind: "STRUCT", name: "node", kindFlag: true, size: 16, members: [
      { name: "next", type: 3, bitOffset: 0, bitfieldSize: 0 },
      { name: "a", type: 1, bitOffset: 64, bitfieldSize: 3 },
      { name: "b", type: 1, bitOffset: 67, bitfieldSize: 5 },
    ] },
    /* 5 */ { kind: "ARRAY", name: "", kindFlag: false, type: 2, indexType: 1, nelems: 16 },
    /* 6 */ { kind: "FUNC_PROTO", name: "", kindFlag: false, returnType: 1, params: [{ name: "p", type: 3 }, { name: "", type: 0 }] },
    /* 7 */ { kind: "PTR", name: "", kindFlag: false, type: 6 },
    /* 8 */ { kind: "ARRAY", name: "", kindFlag: false, type: 7, indexType: 1, nelems: 2 },
    /* 9 */ { kind: "STRUCT", name: "holder", kindFlag: false, size: 48, members: [
      { name: "name", type: 5, bitOffset: 0, bitfieldSize: 0 },
      { name: "cbs", type: 8, bitOffset: 192, bitfieldSize: 0 },
      { name: "last", type: 2, bitOffset: 320, bitfieldSize: 0 },
    ] },
    /* 10 */ { kind: "STRUCT", name: "node", kindFlag: false, size: 4, members: [{ name: "x", type: 1, bitOffset: 0, bitfieldSize: 0 }] },
    /* 11 */ { kind: "ENUM", name: "", kindFlag: false, size: 4, signed: false, values: [{ name: "ONE", value: 1 }] },
    /* 12 */ { kind: "STRUCT", name: "packed_one", kindFlag: false, size: 5, members: [
      { name: "c", type: 2, bitOffset: 0, bitfieldSize: 0 },
      { name: "i", type: 1, bitOffset: 8, bitfieldSize: 0 },
    ] },
    /* 13 */ { kind: "INT", name: "long", kindFlag: false, size: 8, signed: true, char: false, bool: false, bitOffset: 0, bits: 64 },
  ]));
}

test("hand-built BTF: declarators, bitfields, padding, packed and name clashes", () => {
  const text = dumpCText(handBuiltBtf());
  for (const expected of [
    "struct node {\n\tstruct node *next;\n\tint a: 3;\n\tint b: 5;\n};",
    // cbs sits 8 bytes past its natural offset: an explicit padding member keeps it there.
    "struct holder {\n\tchar name[16];\n\tlong: 64;\n\tint (*cbs[2])(struct node *p, ...);\n\tchar last;\n};",
    "struct node___2 {\n\tint x;\n};",
    "enum {\n\tONE = 1,\n};",
    "struct packed_one {\n\tchar c;\n\tint i;\n} __attribute__((packed));",
  ]) {
    assert.ok(text.includes(expected), `missing:\n${expected}\n--- in ---\n${text}`);
  }
  assert.ok(text.startsWith("#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n"));
  assert.ok(text.endsWith("#endif /* __VMLINUX_H__ */\n"));
});

test("hand-built BTF matches bpftool too", (t) => {
  if (!bpftool) return missingOracle(t, "bpftool");
  const btf = handBuiltBtf();
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-dump-hand-"));
  try {
    const file = path.join(dir, "hand.btf");
    writeFileSync(file, btf.bytes);
    assertSameText(dumpC(btf), bpftoolBtfDump(file, "c"), "hand-built BTF");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("rootIds limits the dump to what the roots need", () => {
  const text = dumpCText(handBuiltBtf(), { rootIds: [9] });
  assert.ok(text.includes("struct holder {"));
  assert.ok(text.includes("struct node;\n"), "the pointee only needs a forward declaration");
  assert.ok(!text.includes("packed_one"));
});

test("a struct containing itself by value is a BtfError, not a hang", () => {
  const btf = new Btf(encodeBtf([
    { kind: "INT", name: "int", kindFlag: false, size: 4, signed: true, char: false, bool: false, bitOffset: 0, bits: 32 },
    { kind: "STRUCT", name: "loop", kindFlag: false, size: 4, members: [{ name: "self", type: 2, bitOffset: 0, bitfieldSize: 0 }] },
  ]));
  assert.throws(() => dumpC(btf), BtfError);
});

test("types reached only through pointers get forward declarations, not definitions", () => {
  const btf = new Btf(encodeBtf([
    { kind: "STRUCT", name: "a", kindFlag: false, size: 8, members: [{ name: "b", type: 2, bitOffset: 0, bitfieldSize: 0 }] },
    { kind: "PTR", name: "", kindFlag: false, type: 3 },
    { kind: "STRUCT", name: "b", kindFlag: false, size: 8, members: [{ name: "a", type: 4, bitOffset: 0, bitfieldSize: 0 }] },
    { kind: "PTR", name: "", kindFlag: false, type: 1 },
  ]));
  const text = dumpCText(btf);
  assert.ok(text.includes("struct b;\n\nstruct a {\n\tstruct b *b;\n};\n\nstruct b {\n\tstruct a *a;\n};\n"), text);
});
