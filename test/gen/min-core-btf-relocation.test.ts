// gen min_core_btf's promise, checked on real objects and real kernels'
// BTF: relocating an object against the minimal BTF patches every
// instruction exactly as relocating it against the full kernel BTF does —
// relocations without a match stay poisoned, absent fields stay absent —
// for the project's fixtures and Debian's libbpf-tools, against this
// kernel's BTF and the other kernels' in the cache. bpftool's own
// `gen min_core_btf` output must relocate the same; ours must be BTF that
// bpftool reads and the kernel accepts (BPF_BTF_LOAD).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import path from "node:path";
import { tmpdir } from "node:os";
import { Btf } from "../../src/btf/btf.js";
import { loadBtfFile } from "../../src/btf/discovery.js";
import { loadBtf } from "../../src/btf/kernel.js";
import { CoreRelocationError } from "../../src/core/errors.js";
import { ObjectSpec } from "../../src/object/object-spec.js";
import { minimizeCoreBtf } from "../../src/gen/min-core-btf/index.js";
import { relocateWithTsbpf } from "../oracle/core/libbpf-relocs.js";
import { cachedKernelBtfs, kernelBtfCorpus } from "../util/kernel-btf-corpus.js";
import { fixtureCoreObjects, relocationDifferences, toolCoreObjects, type CoreObject } from "../util/min-core-btf.js";
import { haveOracle, missingOracle } from "../util/environment.js";
import { bpftool } from "../util/cli.js";

const spec = (o: CoreObject): ObjectSpec => ObjectSpec.parse(o.bytes, { name: o.name });

test("each object relocates against its minimal BTF exactly as against the full BTF, on every kernel's BTF", async (t) => {
  const tools = toolCoreObjects();
  if (tools.length === 0) missingOracle(t, "libbpf-tools", "only the project's fixtures are minimised");
  if (cachedKernelBtfs().length === 0) missingOracle(t, "other kernels' BTF", "only the running kernel's BTF is used");
  const objects = [...fixtureCoreObjects(), ...tools];
  assert.ok(objects.length > 5, `only ${objects.length} objects with CO-RE relocations found`);
  for (const kernel of kernelBtfCorpus()) {
    await t.test(kernel.name, () => {
      const full = loadBtfFile(kernel.path);
      const differences: string[] = [];
      let minimised = 0;
      let relocated = 0;
      let refused = 0;
      let poisoned = 0;
      let bytes = 0;
      for (const o of objects) {
        const reference = relocateWithTsbpf(Uint8Array.from(o.bytes), full);
        let minimal: Uint8Array;
        try {
          minimal = minimizeCoreBtf(full, [spec(o)]);
        } catch (e) {
          // Only a relocation the loader cannot resolve at all may stop it, and then with the relocator's own error.
          assert.ok(e instanceof CoreRelocationError, `${o.name}: ${String(e)}`);
          assert.ok(reference.error, `${o.name}: minimising failed (${e.message}) where relocating against the full BTF did not`);
          refused++;
          continue;
        }
        minimised++;
        if (!reference.error) relocated++;
        bytes += minimal.length;
        poisoned += reference.fixups.filter((f) => f.poisoned).length;
        for (const d of relocationDifferences(o.bytes, full, new Btf(minimal))) differences.push(`${o.name}: ${d}`);
      }
      t.diagnostic(`${kernel.name}: ${minimised} objects minimised (${bytes} bytes in all, ${poisoned} relocations poisoned in the full BTF and ` +
        `the minimal one alike), ${refused} refused as the loader refuses them`);
      assert.deepEqual(differences, []);
      assert.ok(relocated > objects.length / 2, `only ${relocated} objects relocate against the full BTF at all`);
      assert.ok(poisoned > 0, "no object has a relocation without a match: the poisoned path went untested");
    });
  }
});

test("one minimal BTF for many objects (BTFHub style) relocates each of them as the full BTF does, and the kernel loads it", async (t) => {
  const tools = toolCoreObjects();
  if (tools.length === 0) return missingOracle(t, "libbpf-tools");
  for (const kernel of kernelBtfCorpus()) {
    await t.test(kernel.name, () => {
      const full = loadBtfFile(kernel.path);
      const minimal = minimizeCoreBtf(full, tools.map(spec));
      const btf = new Btf(minimal);
      const differences = tools.flatMap((o) => relocationDifferences(o.bytes, full, btf).map((d) => `${o.name}: ${d}`));
      assert.deepEqual(differences, []);
      // The kernel's BTF verifier accepts it (what a loader shipping it as btf_custom_path relies on only loosely, but BTFHub users load it).
      const fd = loadBtf(minimal);
      fd.close();
      t.diagnostic(`${kernel.name}: ${tools.length} objects, ${btf.count} types, ${minimal.length} bytes (full: ${full.count} types)`);
      assert.ok(btf.count < full.count / 100);
    });
  }
});

test("bpftool reads our minimal BTF, and its own min_core_btf output relocates the same", async (t) => {
  if (!haveOracle("bpftool")) return missingOracle(t, "bpftool");
  const tools = toolCoreObjects();
  if (tools.length === 0) return missingOracle(t, "libbpf-tools");
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-min-core-btf-"));
  try {
    const files = tools.map((o) => {
      const file = path.join(dir, `${o.name}.bpf.o`);
      writeFileSync(file, o.bytes);
      return { ...o, file };
    });
    for (const [k, kernel] of kernelBtfCorpus().entries()) {
      await t.test(kernel.name, () => {
        const full = loadBtfFile(kernel.path);
        const differences: string[] = [];
        let identical = 0;
        // Every object on the running kernel; a quarter of them on each other kernel (bpftool re-reads the kernel BTF per run).
        const sample = k === 0 ? files : files.filter((_, i) => i % 4 === k % 4);
        for (const o of sample) {
          const ours = path.join(dir, `${o.name}.ours.btf`);
          const theirs = path.join(dir, `${o.name}.theirs.btf`);
          writeFileSync(ours, minimizeCoreBtf(full, [spec(o)]));
          bpftool("gen", "min_core_btf", kernel.path, theirs, o.file);
          const ourDump = bpftool("btf", "dump", "file", ours);
          assert.match(ourDump, /^\[1\] /, `${o.name}: bpftool cannot dump our BTF`);
          if (ourDump === bpftool("btf", "dump", "file", theirs)) identical++;
          for (const d of relocationDifferences(o.bytes, full, new Btf(readFileSync(theirs)))) differences.push(`${o.name} (bpftool's): ${d}`);
        }
        t.diagnostic(`${kernel.name}: ${sample.length} objects; our BTF dumps identically to bpftool's for ${identical}`);
        assert.deepEqual(differences, []);
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
