// CO-RE oracle on real-world objects: every BPF object embedded in Debian's
// libbpf-tools, relocated against this kernel's BTF and against other
// kernels' BTF (6.1, 6.12; fetched by scripts/fetch-kernel-btf.sh) by both
// tsbpf and libbpf. The relocated instructions must be identical.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { tmpdir } from "node:os";
import { loadBtfFile } from "../../src/btf/discovery.js";
import { writeToolObject, libbpfTools } from "../util/libbpf-tools.js";
import { cachedKernelBtfs, kernelBtfCorpus } from "../util/kernel-btf-corpus.js";
import { compareProgram, libbpfHarness, relocateWithTsbpf, runLibbpf } from "../oracle/core/libbpf-relocs.js";
import { missingOracle } from "../util/environment.js";

test("libbpf-tools objects relocate exactly as libbpf does, on every kernel BTF in the corpus", async (t) => {
  const harness = libbpfHarness();
  if (!harness) return missingOracle(t, "libbpf-dev");
  const tools = libbpfTools();
  if (tools.length === 0) return missingOracle(t, "libbpf-tools");
  if (cachedKernelBtfs().length === 0) missingOracle(t, "other kernels' BTF", "only the running kernel is compared");
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-core-corpus-"));
  try {
    const objects = tools.map((tool) => ({ tool, file: writeToolObject(tool, dir) })).filter((o) => o.file !== undefined) as { tool: string; file: string }[];
    for (const kernel of kernelBtfCorpus()) {
      await t.test(kernel.name, (st) => {
        const target = loadBtfFile(kernel.path);
        let equal = 0;
        let fixups = 0;
        let poisoned = 0;
        const skipped: string[] = [];
        const differences: string[] = [];
        for (const { tool, file } of objects) {
          const theirs = runLibbpf(harness, file, kernel.path);
          if (theirs.programs.length === 0) {
            // Nothing loadable even one program at a time (attach targets this kernel lacks).
            skipped.push(`${tool} (errno ${theirs.errno})`);
            continue;
          }
          const mine = relocateWithTsbpf(readFileSync(file), target, kernel.name, new Set(theirs.programs.map((p) => p.section)));
          if (mine.error) {
            differences.push(`${tool}: tsbpf failed where libbpf succeeded: ${mine.error.message}`);
            continue;
          }
          fixups += mine.fixups.length;
          poisoned += mine.fixups.filter((f) => f.poisoned).length;
          for (const p of theirs.programs) {
            const c = compareProgram(p, mine);
            if (c.equal) equal++;
            else differences.push(`${tool}/${p.name}: ${c.detail}`);
          }
        }
        st.diagnostic(`${kernel.name}: ${objects.length - skipped.length} objects, ${equal} programs equal, ` +
          `${differences.length} differences, ${fixups} relocations (${poisoned} poisoned); not loadable by libbpf here: ${skipped.join(", ") || "none"}`);
        assert.deepEqual(differences, []);
        assert.ok(equal > 100, `only ${equal} programs compared`);
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
