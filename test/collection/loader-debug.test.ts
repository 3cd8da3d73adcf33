// Collection.load's `debug` option (what `tsbpf -d` prints): one line per
// loader decision, and the lines agree with what the load really did — the
// maps created, each CO-RE fixup applied (Collection.coreFixups), the ids of
// the programs loaded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadObjectSpec } from "../../src/object/index.js";
import { Collection } from "../../src/collection.js";
import { InvalidArgumentError } from "../../src/sys/errors.js";
import { openFdCount } from "../util/kernel.js";

const BOOTSTRAP = fileURLToPath(new URL("../../../examples/bootstrap/bootstrap.bpf.o", import.meta.url));

test("debug lines name every map created, every CO-RE fixup applied and every program loaded", () => {
  const lines: string[] = [];
  using c = Collection.load(loadObjectSpec(BOOTSTRAP), { debug: (m) => lines.push(m) });
  for (const [name, map] of c.maps) {
    assert.ok(lines.includes(`map '${name}': created (${map.typeName}, key ${map.keySize} B, value ${map.valueSize} B, max_entries ${map.maxEntries})`), name);
  }
  assert.equal(lines.filter((l) => l.startsWith("CO-RE: relocating against vmlinux")).length, 1, "the target, once");
  for (const [program, fixups] of c.coreFixups) {
    const relos = lines.filter((l) => l.startsWith(`program '${program}': CO-RE relo #`));
    assert.equal(relos.length, fixups.length, program);
    fixups.forEach((f, i) => assert.equal(relos[i], `program '${program}': CO-RE relo #${i}: insn #${f.insnIndex}: ${f.description}`));
  }
  assert.ok([...c.coreFixups.values()].some((f) => f.length > 0), "bootstrap has CO-RE relocations");
  for (const [name, p] of c.programs) {
    assert.ok(lines.some((l) => l.startsWith(`program '${name}': loaded (SEC("${p.sectionName}"), `) && l.endsWith(`, id ${p.id})`)), name);
  }
});

test("a debug option that is not a function is refused before anything is created", () => {
  const before = openFdCount();
  assert.throws(() => Collection.load(loadObjectSpec(BOOTSTRAP), { debug: "yes" as unknown as (m: string) => void }),
    (e: unknown) => e instanceof InvalidArgumentError && /debug must be a function/.test(e.message));
  assert.equal(openFdCount(), before, "no fd left behind");
});
