// BTF-specific fuzzing beside the main suite (test/fuzz/fuzz.test.ts, which runs
// ≥ 100,000 mutated objects, BTF, .BTF.ext, dumps and CLI runs): cyclic type
// graphs through the model's queries, and the running kernel's BTF mutated
// in place. Only BtfError may come out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import { Btf, BtfError, ElfError } from "../../src/index.js";
import { encodeBtf, type BtfTypeInput } from "../../src/btf/index.js";
import { interesting, Rng } from "../fuzz/mutate.js";
import { skipFor } from "../util/environment.js";

const VMLINUX_CASES = 150;

function expected(e: unknown): boolean {
  return e instanceof ElfError || e instanceof BtfError;
}

/** Runs `f`; an expected error counts as handled, anything else fails the test. */
function guard(what: string, f: () => void): void {
  try {
    f();
  } catch (e) {
    if (!expected(e)) throw new Error(`${what}: unexpected ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
  }
}

/** Runs `f`, returning false when it threw an expected error. */
function ok(what: string, f: () => void): boolean {
  try {
    f();
    return true;
  } catch (e) {
    if (!expected(e)) throw new Error(`${what}: unexpected ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
    return false;
  }
}

/** Touches every part of a Btf: decode, names, resolve, sizes, alignments, lookups, and sometimes an encode round trip. */
function exerciseBtf(btf: Btf, rng: Rng, sample = Infinity): void {
  const n = Math.min(btf.count, sample);
  for (let i = 0; i < n; i++) {
    const id = sample === Infinity ? btf.firstId + i : btf.firstId + rng.below(btf.count);
    // A type that does not decode makes the other queries fail the same way; skip them.
    if (!ok("typeById", () => btf.typeById(id))) continue;
    guard("kindOf/nameOf", () => { btf.kindOf(id); btf.nameOf(id); });
    guard("resolve", () => btf.resolve(id));
    guard("sizeOf", () => btf.sizeOf(id));
    guard("alignOf", () => btf.alignOf(id));
  }
  guard("typeById out of range", () => btf.typeById(btf.lastId + 1 + rng.below(1000)));
  guard("typesByName", () => { btf.typesByName("int"); btf.typesByName("task_struct", "STRUCT"); });
  if (sample === Infinity && rng.below(8) === 0) {
    guard("encode", () => {
      const again = new Btf(encodeBtf(btf, { base: btf.base }), { base: btf.base });
      assert.equal(again.count, btf.count);
    });
  }
}

/** BTF whose reference graph is cyclic in every way the model allows. */
function cyclicBtfs(): Uint8Array[] {
  const int: BtfTypeInput = { kind: "INT", name: "int", kindFlag: false, size: 4, signed: true, char: false, bool: false, bitOffset: 0, bits: 32 };
  const graphs: BtfTypeInput[][] = [
    [{ kind: "TYPEDEF", name: "self", kindFlag: false, type: 1 }],
    [{ kind: "PTR", name: "", kindFlag: false, type: 1 }],
    [{ kind: "CONST", name: "", kindFlag: false, type: 2 }, { kind: "VOLATILE", name: "", kindFlag: false, type: 1 }],
    [{ kind: "STRUCT", name: "s", kindFlag: false, size: 8, members: [{ name: "me", type: 1, bitOffset: 0, bitfieldSize: 0 }] }],
    [{ kind: "ARRAY", name: "", kindFlag: false, type: 1, indexType: 2, nelems: 3 }, int],
    [{ kind: "UNION", name: "u", kindFlag: false, size: 4, members: [{ name: "a", type: 2, bitOffset: 0, bitfieldSize: 0 }] },
      { kind: "TYPEDEF", name: "t", kindFlag: false, type: 3 }, { kind: "ARRAY", name: "", kindFlag: false, type: 1, indexType: 4, nelems: 2 }, int],
    [{ kind: "VAR", name: "v", kindFlag: false, type: 1, linkage: "global", linkageValue: 1 }],
    [{ kind: "TYPE_TAG", name: "tag", kindFlag: false, type: 1 }],
    // A wide DAG: 40 structs, each with two members of the next one.
    Array.from({ length: 40 }, (_, i): BtfTypeInput => ({
      kind: "STRUCT", name: `d${i}`, kindFlag: false, size: 8,
      members: [{ name: "a", type: i + 2 > 40 ? 41 : i + 2, bitOffset: 0, bitfieldSize: 0 }, { name: "b", type: i + 2 > 40 ? 41 : i + 2, bitOffset: 0, bitfieldSize: 0 }],
    })).concat([int]),
  ];
  return graphs.map((g) => encodeBtf(g));
}

test("cyclic type graphs terminate with BtfError", () => {
  for (const bytes of cyclicBtfs()) {
    const btf = new Btf(bytes);
    exerciseBtf(btf, new Rng(1));
  }
  const selfTypedef = new Btf(cyclicBtfs()[0] as Uint8Array);
  assert.throws(() => selfTypedef.resolve(1), BtfError);
  assert.throws(() => selfTypedef.sizeOf(1), BtfError);
  const selfStruct = new Btf(cyclicBtfs()[3] as Uint8Array);
  assert.throws(() => selfStruct.alignOf(1), BtfError);
});

test("fuzz: mutated vmlinux BTF", { timeout: 120_000 }, (t) => {
  if (!existsSync("/sys/kernel/btf/vmlinux")) return skipFor(t, "no vmlinux BTF");
  const rng = new Rng(Number(process.env.TSBPF_FUZZ_SEED ?? 7));
  const original = readFileSync("/sys/kernel/btf/vmlinux");
  const work = Buffer.from(original);
  const view = new DataView(work.buffer, work.byteOffset, work.byteLength);
  for (let i = 0; i < VMLINUX_CASES; i++) {
    // Mutate in place and restore afterwards: copying 5 MB per case would dominate.
    const edits: [number, number][] = [];
    const n = 1 + rng.below(4);
    for (let k = 0; k < n; k++) {
      const o = rng.below(work.length - 4) & ~3;
      edits.push([o, view.getUint32(o, true)]);
      view.setUint32(o, rng.below(2) ? (interesting[rng.below(interesting.length)] as number) : rng.next(), true);
    }
    // Sometimes hit the header or the first types, where one edit breaks everything after it.
    if (rng.below(4) === 0) {
      const o = rng.below(64) & ~3;
      edits.push([o, view.getUint32(o, true)]);
      view.setUint32(o, interesting[rng.below(interesting.length)] as number, true);
    }
    const bytes = rng.below(8) === 0 ? work.subarray(0, rng.below(work.length)) : work;
    guard("vmlinux", () => exerciseBtf(new Btf(bytes), rng, 2000));
    for (const [o, v] of edits.reverse()) view.setUint32(o, v, true);
  }
  assert.equal(Buffer.compare(work, original), 0);
});
