// The raw dumper against bpftool's `format raw` text and `-j` JSON, on this
// kernel's BTF and on real-world objects (every BTF kind appears in one of them).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadBtfFile } from "../src/btf/discovery.js";
import { dumpRaw } from "../src/btf/dump-raw.js";
import { haveBpftool } from "./util/kernel.js";
import { writeToolObject } from "./util/libbpf-tools.js";

const VMLINUX = "/sys/kernel/btf/vmlinux";
const FIXTURES = fileURLToPath(new URL("../../test/fixtures", import.meta.url));
const TOOLS = ["opensnoop", "execsnoop", "runqlat", "biolatency", "tcpconnect", "bashreadline", "runqslower", "tcplife"];
const bpftool = haveBpftool();

function bpftoolRaw(file: string, json = false): Buffer {
  return execFileSync("bpftool", [...(json ? ["-j"] : []), "btf", "dump", "file", file], { maxBuffer: 1 << 28 });
}

function assertSameText(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (Buffer.compare(Buffer.from(actual), Buffer.from(expected)) === 0) return;
  const a = Buffer.from(actual).toString("utf8").split("\n");
  const e = Buffer.from(expected).toString("utf8").split("\n");
  const line = a.findIndex((l, i) => l !== e[i]);
  const col = [...(a[line] ?? "")].findIndex((c, i) => c !== e[line]?.[i]);
  assert.fail(`${what}: line ${line + 1} differs at column ${col}\n  tsbpf:   ${JSON.stringify(a[line]?.slice(Math.max(0, col - 80), col + 80))}\n  bpftool: ${JSON.stringify(e[line]?.slice(Math.max(0, col - 80), col + 80))}`);
}

test("vmlinux raw text is byte-identical to bpftool", { skip: !existsSync(VMLINUX) && "no /sys/kernel/btf/vmlinux" }, (t) => {
  if (!bpftool) return t.skip("bpftool is not installed");
  assertSameText(dumpRaw(loadBtfFile(VMLINUX)), bpftoolRaw(VMLINUX), "vmlinux raw");
});

test("vmlinux raw JSON is byte-identical to bpftool -j", { skip: !existsSync(VMLINUX) && "no /sys/kernel/btf/vmlinux" }, (t) => {
  if (!bpftool) return t.skip("bpftool is not installed");
  assertSameText(dumpRaw(loadBtfFile(VMLINUX), { json: true }), bpftoolRaw(VMLINUX, true), "vmlinux raw JSON");
});

test("objects' raw text and JSON are byte-identical to bpftool", (t) => {
  if (!bpftool) return t.skip("bpftool is not installed");
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-dump-raw-"));
  try {
    const files = TOOLS.map((tool) => writeToolObject(tool, dir)).filter((f): f is string => f !== undefined);
    const fixtureDir = path.join(FIXTURES, "btf");
    if (existsSync(fixtureDir)) {
      for (const f of readdirSync(fixtureDir)) if (f.endsWith(".o")) files.push(path.join(fixtureDir, f));
    }
    if (files.length === 0) return t.skip("no libbpf-tools objects and no fixtures");
    for (const file of files) {
      const btf = loadBtfFile(file);
      assertSameText(dumpRaw(btf), bpftoolRaw(file), path.basename(file));
      assertSameText(dumpRaw(btf, { json: true }), bpftoolRaw(file, true), `${path.basename(file)} (JSON)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("rootId prints one type; every kind's line has its fields", (t) => {
  if (!existsSync(VMLINUX)) return t.skip("no /sys/kernel/btf/vmlinux");
  const btf = loadBtfFile(VMLINUX);
  const text = (id: number): string => Buffer.from(dumpRaw(btf, { rootId: id })).toString();
  const intId = btf.typesByName("int", "INT")[0]?.id ?? 0;
  assert.equal(text(intId), `[${intId}] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\n`);
  const list = btf.typesByName("list_head", "STRUCT")[0];
  assert.ok(list);
  assert.match(text(list.id), new RegExp(`^\\[${list.id}\\] STRUCT 'list_head' size=16 vlen=2\\n\\t'next' type_id=\\d+ bits_offset=0\\n\\t'prev' type_id=\\d+ bits_offset=64\\n$`));
});
