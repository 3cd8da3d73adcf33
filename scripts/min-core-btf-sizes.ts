// Prints the "min_core_btf sizes" table of docs/benchmarks.md: the size of
// tsbpf's minimal BTF next to bpftool's `gen min_core_btf` output for the
// same objects (Debian's libbpf-tools, and the project's CO-RE fixture
// test/fixtures/btf/core.bpf.o, whose enum relocation shows the one place
// the two differ), on every kernel BTF the tests use.
// Usage (after `npx tsc -p .`): node dist/scripts/min-core-btf-sizes.js
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Btf } from "../src/btf/btf.js";
import { loadBtfFile } from "../src/btf/discovery.js";
import { ObjectSpec } from "../src/object/object-spec.js";
import { minimizeCoreBtf } from "../src/gen/min-core-btf/index.js";
import { kernelBtfCorpus } from "../test/util/kernel-btf-corpus.js";
import { fixtureCoreObjects, toolCoreObjects } from "../test/util/min-core-btf.js";

/** Tools shown one by one; the other rows sum or combine every tool. */
const SHOWN = ["opensnoop", "execsnoop", "biosnoop", "runqslower", "tcpconnect", "tcptracer", "btf/core.bpf.o"];

const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-min-core-btf-sizes-"));
try {
  const fixture = fixtureCoreObjects().filter((o) => o.name === "btf/core.bpf.o");
  const tools = [...toolCoreObjects(), ...fixture].map((o) => {
    const file = path.join(dir, `${o.name.replace("/", "-")}.bpf.o`);
    writeFileSync(file, o.bytes);
    return { ...o, file, spec: ObjectSpec.parse(o.bytes, { name: o.name }) };
  });
  if (tools.length === fixture.length) throw new Error("no libbpf-tools objects (Debian package libbpf-tools)");
  const bpftool = (kernel: string, objects: readonly string[]): { bytes: number; types: number } => {
    const out = path.join(dir, "theirs.btf");
    execFileSync("bpftool", ["gen", "min_core_btf", kernel, out, ...objects]);
    const bytes = readFileSync(out);
    return { bytes: bytes.length, types: new Btf(bytes).count };
  };
  console.log("| kernel BTF | objects | tsbpf bytes (types) | bpftool bytes (types) | tsbpf / bpftool |");
  console.log("|---|---|---:|---:|---:|");
  for (const kernel of kernelBtfCorpus()) {
    const full = loadBtfFile(kernel.path);
    const row = (label: string, ours: { bytes: number; types: number }, theirs: { bytes: number; types: number }): void => {
      console.log(`| ${kernel.name} | ${label} | ${ours.bytes} (${ours.types}) | ${theirs.bytes} (${theirs.types}) | ${(ours.bytes / theirs.bytes).toFixed(2)} |`);
    };
    const mine = (specs: readonly ObjectSpec[]): { bytes: number; types: number } => {
      const bytes = minimizeCoreBtf(full, specs);
      return { bytes: bytes.length, types: new Btf(bytes).count };
    };
    for (const name of SHOWN) {
      const tool = tools.find((t) => t.name === name);
      if (tool) row(name, mine([tool.spec]), bpftool(kernel.path, [tool.file]));
    }
    const sum = { ours: { bytes: 0, types: 0 }, theirs: { bytes: 0, types: 0 } };
    for (const tool of tools) {
      const a = mine([tool.spec]);
      const b = bpftool(kernel.path, [tool.file]);
      sum.ours.bytes += a.bytes; sum.ours.types += a.types;
      sum.theirs.bytes += b.bytes; sum.theirs.types += b.types;
    }
    row(`each of ${tools.length} objects alone (sum)`, sum.ours, sum.theirs);
    row(`all ${tools.length} objects in one file`, mine(tools.map((t) => t.spec)), bpftool(kernel.path, tools.map((t) => t.file)));
    console.log(`| ${kernel.name} | (the full BTF) | ${full.bytes.length} (${full.count}) | | |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
