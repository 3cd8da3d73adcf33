// The raw dumper against bpftool's `format raw` text and `-j` JSON, on this
// kernel's BTF and on real-world objects (every BTF kind appears in one of them).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { loadBtfFile } from "../../src/btf/discovery.js";
import { dumpRaw } from "../../src/btf/dump-raw.js";
import { haveBpftool } from "../util/kernel.js";
import { assertSameText, bpftoolBtfDump, withDumpObjects } from "../util/btf-dump-oracle.js";
import { missingOracle, skipFor } from "../util/environment.js";

const VMLINUX = "/sys/kernel/btf/vmlinux";
const bpftool = haveBpftool();

test("vmlinux raw text is byte-identical to bpftool", (t) => {
  if (!existsSync(VMLINUX)) return skipFor(t, "no vmlinux BTF");
  if (!bpftool) return missingOracle(t, "bpftool");
  assertSameText(dumpRaw(loadBtfFile(VMLINUX)), bpftoolBtfDump(VMLINUX, "raw"), "vmlinux raw");
});

test("vmlinux raw JSON is byte-identical to bpftool -j", (t) => {
  if (!existsSync(VMLINUX)) return skipFor(t, "no vmlinux BTF");
  if (!bpftool) return missingOracle(t, "bpftool");
  assertSameText(dumpRaw(loadBtfFile(VMLINUX), { json: true }), bpftoolBtfDump(VMLINUX, "raw", true), "vmlinux raw JSON");
});

test("objects' raw text and JSON are byte-identical to bpftool", (t) => {
  if (!bpftool) return missingOracle(t, "bpftool");
  withDumpObjects(t, (files) => {
    for (const file of files) {
      const btf = loadBtfFile(file);
      assertSameText(dumpRaw(btf), bpftoolBtfDump(file, "raw"), path.basename(file));
      assertSameText(dumpRaw(btf, { json: true }), bpftoolBtfDump(file, "raw", true), `${path.basename(file)} (JSON)`);
    }
  });
});

test("rootId prints one type; every kind's line has its fields", (t) => {
  if (!existsSync(VMLINUX)) return skipFor(t, "no vmlinux BTF");
  const btf = loadBtfFile(VMLINUX);
  const text = (id: number): string => Buffer.from(dumpRaw(btf, { rootId: id })).toString();
  const intId = btf.typesByName("int", "INT")[0]?.id ?? 0;
  assert.equal(text(intId), `[${intId}] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\n`);
  const list = btf.typesByName("list_head", "STRUCT")[0];
  assert.ok(list);
  assert.match(text(list.id), new RegExp(`^\\[${list.id}\\] STRUCT 'list_head' size=16 vlen=2\\n\\t'next' type_id=\\d+ bits_offset=0\\n\\t'prev' type_id=\\d+ bits_offset=64\\n$`));
});
