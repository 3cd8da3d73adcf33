// gen min_core_btf on synthetic BTF, for the cases the real corpus does
// not reach: where dropping parts of the target would make a relocation
// match that does not match in the full BTF (a pointer whose target is
// dropped turns into void *; a zero-length array that becomes its struct's
// last member turns flexible), and enums keeping only the enumerators used.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Btf } from "../../src/btf/btf.js";
import { CoreReloKind, type CoreRelo, type CoreReloKindName } from "../../src/btf/ext.js";
import { resolveCoreRelocations } from "../../src/core/relocator.js";
import { minimizeCoreRelocations, type CoreRelocationSource } from "../../src/gen/min-core-btf/index.js";
import { InvalidArgumentError } from "../../src/sys/errors.js";
import { CoreRelocationError } from "../../src/core/errors.js";
import { TargetBtfBuilder } from "../oracle/core/target-btf.js";

/** The "kernel": `bar_t` is a pointer to a struct, foo's zero-length array is not its last member, enum e has three values. */
function kernel(): Btf {
  const b = new TargetBtfBuilder();
  const int = b.int("int", 4, true);
  const bar = b.struct("bar", 4, [["x", int, 0]]);
  const barT = b.typedef("bar_t", b.ptr(bar));
  b.struct("holder", 8, [["p", barT, 0]]);
  const empty = b.array(int, 0, int);
  b.struct("foo", 8, [["a", int, 0], ["pad", empty, 32], ["b", int, 32]]);
  b.enum("e", [["E_A", 1], ["E_B", 2], ["E_C", 3]]);
  return b.build().btf;
}

/** The object's view: `bar_t` is `void *`, foo's array is flexible, enum e knows E_C and E_D. */
function object(): CoreRelocationSource {
  const b = new TargetBtfBuilder();
  const int = b.int("int", 4, true);
  const barT = b.typedef("bar_t", b.ptr(0));
  const holder = b.struct("holder", 8, [["p", barT, 0]]);
  const flex = b.array(int, 0, int);
  const foo = b.struct("foo", 4, [["a", int, 0], ["pad", flex, 32]]);
  const e = b.enum("e", [["E_C", 0], ["E_D", 1]]);
  const records: [number, string, CoreReloKindName][] = [
    [holder, "0:0", "FIELD_BYTE_OFFSET"],
    [barT, "0", "TYPE_EXISTS"],
    [foo, "0:1", "FIELD_BYTE_OFFSET"],
    [foo, "0:1:1", "FIELD_EXISTS"],
    [e, "0", "ENUMVAL_VALUE"],
    [e, "1", "ENUMVAL_EXISTS"],
  ];
  const relos: CoreRelo[] = records.map(([typeId, accessString, kindName], i) => ({
    insnOffset: i * 8, typeId, accessString, kind: CoreReloKind[kindName], kindName,
  }));
  return { name: "synthetic", btf: b.build().btf, relocations: new Map([["kprobe/x", relos]]), byteOrder: "le" };
}

function outcomes(source: CoreRelocationSource, target: Btf): string[] {
  return resolveCoreRelocations(source.btf, source.relocations, { vmlinux: target })
    .map((f) => `${f.kind} ${f.localPath}: ${f.poisoned ? "poisoned" : String(f.targetValue)}`);
}

test("relocations resolve against the minimal BTF as against the full one, also where dropping parts would create a match", () => {
  const full = kernel();
  const source = object();
  const result = minimizeCoreRelocations(full, [source]);
  const minimal = new Btf(result.bytes);
  assert.deepEqual(outcomes(source, minimal), outcomes(source, full));
  // The full BTF's answers: bar_t differs (void * vs struct bar *), foo.pad[1] is out of bounds, E_D is absent.
  assert.deepEqual(outcomes(source, full), [
    "FIELD_BYTE_OFFSET struct holder.p: 0", "TYPE_EXISTS typedef bar_t: 0", "FIELD_BYTE_OFFSET struct foo.pad: 4",
    "FIELD_EXISTS struct foo.pad[1]: 0", "ENUMVAL_VALUE enum e::E_C: 3", "ENUMVAL_EXISTS enum e::E_D: 0",
  ]);
  // What kept them so: struct bar behind bar_t (repaired after the first check), foo's real last member, only E_C.
  assert.equal(minimal.typesByName("bar").length, 1);
  assert.deepEqual(minimal.typesByName("foo", "STRUCT")[0]?.members.map((m) => m.name), ["pad", "b"]);
  assert.deepEqual(minimal.typesByName("e", "ENUM")[0]?.values, [{ name: "E_C", value: 3 }]);
  assert.equal(result.unmatched, 3);
  assert.equal(result.relocations, 6);
});

/** An object reading foo.a then foo.b, against a kernel with `struct foo { a, b }` and `struct foo___v2 { b }`. */
function flavors(): { kernel: Btf; source: CoreRelocationSource; onlyB: CoreRelocationSource } {
  const k = new TargetBtfBuilder();
  const kint = k.int("int", 4, true);
  k.struct("foo", 8, [["a", kint, 0], ["b", kint, 32]]);
  k.struct("foo___v2", 4, [["b", kint, 0]]);
  const l = new TargetBtfBuilder();
  const int = l.int("int", 4, true);
  const foo = l.struct("foo", 8, [["a", int, 0], ["b", int, 32]]);
  const btf = l.build().btf;
  const relo = (i: number, access: string): CoreRelo => ({ insnOffset: i * 8, typeId: foo, accessString: access, kind: CoreReloKind.FIELD_BYTE_OFFSET, kindName: "FIELD_BYTE_OFFSET" });
  const source = (relos: CoreRelo[]): CoreRelocationSource => ({ name: "flavors", btf, relocations: new Map([["kprobe/x", relos]]), byteOrder: "le" });
  return { kernel: k.build().btf, source: source([relo(0, "0:0"), relo(1, "0:1")]), onlyB: source([relo(0, "0:1")]) };
}

test("every candidate that satisfies a relocation is kept, so a subset of the programs relocates as against the full BTF", () => {
  const { kernel: full, source, onlyB } = flavors();
  const minimal = new Btf(minimizeCoreRelocations(full, [source]).bytes);
  // In order, foo.a narrows the candidates to foo, and foo.b then comes from foo.
  assert.deepEqual(outcomes(source, minimal), outcomes(source, full));
  assert.deepEqual(outcomes(source, full), ["FIELD_BYTE_OFFSET struct foo.a: 0", "FIELD_BYTE_OFFSET struct foo.b: 4"]);
  // A load of only the program reading foo.b sees both candidates disagree: ambiguous, against either BTF.
  assert.throws(() => outcomes(onlyB, full), (e: unknown) => e instanceof CoreRelocationError && /ambiguous/.test(e.message));
  assert.throws(() => outcomes(onlyB, minimal), (e: unknown) => e instanceof CoreRelocationError && /ambiguous/.test(e.message));
  assert.deepEqual(minimal.typesByName("foo___v2", "STRUCT")[0]?.members.map((m) => m.name), ["b"]);
});

test("a relocation the loader cannot resolve (ambiguous) fails minimising too, naming the object", () => {
  const { kernel, onlyB } = flavors();
  assert.throws(() => minimizeCoreRelocations(kernel, [onlyB]),
    (e: unknown) => e instanceof CoreRelocationError && /^flavors: .*ambiguous/.test(e.message));
});

test("minimising for no object at all is refused", () => {
  assert.throws(() => minimizeCoreRelocations(kernel(), []), InvalidArgumentError);
});
