// The shipping path end to end: make the minimal BTF of this kernel for a
// set of objects, then load each object with it as the `btf` option of
// Collection.load (as on a kernel without /sys/kernel/btf/vmlinux). The
// kernel's verifier accepts the programs, and the CO-RE fixups applied are
// those of a load against the kernel's own BTF.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { tmpdir } from "node:os";
import { Collection } from "../../src/collection.js";
import { loadBtfFile } from "../../src/btf/discovery.js";
import { ObjectSpec } from "../../src/object/object-spec.js";
import { minimizeCoreBtf } from "../../src/gen/min-core-btf/index.js";
import type { CoreFixup } from "../../src/core/fixup.js";
import { toolCoreObjects } from "../util/min-core-btf.js";
import { missingOracle, skipFor } from "../util/environment.js";

/** Tools whose programs (tracepoints, raw tracepoints, uprobes) this kernel loads. */
const TOOLS = ["execsnoop", "opensnoop", "exitsnoop", "bashreadline", "tcpconnect", "runqslower", "mountsnoop", "filelife"];
const VMLINUX = "/sys/kernel/btf/vmlinux";

function applied(c: Collection): string[] {
  const out: string[] = [];
  for (const [program, fixups] of c.coreFixups) {
    for (const f of fixups as CoreFixup[]) out.push(`${program}#${f.insnIndex} ${f.kind} ${f.poisoned ? "poisoned" : String(f.targetValue)}`);
  }
  return out.sort();
}

test("objects load with their minimal BTF as the btf option, with the fixups of the kernel's own BTF", (t) => {
  if (!existsSync(VMLINUX)) return skipFor(t, "no vmlinux BTF");
  const tools = toolCoreObjects().filter((o) => TOOLS.includes(o.name));
  if (tools.length === 0) return missingOracle(t, "libbpf-tools");
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-min-core-btf-load-"));
  try {
    const specs = tools.map((o) => ObjectSpec.parse(o.bytes, { name: o.name }));
    const file = path.join(dir, "min.btf");
    const minimal = minimizeCoreBtf(loadBtfFile(VMLINUX), specs);
    writeFileSync(file, minimal);
    let programs = 0;
    for (const o of tools) {
      // Programs that need a trampoline (fentry/fexit) are refused on this kernel whatever the BTF: load the others.
      const spec = ObjectSpec.parse(o.bytes, { name: o.name });
      const loadable = [...spec.programs.values()].filter((p) => !/^f(entry|exit)|^tp_btf|^lsm/.test(p.sectionName)).map((p) => p.name);
      if (loadable.length === 0) continue;
      let expected: string[];
      {
        using reference = Collection.load(ObjectSpec.parse(o.bytes, { name: o.name }), { programs: loadable });
        expected = applied(reference);
      }
      using loaded = Collection.load(spec, { btf: file, programs: loadable });
      assert.deepEqual(applied(loaded), expected, o.name);
      assert.ok(expected.length > 0, `${o.name}: no CO-RE fixups applied`);
      programs += loaded.programs.size;
    }
    t.diagnostic(`${tools.length} objects, ${programs} programs loaded with one minimal BTF of ${minimal.length} bytes`);
    assert.ok(programs >= tools.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
