// Global variables of every type through the codec: VariableSpec.read/write
// before load (the .rodata configuration, in the object's byte order) and the
// live Variable after load (mapped memory, host order): a struct, arrays of
// integers, char arrays as strings. What is written is checked against what
// bpftool formats from the data maps and against what the program copies
// from the globals into its event (so the kernel side saw the same bytes).
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadObjectSpec } from "../../src/object/index.js";
import { Collection } from "../../src/collection.js";
import { InvalidArgumentError } from "../../src/sys/errors.js";
import { requireOracle } from "../util/environment.js";
import { assertSameAsBpftool, bpftoolGlobal } from "../util/bpftool-formatted.js";

const OBJECT = fileURLToPath(new URL("../../../test/fixtures/typed/typed.bpf.o", import.meta.url));
const OBJECT_EB = fileURLToPath(new URL("../../../test/fixtures/typed/typed.bpf.eb.o", import.meta.url));

interface Config { pid: number; comm: string; big: bigint }
interface Point { x: number; y: number }

test("VariableSpec: struct, array and char[] globals read their initialisers and write before load", () => {
  for (const file of [OBJECT, OBJECT_EB]) {
    const spec = loadObjectSpec(file);
    const cfg = spec.variables.get("cfg")!;
    assert.deepEqual(cfg.read<Config>(), { pid: 42, comm: "rodata", big: 0x1122_3344_5566_7788n });
    assert.deepEqual(spec.variables.get("ro_ports")!.read(), [80, 443, 8080]);
    assert.deepEqual(spec.variables.get("origin")!.read(), { x: -5, y: 9 });
    assert.equal(spec.variables.get("greeting")!.read(), "hello");
    assert.deepEqual(spec.variables.get("counts")!.read(), [0, 0, 0, 0]);
    cfg.write<Config>({ pid: 7, comm: "configured", big: 2n ** 64n - 2n });
    assert.deepEqual(cfg.read(), { pid: 7, comm: "configured", big: 2n ** 64n - 2n });
    // The scalar view of the same bytes agrees (object byte order).
    const bytes = cfg.get();
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    assert.equal(view.getUint32(0, file === OBJECT), 7);
    assert.throws(() => cfg.write({ pid: 7, comm: "x".repeat(17), big: 0n }), InvalidArgumentError);
    assert.throws(() => cfg.write({ pid: -1, comm: "", big: 0n }), InvalidArgumentError);
    assert.deepEqual(cfg.read(), { pid: 7, comm: "configured", big: 2n ** 64n - 2n }, "a refused write leaves the value");
  }
});

test("Variable: live reads and writes of struct, array and char[] globals, as bpftool and the program see them", async (t) => {
  const spec = loadObjectSpec(OBJECT);
  spec.variables.get("cfg")!.write<Config>({ pid: 1234, comm: "from-spec", big: 0xdead_beef_cafe_f00dn });
  spec.variables.get("ro_ports")!.write([1, 2, 3]);
  using c = Collection.load(spec);
  assert.deepEqual(c.variable("cfg").read(), { pid: 1234, comm: "from-spec", big: 0xdead_beef_cafe_f00dn });
  assert.throws(() => c.variable("cfg").write({ pid: 1, comm: "", big: 0n }), (e: unknown) => e instanceof InvalidArgumentError && /\.rodata/.test(e.message));
  c.variable("origin").write<Point>({ x: 2 ** 31 - 1, y: -32768 });
  c.variable("greeting").write("typed!");
  c.variable("counts").write([10, 0xffff_ffff, 30, 40]);
  c.variable("bss_name").write("seven77");
  assert.deepEqual(c.variable("origin").read(), { x: 2 ** 31 - 1, y: -32768 });
  assert.equal(c.variable("greeting").read(), "typed!");
  assert.deepEqual(c.variable("counts").read(), [10, 0xffff_ffff, 30, 40]);
  assert.equal(c.variable("bss_name").read(), "seven77");
  assert.throws(() => c.variable("bss_name").write("nine99999"), InvalidArgumentError);
  assert.equal(c.variable("bss_name").read(), "seven77", "a refused write leaves the value");
  // The program copies the globals into its event: the kernel read what we wrote.
  assert.equal(c.program("fill_maps").testRun({ data: new Uint8Array(64) }).retval, 0);
  assert.deepEqual(c.variable("last_stats").read<{ packets: bigint; comm: string }>().comm, "flow-stat");
  if (!requireOracle(t, "bpftool")) return;
  const ids = { ".data": c.map(".data").info().id, ".bss": c.map(".bss").info().id, ".rodata": c.map(".rodata").info().id };
  for (const [section, names] of [[".data", ["origin", "greeting"]], [".bss", ["counts", "bss_name", "last_stats"]], [".rodata", ["cfg", "ro_ports"]]] as const) {
    for (const name of names) assertSameAsBpftool({ btf: c.btf!, typeId: c.variable(name).typeId }, c.variable(name).read(), bpftoolGlobal(ids[section], section, name), name);
  }
});
