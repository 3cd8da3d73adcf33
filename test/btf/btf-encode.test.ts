import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import { Btf, BtfError } from "../../src/index.js";
import { btfFromElf, encodeBtf, type BtfTypeInput } from "../../src/btf/index.js";
import { skipFor } from "../util/environment.js";

const VMLINUX = "/sys/kernel/btf/vmlinux";
const fixtures = new URL("../../../test/fixtures/btf/", import.meta.url).pathname;

function assertSameTypes(a: Btf, b: Btf): void {
  assert.equal(b.count, a.count);
  assert.equal(b.firstId, a.firstId);
  for (let id = a.firstId; id <= a.lastId; id++) {
    const x = a.typeById(id);
    const y = b.typeById(id);
    if (x.kind !== y.kind || x.name !== y.name) assert.fail(`[${id}] ${x.kind} '${x.name}' became ${y.kind} '${y.name}'`);
    assert.deepEqual(y, x);
  }
}

test("objects round-trip parse → encode → parse, in both byte orders, deterministically", () => {
  for (const name of ["kinds.bpf.o", "kinds.bpfeb.o", "core.bpf.o"]) {
    const { btf } = btfFromElf(readFileSync(fixtures + name));
    assert.ok(btf);
    for (const littleEndian of [true, false]) {
      const bytes = encodeBtf(btf, { littleEndian });
      const again = new Btf(bytes);
      assert.equal(again.littleEndian, littleEndian);
      assertSameTypes(btf, again);
      assert.deepEqual(encodeBtf(again, { littleEndian }), bytes, "encoding is deterministic");
    }
  }
});

test("vmlinux round-trips to equal types; the string table stays deduplicated", (t) => {
  if (!existsSync(VMLINUX)) return skipFor(t, "no vmlinux BTF");
  const original = new Btf(readFileSync(VMLINUX));
  const bytes = encodeBtf(original);
  const again = new Btf(bytes);
  assertSameTypes(original, again);
  // Each string appears once, so the table is no larger than the kernel's (already deduplicated) one.
  assert.ok(again.header.strLen <= original.header.strLen);
  assert.equal(again.header.typeLen, original.header.typeLen);
});

test("split BTF: ids and string offsets continue from the base", () => {
  const { btf: base } = btfFromElf(readFileSync(fixtures + "core.bpf.o"));
  assert.ok(base);
  const int = base.typeByName("int", "INT");
  const task = base.typeByName("task_struct", "STRUCT");
  assert.ok(int && task);
  const types: BtfTypeInput[] = [
    { kind: "PTR", name: "", kindFlag: false, type: task.id },
    { kind: "STRUCT", name: "module_thing", kindFlag: false, size: 16, members: [
      { name: "owner", type: base.lastId + 1, bitOffset: 0, bitfieldSize: 0 },
      { name: "pid", type: int.id, bitOffset: 64, bitfieldSize: 0 },
      { name: "comm", type: int.id, bitOffset: 96, bitfieldSize: 0 },
    ] },
    { kind: "TYPEDEF", name: "thing_t", kindFlag: false, type: base.lastId + 2 },
  ];
  const bytes = encodeBtf(types, { base });
  assert.throws(() => new Btf(bytes), BtfError, "split BTF does not parse without its base");
  const split = new Btf(bytes, { base });
  assert.equal(split.base, base);
  assert.equal(split.firstId, base.lastId + 1);
  assert.equal(split.count, 3);
  assert.equal(split.lastId, base.lastId + 3);
  const thing = split.typeByName("module_thing", "STRUCT");
  assert.ok(thing);
  assert.equal(thing.id, base.lastId + 2);
  // Names the base already has ("pid", "comm") are referenced in the base's string table.
  assert.ok(split.header.strLen < "module_thing\0thing_t\0owner\0".length + 1);
  assert.equal(split.typeById(task.id), task, "base ids resolve through the base");
  assert.equal(split.resolve(base.lastId + 3).name, "module_thing");
  assert.equal(split.sizeOf(base.lastId + 3), 16);
  assert.equal(split.alignOf(thing.id), 8);
  assert.deepEqual(split.typesByName("task_struct").map((x) => x.id), [task.id]);
  assert.deepEqual(split.typesByName("thing_t").map((x) => x.id), [base.lastId + 3]);
  assert.deepEqual([...split].map((x) => x.id), [base.lastId + 1, base.lastId + 2, base.lastId + 3]);
  assert.deepEqual(new Uint8Array(encodeBtf(split, { base })), new Uint8Array(bytes));
});

test("split module BTF from sysfs parses on vmlinux", async (t) => {
  const { moduleBtfNames, moduleBtf, kernelBtf } = await import("../../src/btf/index.js");
  const names = moduleBtfNames();
  if (names.length === 0) return skipFor(t, "no module BTF");
  const base = kernelBtf();
  for (const name of names.slice(0, 5)) {
    const m = moduleBtf(name, base);
    assert.equal(m.firstId, base.lastId + 1);
    for (const x of m) assert.ok(x.id >= m.firstId);
  }
});

test("encoder rejects values BTF cannot hold", () => {
  assert.throws(() => encodeBtf([{ kind: "PTR", name: "", kindFlag: false, type: -1 }]), BtfError);
  assert.throws(() => encodeBtf([{ kind: "STRUCT", name: "s", kindFlag: true, size: 4, members: [
    { name: "x", type: 1, bitOffset: 1 << 25, bitfieldSize: 3 }] }]), BtfError);
  assert.throws(() => encodeBtf([{ kind: "VOID", name: "", kindFlag: false }]), BtfError);
});
