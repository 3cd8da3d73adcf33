import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { BtfError } from "../../src/index.js";
import { btfFromElf, parseBtfExt } from "../../src/btf/index.js";
import { ElfFile } from "../../src/elf/index.js";

const fixtures = new URL("../../../test/fixtures/btf/", import.meta.url).pathname;

function load(name: string) {
  const elf = new ElfFile(readFileSync(fixtures + name));
  const { btf, ext } = btfFromElf(elf);
  assert.ok(btf && ext, `${name} has .BTF and .BTF.ext`);
  return { elf, btf, ext };
}

test("line info text equals the source lines", () => {
  for (const name of ["kinds.bpf.o", "kinds.bpfeb.o", "core.bpf.o"]) {
    const { ext } = load(name);
    const source = readFileSync(fixtures + name.replace(/\.bpf(eb)?\.o$/, ".bpf.c"), "utf8").split("\n");
    let n = 0;
    for (const [, infos] of ext.lineInfos) {
      for (const li of infos) {
        assert.equal(li.fileName, "./" + name.replace(/\.bpf(eb)?\.o$/, ".bpf.c"));
        assert.equal(li.lineText, source[li.line - 1], `${name} line ${li.line}`);
        assert.ok(li.column >= 0 && li.column < 1024);
        n++;
      }
    }
    assert.ok(n > 5, `${name} has line info`);
    assert.equal(ext.lineInfoRecordSize, 16);
  }
});

test("func info names each program and subprogram's FUNC type", () => {
  const { btf, ext, elf } = load("kinds.bpf.o");
  assert.equal(ext.funcInfoRecordSize, 8);
  const funcs = [...ext.funcInfos].map(([sec, infos]) => [sec, infos.map((f) => btf.typeOfKind(f.typeId, "FUNC").name)]);
  assert.deepEqual(funcs.sort(), [[".text", ["add"]], ["tracepoint/syscalls/sys_enter_getpid", ["handle"]]]);
  // Every func info points at a function symbol of that section at that offset.
  const syms = elf.symbols();
  for (const [sec, infos] of ext.funcInfos) {
    for (const f of infos) {
      const sym = syms.find((s) => s.type === "func" && elf.sectionAt(s.sectionIndex).name === sec && Number(s.value) === f.insnOffset);
      assert.equal(sym?.name, btf.nameOf(f.typeId));
    }
  }
});

test("CO-RE relocation records: kinds, root types and access strings", () => {
  const { btf, ext } = load("core.bpf.o");
  assert.equal(ext.coreReloRecordSize, 16);
  const relos = ext.coreRelos.get("tp_btf/sched_switch");
  assert.ok(relos);
  const seen = relos.map((r) => `${r.kindName} ${btf.nameOf(r.typeId)} ${r.accessString}`).sort();
  assert.deepEqual(seen, [
    "ENUMVAL_VALUE pid_type 1",
    "FIELD_BYTE_OFFSET task_struct 0:1",
    "FIELD_BYTE_OFFSET task_struct 0:2",
    "FIELD_BYTE_SIZE task_struct 0:3",
    "FIELD_EXISTS task_struct 0:3",
    "TYPE_ID_TARGET task_struct 0",
    "TYPE_SIZE task_struct 0",
  ]);
  for (const r of relos) assert.equal(r.insnOffset % 8, 0, "instruction offsets are in bytes");
  assert.equal(load("kinds.bpf.o").ext.coreRelos.size, 0);
});

test("malformed .BTF.ext is BtfError", () => {
  const { elf, btf } = load("core.bpf.o");
  const section = elf.section(".BTF.ext");
  assert.ok(section);
  const good = Buffer.from(elf.data(section));
  const mutate = (f: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(good);
    f(b);
    return b;
  };
  const cases = [
    good.subarray(0, 6),
    mutate((b) => b.writeUInt16LE(0x1234, 0)),
    mutate((b) => b.writeUInt32LE(0xffff_ff00, 4)),
    mutate((b) => b.writeUInt32LE(0xffff_ff00, 12)),
    mutate((b) => b.writeUInt32LE(3, b.readUInt32LE(4) + b.readUInt32LE(8))),
    mutate((b) => b.writeUInt32LE(0x7fff_ffff, b.readUInt32LE(4) + b.readUInt32LE(16) + 8)),
    good.subarray(0, good.length - 4),
  ];
  for (const [i, bytes] of cases.entries()) assert.throws(() => parseBtfExt(bytes, btf), BtfError, `case ${i}`);
});
