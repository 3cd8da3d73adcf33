// ObjectSpec.copy (one parsed object, loaded several ways, the original left
// alone), Collection.takeMap/takeProgram (an object that outlives its
// collection), and the loader's test seam (loadCollectionWith: kconfig values
// that are not the running kernel's).
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadObjectSpec } from "../../src/object/index.js";
import { Collection } from "../../src/collection.js";
import { loadCollectionWith } from "../../src/collection/load-with.js";
import { ProgramType } from "../../src/program/types.js";
import { InvalidArgumentError, NotFoundError } from "../../src/sys/errors.js";
import { openFdCount } from "../util/kernel.js";

const fixture = (name: string): string => fileURLToPath(new URL(`../../../test/fixtures/collection/${name}.bpf.o`, import.meta.url));
const PACKET = new Uint8Array(64);
const key = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

test("ObjectSpec.copy: editing the copy leaves the original alone, and each loads as edited", () => {
  const spec = loadObjectSpec(fixture("globals"));
  const copy = spec.copy();
  assert.notEqual(copy, spec);
  assert.deepEqual([...copy.programs.keys()], [...spec.programs.keys()]);
  assert.deepEqual([...copy.maps.keys()], [...spec.maps.keys()]);
  assert.deepEqual([...copy.variables.keys()], [...spec.variables.keys()]);
  for (const [name, v] of spec.variables) {
    const c = copy.variable(name);
    assert.deepEqual([c.kind, c.signed, c.getValue()], [v.kind, v.signed, v.getValue()], `${name} keeps its BTF type`);
  }

  copy.variable("multiplier").set(7);
  copy.variable("counter").set(100n);
  copy.program("newtask").autoload = false;
  copy.program("count").setType(ProgramType.SocketFilter, 0, 0);
  copy.program("count").license = "Dual BSD/GPL";
  copy.map(".bss").name = "renamed.bss";
  copy.map(".data").initialValue![0] = 0xff;
  assert.equal(spec.variable("multiplier").getNumber(), 2);
  assert.equal(spec.variable("counter").getBigInt(), 5n);
  assert.equal(spec.program("newtask").autoload, true);
  assert.equal(spec.program("count").license, "GPL");
  assert.notEqual(spec.map(".bss").name, "renamed.bss");
  // The copy's variables write the copy's map values, not the original's.
  assert.equal(copy.map(".data").initialValue![0], 0xff);
  assert.notEqual(spec.map(".data").initialValue![0], 0xff);

  copy.variable("counter").set(100n);
  using a = Collection.load(spec);
  using b = Collection.load(copy);
  assert.deepEqual([...a.programs.keys()], ["count", "newtask"]);
  assert.deepEqual([...b.programs.keys()], ["count"]);
  a.program("count").testRun({ data: PACKET });
  b.program("count").testRun({ data: PACKET });
  assert.equal(a.variable("result").getNumber(), 5 + 2);
  assert.equal(b.variable("result").getNumber(), 100 + 7);
});

test("ObjectSpec.copy copies map-in-map templates and prog-array slots", () => {
  const spec = loadObjectSpec(fixture("maps"));
  const copy = spec.copy();
  let edited = 0;
  for (const [name, m] of copy.maps) {
    const original = spec.map(name);
    if (m.innerMap) {
      m.innerMap.maxEntries += 1;
      assert.equal(original.innerMap!.maxEntries + 1, m.innerMap.maxEntries);
      edited++;
    }
    if (m.initialSlots) {
      m.initialSlots.length = 0;
      assert.ok(original.initialSlots!.length > 0);
      edited++;
    }
  }
  assert.ok(edited > 0, "the fixture has map-in-maps or prog arrays");
});

test("takeMap and takeProgram: the taken objects outlive the collection", () => {
  const spec = loadObjectSpec(fixture("globals"));
  const before = openFdCount();
  const c = Collection.load(spec);
  const data = c.takeMap(".data");
  const count = c.takeProgram("count");
  assert.equal(c.maps.has(".data"), false);
  assert.equal(c.programs.has("count"), false);
  assert.throws(() => c.map(".data"), NotFoundError);
  assert.throws(() => c.takeMap(".data"), NotFoundError);
  assert.throws(() => c.takeProgram("nope"), NotFoundError);
  c.close();
  assert.throws(() => c.takeMap(".bss"), InvalidArgumentError);

  // The program still runs and updates the map it was loaded with, which we still read.
  count.testRun({ data: PACKET });
  const value = data.lookup(key(0));
  assert.ok(value, "the .data map is readable after the collection closed");
  const counter = spec.variable("counter");
  assert.equal(new DataView(value.buffer, value.byteOffset).getBigUint64(counter.offset, true), 5n + 2n);
  // And writable.
  value.fill(0);
  data.update(key(0), value);
  assert.deepEqual(data.lookup(key(0)), value);

  count.close();
  data.close();
  assert.equal(openFdCount(), before, "nothing else stayed open");
});

test("takeMap refuses struct_ops maps (they register through attachStructOps)", () => {
  const file = fileURLToPath(new URL("../../../test/fixtures/struct-ops/tcp-reno.bpf.o", import.meta.url));
  using c = Collection.load(loadObjectSpec(file));
  assert.throws(() => c.takeMap("tsbpf_reno"), (e: unknown) => e instanceof InvalidArgumentError && /attachStructOps/.test(e.message));
  assert.ok(c.maps.has("tsbpf_reno"));
});

test("loadCollectionWith: kconfig values from the seam, not the running kernel", () => {
  const spec = loadObjectSpec(fixture("globals"));
  using c = loadCollectionWith(spec, {}, {
    kconfig: {
      config: new Map([["CONFIG_HZ", "300"], ["CONFIG_BPF_SYSCALL", "y"], ["CONFIG_TSBPF_TRISTATE", "m"]]),
      kernelVersion: 0x050a00, hasBpfCookie: true, hasSyscallWrapper: true,
    },
  });
  c.program("count").testRun({ data: PACKET });
  assert.equal(c.variable("hz").getNumber(), 300);
  assert.equal(c.variable("bpf_syscall").getNumber(), 1);
  assert.equal(c.variable("tristate").getNumber(), 2);
  assert.equal(c.variable("kver").getNumber(), 0x050a00);
  assert.equal(c.variable("missing").getNumber(), 0);
});
