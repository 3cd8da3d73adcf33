// Every BPF object embedded in Debian's libbpf-tools must parse into an
// ObjectSpec that agrees with libbpf (1.1, from libbpf-dev) field by field.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { ObjectSpec, PermissionError } from "../../src/index.js";
import { loadBtf } from "../../src/btf/index.js";
import { findEmbeddedBpfObjects, LIBBPF_TOOLS_DIR } from "../util/libbpf-tools.js";
import { libbpfView, oracleBinary, oracleUnavailable } from "../oracle/object-oracle.js";
import { missingOracle, skipFor } from "../util/environment.js";

function corpus(): { tool: string; bytes: Uint8Array }[] {
  const out: { tool: string; bytes: Uint8Array }[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(LIBBPF_TOOLS_DIR);
  } catch {
    return out;
  }
  for (const tool of names.sort()) {
    const file = path.join(LIBBPF_TOOLS_DIR, tool);
    try {
      const st = statSync(file);
      if (!st.isFile() || st.size > 64 << 20) continue;
      const bytes = readFileSync(file);
      if (bytes.indexOf("BTF") < 0) continue;
      for (const obj of findEmbeddedBpfObjects(bytes)) out.push({ tool, bytes: obj });
    } catch {
      continue;
    }
  }
  return out;
}

test("libbpf-tools objects: programs, maps and global data equal libbpf's view", (t) => {
  if (!oracleBinary()) return missingOracle(t, "libbpf-dev", oracleUnavailable);
  const objects = corpus();
  if (objects.length === 0) return missingOracle(t, "libbpf-tools", "no embedded BPF objects in /usr/sbin");
  let programs = 0;
  let maps = 0;
  for (const { tool, bytes } of objects) {
    const name = `${tool}_bpf`;
    const spec = ObjectSpec.parse(bytes, { name, allowUnknownSections: true });
    const view = libbpfView(bytes, name);
    assert.equal(view.error, undefined, `${tool}: libbpf opens it`);
    assert.deepEqual([...spec.programs.keys()], view.programs.map((p) => p.name), `${tool}: program names`);
    for (const lp of view.programs) {
      const p = spec.program(lp.name);
      const what = `${tool}/${lp.name}`;
      assert.equal(p.sectionName, lp.section, `${what}: section`);
      assert.equal(p.ownSlots, lp.insnCount, `${what}: instruction count`);
      assert.equal(p.autoload, lp.autoload, `${what}: autoload`);
      assert.equal(p.hasType ? p.type : 0, lp.type, `${what}: type`);
      assert.equal(p.expectedAttachType, lp.expectedAttachType, `${what}: expected attach type`);
      programs++;
    }
    const keys = [...spec.maps.keys()];
    assert.deepEqual(keys.map((k) => {
      const m = spec.map(k);
      return (m.kind === "data" || m.kind === "rodata") && k !== ".data" && k !== ".rodata" ? k : m.name;
    }), view.maps.map((m) => m.name), `${tool}: map names`);
    keys.forEach((k, i) => {
      const m = spec.map(k);
      const lm = view.maps[i]!;
      assert.deepEqual(
        [m.type, m.keySize, m.valueSize, m.maxEntries, m.flags ?? 0, m.keyTypeId ?? 0, m.valueTypeId ?? 0, m.kind !== "btf" && m.kind !== "legacy"],
        [lm.type, lm.keySize, lm.valueSize, lm.maxEntries, lm.flags, lm.keyTypeId, lm.valueTypeId, lm.internal],
        `${tool}: map ${k}`,
      );
      maps++;
    });
  }
  t.diagnostic(`compared ${objects.length} objects, ${programs} programs, ${maps} maps: all equal`);
});

test("libbpf-tools objects: the fixed-up BTF loads into the kernel", (t) => {
  const objects = corpus();
  if (objects.length === 0) return missingOracle(t, "libbpf-tools", "no embedded BPF objects in /usr/sbin");
  let loaded = 0;
  for (const { tool, bytes } of objects) {
    const spec = ObjectSpec.parse(bytes, { name: tool, allowUnknownSections: true });
    const raw = spec.btfForKernel();
    assert.ok(raw, `${tool}: has BTF`);
    try {
      loadBtf(raw).close();
      loaded++;
    } catch (e) {
      if (e instanceof PermissionError) return skipFor(t, "not root");
      throw new Error(`${tool}: ${(e as Error).message}`, { cause: e });
    }
  }
  t.diagnostic(`kernel accepted the BTF of ${loaded} objects`);
});
