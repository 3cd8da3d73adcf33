// The TypeScript declarations emitted from BTF follow the codec's mapping
// (docs/guides/typed-data.md) for every kind, flatten anonymous members,
// name anonymous types by their typedef, say exactly what they cannot
// express, and rename clashes with a note.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Btf } from "../../src/btf/btf.js";
import { encodeBtf } from "../../src/btf/encode.js";
import { btfFromElf } from "../../src/btf/elf.js";
import { BtfError } from "../../src/btf/errors.js";
import type { BtfTypeInput } from "../../src/btf/types.js";
import { TsTypeEmitter } from "../../src/gen/ts-types.js";
import { BtfCodec } from "../../src/btf/codec/index.js";
import { TsNames, pascalCase, propertyKey } from "../../src/gen/ts-names.js";

const OBJECT = new URL("../../../test/fixtures/skeleton/skel.bpf.o", import.meta.url).pathname;

function fixtureBtf(): Btf {
  const { btf } = btfFromElf(readFileSync(OBJECT));
  assert.ok(btf, "the fixture has BTF");
  return btf;
}

function structId(btf: Btf, name: string): number {
  const t = btf.typeByName(name, "STRUCT");
  assert.ok(t, `struct ${name} is in the fixture`);
  return t.id;
}

test("struct event: every kind of the mapping, bitfields, anonymous union flattened", () => {
  const btf = fixtureBtf();
  const emitter = new TsTypeEmitter(btf, new TsNames());
  assert.equal(emitter.typeOf(structId(btf, "event")), "Event");
  assert.equal(emitter.source(), `/** struct inner (4 bytes). */
export interface Inner {
  port: number; // __u16
  proto: number; // __u8
  delta: number; // __s8
}

/** enum color (4 bytes): its enumerators. */
export const Color = {
  RED: 1,
  GREEN: 2,
  BLUE: 4,
} as const;
/** A value of enum color: a number, since the program may store values the enum does not name. */
export type Color = number;

/** enum big (8 bytes): its enumerators. */
export const Big = {
  BIG_ONE: 4294967296n,
  BIG_TWO: 8589934592n,
} as const;
/** A value of enum big: a bigint, since the program may store values the enum does not name. */
export type Big = bigint;

/** struct event (128 bytes). */
export interface Event {
  ts: bigint; // __u64
  neg: bigint; // __s64
  pid: number; // __u32
  fd: number; // int
  comm: string; // char[16]
  label: string; // char[8]
  raw: Uint8Array; // __u8[4]
  inner: Inner; // struct inner
  pair: Inner[]; // struct inner[2]
  flag: number; // __u32 :1
  kind: number; // __u32 :3
  level: number; // __u32 :12
  rest: number; // __u32 :16
  wide: bigint; // __u64 :40
  narrow: bigint; // __u64 :24
  as_u32: number; // __u32
  as_s32: number; // __s32
  color: Color; // enum color
  big: Big; // enum big
  ok: boolean; // _Bool
  verbose: boolean; // _Bool
  ptr: bigint; // void *
  temps: number[]; // __s16[3]
  hits: bigint; // __u64
}`);
  // Asking again declares nothing new: one declaration per type.
  const before = emitter.source();
  assert.equal(emitter.typeOf(structId(btf, "inner")), "Inner");
  assert.equal(emitter.source(), before);
});

test("the declared TS types are what the codec decodes, field by field", () => {
  const btf = fixtureBtf();
  const emitter = new TsTypeEmitter(btf, new TsNames());
  emitter.typeOf(structId(btf, "event"));
  const body = /export interface Event \{\n([^}]*)\n\}/.exec(emitter.source());
  assert.ok(body);
  const declared = new Map(body[1]!.split("\n").map((line) => {
    const m = /^ {2}(\w+): ([^;]+);/.exec(line);
    assert.ok(m, line);
    return [m[1]!, m[2]!] as const;
  }));
  const value = BtfCodec.of<Record<string, unknown>>(btf, "struct event").decode(new Uint8Array(btf.sizeOf(structId(btf, "event"))));
  assert.deepEqual([...declared.keys()], Object.keys(value));
  const runtimeType = (v: unknown): string =>
    v instanceof Uint8Array ? "Uint8Array" : Array.isArray(v) ? `${runtimeType(v[0])}[]` : typeof v === "object" ? "object" : typeof v;
  const expected = (ts: string): string =>
    ts.endsWith("[]") ? `${expected(ts.slice(0, -2))}[]` : ts === "Color" ? "number" : ts === "Big" ? "bigint" : ts === "Inner" ? "object" : ts;
  for (const [name, ts] of declared) assert.equal(runtimeType(value[name]), expected(ts), `field ${name}: declared ${ts}`);
});

// A small BTF with what the fixture cannot hold.
const int = (name: string, size: number, signed = true, extra: { char?: boolean; bool?: boolean } = {}): BtfTypeInput =>
  ({ kind: "INT", name, kindFlag: false, size, signed, char: extra.char ?? false, bool: extra.bool ?? false, bitOffset: 0, bits: size * 8 });
const member = (name: string, type: number, bitOffset = 0, bitfieldSize = 0) => ({ name, type, bitOffset, bitfieldSize });

function syntheticBtf(): Btf {
  return new Btf(encodeBtf([
    int("int", 4), //                                                         1
    { kind: "FLOAT", name: "long double", kindFlag: false, size: 16 }, //     2
    { kind: "STRUCT", name: "has_ld", kindFlag: false, size: 32, members: [member("a", 1), member("when", 2, 128)] }, // 3
    { kind: "STRUCT", name: "", kindFlag: false, size: 8, members: [member("x", 1), member("y", 1, 32)] }, // 4
    { kind: "TYPEDEF", name: "config_t", kindFlag: false, type: 4 }, //       5
    { kind: "FWD", name: "opaque", kindFlag: false, fwdKind: "struct" }, //   6
    { kind: "STRUCT", name: "wraps", kindFlag: false, size: 8, members: [member("inner", 7)] }, // 7 (contains itself)
    { kind: "STRUCT", name: "clash", kindFlag: false, size: 8, members: [member("x", 1), member("", 9, 32)] }, // 8
    { kind: "UNION", name: "", kindFlag: false, size: 4, members: [member("x", 1)] }, // 9
    int("__int128", 16), //                                                   10
    { kind: "ENUM", name: "", kindFlag: false, size: 4, signed: true, values: [{ name: "NEG", value: -1 }] }, // 11
    { kind: "TYPEDEF", name: "mode_t", kindFlag: false, type: 11 }, //        12
    { kind: "STRUCT", name: "class", kindFlag: false, size: 16, members: [member("big", 10), member("default", 12, 0)] }, // 13
    { kind: "TYPEDEF", name: "u32_t", kindFlag: false, type: 1 }, //          14
  ]));
}

test("what has no JS value is named with its member path", () => {
  const btf = syntheticBtf();
  const emitter = new TsTypeEmitter(btf, new TsNames());
  assert.match(emitter.whyInexpressible(3)!, /^struct has_ld\.when: long double is a 16-byte float/);
  assert.match(emitter.whyInexpressible(6)!, /struct opaque is only declared \(a forward declaration\)/);
  assert.match(emitter.whyInexpressible(7)!, /^struct wraps\.inner: struct wraps contains itself by value/);
  assert.match(emitter.whyInexpressible(8)!, /member 'x' clashes with/);
  assert.throws(() => emitter.typeOf(3), BtfError);
  assert.equal(emitter.source(), "", "nothing is declared for what cannot be expressed");
});

test("anonymous types are named by their typedef; a typedef of a scalar is a type alias; keyword members stay", () => {
  const btf = syntheticBtf();
  const names = new TsNames();
  const emitter = new TsTypeEmitter(btf, names);
  assert.equal(emitter.typeOf(5), "ConfigT");
  assert.equal(emitter.declare(14), "U32T");
  assert.equal(emitter.typeOf(13), "Class");
  assert.match(emitter.source(), /\/\*\* typedef config_t \(struct\) \(8 bytes\)\. \*\/\nexport interface ConfigT \{\n {2}x: number; \/\/ int\n {2}y: number; \/\/ int\n\}/);
  assert.match(emitter.source(), /export type U32T = number;/);
  assert.match(emitter.source(), /export const ModeT = \{\n {2}NEG: -1,\n\} as const;/);
  assert.match(emitter.source(), /export interface Class \{\n {2}big: bigint; \/\/ __int128\n {2}default: ModeT; \/\/ mode_t\n\}/);
  assert.deepEqual(names.notes, []);
});

test("names: PascalCase, reserved words and clashes get '_' and a note", () => {
  assert.equal(pascalCase("process_event"), "ProcessEvent");
  assert.equal(pascalCase("__u64"), "U64");
  assert.equal(pascalCase("task_struct___v1"), "TaskStructV1");
  assert.equal(pascalCase("___"), "___");
  assert.equal(propertyKey("class"), "class");
  assert.equal(propertyKey("a-b"), '"a-b"');
  const names = new TsNames();
  names.reserve("Buffer", "a global the module uses");
  assert.equal(names.declare("class", "struct class"), "class_");
  assert.equal(names.declare("Buffer", "struct Buffer"), "Buffer_");
  assert.equal(names.declare("FooBar", "struct foo_bar"), "FooBar");
  assert.equal(names.declare("FooBar", "struct fooBar"), "FooBar_");
  assert.deepEqual(names.notes, [
    "struct class: the name 'class' is a TypeScript reserved word; declared as 'class_'",
    "struct Buffer: the name 'Buffer' is already a global the module uses; declared as 'Buffer_'",
    "struct fooBar: the name 'FooBar' is already struct foo_bar; declared as 'FooBar_'",
  ]);
});
