// The hashed name index of Btf (idsByName, typesByName, typeByName,
// flavoredIdsOf) and the CO-RE candidate search built on it, checked against
// brute force over nameOf(): on hand-made BTF whose string tables repeat
// names at several offsets, share suffixes, live in a split BTF's base, and
// carry CO-RE flavors; and on the running kernel's vmlinux.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { Btf } from "../../src/btf/btf.js";
import { BtfError } from "../../src/btf/errors.js";
import { findCandidatesIn } from "../../src/core/candidates.js";
import { essentialName } from "../../src/core/names.js";
import { skipFor } from "../util/environment.js";

const VMLINUX = "/sys/kernel/btf/vmlinux";
const KIND_INT = 1;
const KIND_STRUCT = 4;

/** A string section built by hand, so tests choose exactly where each name sits. */
class Strings {
  readonly parts: Buffer[] = [];
  length = 0;

  constructor(readonly start = 0) {}

  /** Appends `s` + NUL and returns its offset in the combined offset space. */
  add(s: string): number {
    const at = this.start + this.length;
    const b = Buffer.from(s + "\0", "utf8");
    this.parts.push(b);
    this.length += b.length;
    return at;
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

interface RawType {
  readonly kind: typeof KIND_INT | typeof KIND_STRUCT;
  readonly nameOff: number;
}

/** Raw BTF bytes: header, STRUCT (no members) / INT records, the given string section. */
function rawBtf(types: readonly RawType[], strings: Buffer, littleEndian = true): Uint8Array {
  const words: number[] = [];
  for (const t of types) {
    words.push(t.nameOff, t.kind << 24, 4);
    if (t.kind === KIND_INT) words.push(32); // encoding: 32 bits at offset 0
  }
  const out = Buffer.alloc(24 + words.length * 4 + strings.length);
  const u32 = (v: number, at: number): number => (littleEndian ? out.writeUInt32LE(v, at) : out.writeUInt32BE(v, at));
  if (littleEndian) out.writeUInt16LE(0xeb9f, 0);
  else out.writeUInt16BE(0xeb9f, 0);
  out[2] = 1;
  u32(24, 4);
  u32(0, 8);
  u32(words.length * 4, 12);
  u32(words.length * 4, 16);
  u32(strings.length, 20);
  words.forEach((w, i) => u32(w, 24 + i * 4));
  strings.copy(out, 24 + words.length * 4);
  return out;
}

/** Base BTF: repeated "foo", a suffix-shared "foo", flavors, tricky underscores, UTF-8. */
function baseFixture(littleEndian = true): { btf: Btf } {
  const s = new Strings();
  s.add("");
  const foo1 = s.add("foo");
  const foo2 = s.add("foo"); // not deduplicated: equal bytes at another offset
  const xfoo = s.add("xfoo");
  const types: RawType[] = [
    { kind: KIND_STRUCT, nameOff: foo1 }, // 1
    { kind: KIND_STRUCT, nameOff: foo2 }, // 2
    { kind: KIND_INT, nameOff: xfoo + 1 }, // 3: "foo" as the tail of "xfoo"
    { kind: KIND_STRUCT, nameOff: xfoo }, // 4
    { kind: KIND_STRUCT, nameOff: s.add("task___v1") }, // 5
    { kind: KIND_STRUCT, nameOff: s.add("task") }, // 6
    { kind: KIND_STRUCT, nameOff: s.add("task___v2___x") }, // 7: essential "task___v2"
    { kind: KIND_STRUCT, nameOff: s.add("____y") }, // 8: no flavor (nothing before the separator)
    { kind: KIND_STRUCT, nameOff: s.add("a____b") }, // 9: no flavor (four underscores)
    { kind: KIND_STRUCT, nameOff: 0 }, // 10: anonymous
    { kind: KIND_STRUCT, nameOff: s.add("é___v") }, // 11: essential "é"
    { kind: KIND_STRUCT, nameOff: s.add("task___") }, // 12: no flavor (nothing after)
    { kind: KIND_INT, nameOff: s.add("task___v1") }, // 13: second copy of a flavored name
  ];
  return { btf: new Btf(rawBtf(types, s.bytes(), littleEndian)) };
}

/** Checks idsByName and flavoredIdsOf for every name (and its essential name) against brute force. */
function assertIndexMatchesBruteForce(btf: Btf): void {
  const exact = new Map<string, number[]>();
  const flavored = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, k: string, id: number): void => {
    const list = m.get(k);
    if (list) list.push(id);
    else m.set(k, [id]);
  };
  for (let id = 1; id <= btf.lastId; id++) {
    const name = btf.nameOf(id);
    if (name === "") continue;
    push(exact, name, id);
    const essential = essentialName(name);
    if (id >= btf.firstId && essential !== name) push(flavored, essential, id);
  }
  for (const [name, ids] of exact) {
    assert.deepEqual(btf.idsByName(name), ids, `idsByName(${JSON.stringify(name)})`);
    const essential = essentialName(name);
    assert.deepEqual(btf.flavoredIdsOf(essential), flavored.get(essential) ?? [], `flavoredIdsOf(${JSON.stringify(essential)})`);
  }
}

test("idsByName finds equal names at every offset, suffixes included, in id order", () => {
  for (const littleEndian of [true, false]) {
    const { btf } = baseFixture(littleEndian);
    assert.deepEqual(btf.idsByName("foo"), [1, 2, 3]);
    assert.deepEqual(btf.idsByName("xfoo"), [4]);
    assert.deepEqual(btf.idsByName("task___v1"), [5, 13]);
    assert.deepEqual(btf.idsByName("é___v"), [11]);
    for (const missing of ["", "fo", "fooo", "oo", "nope", "task___v", "é"]) assert.deepEqual(btf.idsByName(missing), [], missing);
    assertIndexMatchesBruteForce(btf);
  }
});

test("typesByName filters by kind; typeByName is undefined when absent, BtfError when ambiguous", () => {
  const { btf } = baseFixture();
  assert.deepEqual(btf.typesByName("foo", "STRUCT").map((t) => t.id), [1, 2]);
  assert.deepEqual(btf.typesByName("foo").map((t) => t.id), [1, 2, 3]);
  assert.equal(btf.typeByName("foo", "INT")?.id, 3);
  assert.equal(btf.typeByName("foo", "UNION"), undefined);
  assert.equal(btf.typeByName("nope", "STRUCT"), undefined);
  assert.throws(() => btf.typeByName("foo", "STRUCT"), BtfError);
});

test("flavoredIdsOf returns the flavored names of an essential name, and only those", () => {
  const { btf } = baseFixture();
  assert.deepEqual(btf.flavoredIdsOf("task"), [5, 13]);
  assert.deepEqual(btf.flavoredIdsOf("task___v2"), [7]);
  assert.deepEqual(btf.flavoredIdsOf("é"), [11]);
  for (const none of ["", "foo", "_", "a", "a_", "tas", "task___v1", "____y"]) assert.deepEqual(btf.flavoredIdsOf(none), [], none);
});

test("split BTF: names in the base's string table are indexed; base ids come first", () => {
  const { btf: base } = baseFixture();
  const own = new Strings(base.strings.end);
  const ownFoo = own.add("foo");
  const ownFlavored = own.add("foo___own");
  const first = base.lastId + 1;
  // Offsets below base.strings.end point into the base's table (first own string is not "" here).
  const split = new Btf(rawBtf([
    { kind: KIND_STRUCT, nameOff: base.words[base.recordStart(5)] as number /* "task___v1" in the base */ },
    { kind: KIND_STRUCT, nameOff: ownFoo },
    { kind: KIND_STRUCT, nameOff: base.words[base.recordStart(2)] as number /* the base's second "foo" */ },
    { kind: KIND_STRUCT, nameOff: ownFlavored },
  ], own.bytes()), { base });
  assert.equal(split.nameOf(first), "task___v1");
  assert.deepEqual(split.idsByName("foo"), [1, 2, 3, first + 1, first + 2]);
  assert.deepEqual(split.idsByName("task___v1"), [5, 13, first]);
  assert.deepEqual(split.flavoredIdsOf("task"), [first], "own types only");
  assert.deepEqual(split.flavoredIdsOf("foo"), [first + 3]);
  assertIndexMatchesBruteForce(split);
});

test("CO-RE candidates: exact and flavored target names, id order, flavored-exact hits dropped", () => {
  const { btf } = baseFixture();
  const target = { name: "fixture", btf };
  const local = btf.typeById(5); // STRUCT task___v1, essential "task"
  assert.deepEqual(findCandidatesIn(target, local, "task").map((c) => c.typeId), [5, 6], "13 is an INT, 7 is task___v2");
  const localV2 = btf.typeById(7); // essential "task___v2": the exact name "task___v2" does not exist
  assert.deepEqual(findCandidatesIn(target, localV2, "task___v2").map((c) => c.typeId), [7]);
  assert.deepEqual(findCandidatesIn(target, btf.typeById(1), "foo").map((c) => c.typeId), [1, 2]);
});

test("vmlinux: idsByName and flavoredIdsOf agree with brute force for every type name", (t) => {
  if (!existsSync(VMLINUX)) return skipFor(t, "no vmlinux BTF");
  const btf = new Btf(readFileSync(VMLINUX));
  assertIndexMatchesBruteForce(btf);
  assert.equal(btf.typesByName("task_struct", "STRUCT").length, 1);
});
