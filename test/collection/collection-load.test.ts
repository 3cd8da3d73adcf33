// Collection.load on the real kernel with our own fixtures: global data
// before/after load, frozen .rodata, kconfig externs, an untyped ksym, kfuncs
// (present and missing __weak), map-in-map and prog array `.values`, maps
// pinned by name reused across loads, and a poisoned CO-RE relocation.
import { test } from "node:test";
import { existsSync } from "node:fs";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadObjectSpec } from "../../src/object/index.js";
import { Collection } from "../../src/collection.js";
import { CoreVerifierError } from "../../src/collection/verifier-explain.js";
import { kallsymsAddresses } from "../../src/collection/ksyms.js";
import { readKernelConfig } from "../../src/features/system.js";
import { linuxVersionCode } from "../../src/features/probe-load.js";
import { IncompatibleError, InvalidArgumentError } from "../../src/sys/errors.js";
import { bpffsTempDir, openFdCount } from "../util/kernel.js";

const fixture = (name: string): string => fileURLToPath(new URL(`../../../test/fixtures/collection/${name}.bpf.o`, import.meta.url));
const PACKET = new Uint8Array(64);
const u64 = (n: number | bigint): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
};
const readU64 = (b: Uint8Array): bigint => new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);

test("global data, .rodata config, kconfig externs, ksym and kfuncs", () => {
  const spec = loadObjectSpec(fixture("globals"));
  spec.variable("multiplier").set(3);
  spec.variable("counter").set(10n);
  using c = Collection.load(spec);
  assert.deepEqual([...c.programs.keys()], ["count", "newtask"]);
  assert.equal(c.program("count").testRun({ data: PACKET }).retval, 0);
  assert.equal(c.variable("counter").getNumber(), 13);
  assert.equal(c.variable("result").getNumber(), 13);
  assert.equal(c.variable("multiplier").getNumber(), 3);
  assert.ok(c.variable("counter").mapped, ".data is read through mmap");
  // Written from JavaScript through the mapping, seen by the program.
  c.variable("counter").set(100);
  c.program("count").testRun({ data: PACKET });
  assert.equal(c.variable("result").getNumber(), 103);
  assert.throws(() => c.variable("multiplier").set(1), InvalidArgumentError);
  assert.equal(c.map(".rodata").info().frozen, true);
  assert.equal(c.map(".kconfig").info().frozen, true);
  // kconfig: values libbpf would fill.
  assert.equal(c.variable("kver").getNumber(), linuxVersionCode());
  const hz = readKernelConfig()?.get("CONFIG_HZ");
  if (hz) assert.equal(c.variable("hz").getNumber(), Number(hz));
  assert.equal(c.variable("bpf_syscall").getNumber(), 1);
  assert.equal(c.variable("tristate").getNumber(), 0, "missing __weak tristate is n (0)");
  assert.equal(c.variable("missing").getNumber(), 0, "missing __weak int is 0");
  // Untyped ksym: the address from /proc/kallsyms.
  assert.equal(c.variable("stext_addr").getBigInt(), kallsymsAddresses(new Set(["_stext"])).get("_stext"));
  // Missing __weak kfunc: its address is 0, so the guarded call is dead code.
  assert.equal(c.variable("kfunc_exists").getNumber(), 0);
});

test("map-in-map and prog array `.values`, pinned-by-name map reused, incompatible pin refused", () => {
  const dir = bpffsTempDir("tsbpf-collection-");
  try {
    const first = Collection.load(loadObjectSpec(fixture("maps")), { pinPath: dir.path });
    try {
      assert.equal(first.program("entry").testRun({ data: PACKET }).retval, 42, "tail call through the static prog array");
      first.program("use_maps").testRun({ data: PACKET });
      assert.equal(readU64(first.map("inner_b").lookup(new Uint8Array(4))), 1n, "outer[1] is inner_b");
      assert.equal(readU64(first.map("inner_a").lookup(new Uint8Array(4))), 0n);
      assert.equal(readU64(first.map("shared").lookup(new Uint8Array(4))), 10n);
    } finally {
      first.close();
    }
    // The second load reuses the pinned map: its contents survive.
    const second = Collection.load(loadObjectSpec(fixture("maps")), { pinPath: dir.path });
    try {
      assert.equal(readU64(second.map("shared").lookup(new Uint8Array(4))), 10n);
      second.program("use_maps").testRun({ data: PACKET });
      assert.equal(readU64(second.map("shared").lookup(new Uint8Array(4))), 20n);
      second.map("shared").update(new Uint8Array(4), u64(5));
    } finally {
      second.close();
    }
    // A name longer than the kernel's 15 characters pins and reuses under the full name.
    const longName = "shared_counter_with_a_long_name";
    for (const expected of [0n, 7n]) {
      const spec = loadObjectSpec(fixture("maps"));
      spec.map("shared").name = longName;
      using c = Collection.load(spec, { pinPath: dir.path });
      assert.ok(existsSync(`${dir.path}/${longName}`), "pinned under the full name");
      assert.equal(readU64(c.map("shared").lookup(new Uint8Array(4))), expected);
      c.map("shared").update(new Uint8Array(4), u64(7));
    }
    const before = openFdCount();
    const spec = loadObjectSpec(fixture("maps"));
    spec.map("shared").maxEntries = 4;
    assert.throws(() => Collection.load(spec, { pinPath: dir.path }), IncompatibleError);
    assert.equal(openFdCount(), before, "a failed load closes everything it created");
  } finally {
    dir.cleanup();
  }
});

test("a poisoned CO-RE relocation is explained, and the failed load leaks nothing", () => {
  const spec = loadObjectSpec(fixture("poison"));
  const before = openFdCount();
  assert.throws(
    () => Collection.load(spec),
    (e: unknown) => {
      assert.ok(e instanceof CoreVerifierError);
      assert.match(e.message, /task_struct___tsbpf\.tsbpf_no_such_field/);
      assert.match(e.message, /return t->tsbpf_no_such_field;/);
      assert.equal(e.relocation.kind, "FIELD_BYTE_OFFSET");
      return true;
    },
  );
  assert.equal(openFdCount(), before);
});

test("program selection and bad names", () => {
  const spec = loadObjectSpec(fixture("globals"));
  using c = Collection.load(spec, { programs: ["count"] });
  assert.deepEqual([...c.programs.keys()], ["count"]);
  const before = openFdCount();
  assert.throws(() => Collection.load(spec, { programs: ["nope"] }), /no program 'nope'/);
  assert.equal(openFdCount(), before);
});
