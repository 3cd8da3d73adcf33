// BtfCodec's refusals: every type it cannot express is a BtfError at
// BtfCodec.of naming the type and member path; every value that does not fit
// is an InvalidArgumentError naming the member path; bad arguments are
// InvalidArgumentErrors too. Never a TypeError or RangeError.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Btf, BtfCodec, BtfError, encodeBtf, type BtfTypeInput } from "../../src/btf/index.js";
import { loadObjectSpec } from "../../src/object/index.js";
import { InvalidArgumentError } from "../../src/sys/errors.js";

const FIXTURE = fileURLToPath(new URL("../../../test/fixtures/codec/codec.bpf.o", import.meta.url));

const int = (name: string, size: number, signed: boolean, extra: Partial<{ bool: boolean }> = {}): BtfTypeInput =>
  ({ kind: "INT", name, kindFlag: false, size, signed, char: false, bool: extra.bool ?? false, bitOffset: 0, bits: size * 8 });
const member = (name: string, type: number, bitOffset: number, bitfieldSize = 0) => ({ name, type, bitOffset, bitfieldSize });
const struct = (name: string, size: number, members: ReturnType<typeof member>[], kindFlag = false): BtfTypeInput =>
  ({ kind: "STRUCT", name, kindFlag, size, members });

/** Ids: 1 int, 2 FWD, 3 FUNC_PROTO, 4 FUNC, 5 long double, 6 3-byte int, 7 holder{fwd}, 8 self{int; self[1]} via 9, 10 ld{long double}, … */
function badBtf(): Btf {
  return new Btf(encodeBtf([
    int("int", 4, true), // 1
    { kind: "FWD", name: "opaque", kindFlag: false, fwdKind: "struct" }, // 2
    { kind: "FUNC_PROTO", name: "", kindFlag: false, returnType: 1, params: [] }, // 3
    { kind: "FUNC", name: "f", kindFlag: false, type: 3, linkage: "global", linkageValue: 1 }, // 4
    { kind: "FLOAT", name: "long double", kindFlag: false, size: 16 }, // 5
    int("int24", 3, false), // 6
    struct("holder", 8, [member("ok", 1, 0), member("f", 2, 32)]), // 7
    struct("self", 8, [member("a", 1, 0), member("again", 9, 32)]), // 8
    { kind: "ARRAY", name: "", kindFlag: false, type: 8, indexType: 1, nelems: 1 }, // 9
    struct("ld", 16, [member("x", 5, 0)]), // 10
    { kind: "PTR", name: "", kindFlag: false, type: 0 }, // 11
    struct("ptrbits", 8, [member("p", 11, 0, 3)], true), // 12
    struct("", 4, [member("dup", 1, 0)]), // 13: anonymous
    struct("clash", 8, [member("dup", 1, 0), member("", 13, 32)]), // 14
    { kind: "DATASEC", name: ".data", kindFlag: false, size: 4, vars: [] }, // 15
    struct("odd", 4, [member("i", 6, 0)]), // 16
    int("bool3", 3, false, { bool: true }), // 17
    { kind: "FLOAT", name: "half", kindFlag: false, size: 2 }, // 18
    struct("clash", 4, [member("v", 1, 0)]), // 19: a second 'struct clash'
    { kind: "DECL_TAG", name: "tag", kindFlag: false, type: 1, componentIndex: -1 }, // 20
    struct("inner_flex", 4, [member("n", 1, 0), member("items", 22, 32)]), // 21
    { kind: "ARRAY", name: "", kindFlag: false, type: 1, indexType: 1, nelems: 0 }, // 22
    struct("outer", 8, [member("head", 1, 0), member("tail", 21, 32)]), // 23
  ]));
}

const refusedType = (re: RegExp) => (e: unknown): boolean => {
  assert.ok(e instanceof BtfError, `a BtfError, got ${String(e)}`);
  assert.match(e.message, re);
  return true;
};

test("types the codec cannot express: BtfError at BtfCodec.of naming the type and the member path", () => {
  const btf = badBtf();
  const cases: [number | string, RegExp][] = [
    [0, /void/],
    [2, /struct opaque is only declared \(a forward declaration\)/],
    [3, /is a function/],
    [4, /f is a function/],
    [5, /long double is a 16-byte float/],
    [18, /half is a 2-byte float/],
    [6, /int24 is a 3-byte integer/],
    [17, /bool3 is a 3-byte bool/],
    [7, /^struct holder\.f: struct opaque is only declared/],
    [8, /^struct self\.again\[\]: struct self contains itself by value/],
    [10, /^struct ld\.x: long double is a 16-byte float/],
    [16, /^struct odd\.i: int24 is a 3-byte integer/],
    [12, /^struct ptrbits\.p: a bitfield of void \* \(only integers, enums and bools can be bitfields\)/],
    [14, /struct clash\.\(anon\)\.dup: member 'dup' clashes with struct clash\.dup/],
    [15, /\.data is a data section/],
    [20, /not a value type/],
    [99, /no type with id 99/],
    [-1, /no type with id -1/],
    [1.5, /no type with id 1.5/],
    ["struct nope", /no type 'struct nope'/],
    ["hlder", /no type 'hlder' in this BTF; similar: struct holder/],
    ["opaque", /no type 'opaque' in this BTF \(it is only forward-declared here/],
    ["clash", /'clash' is ambiguous: 2 types match \(struct clash \[14\], struct clash \[19\]\)/],
    ["f", /no type 'f'/],
  ];
  for (const [type, re] of cases) assert.throws(() => BtfCodec.of(btf, type), refusedType(re), String(type));
});

test("bad options and arguments are InvalidArgumentErrors", () => {
  const btf = badBtf();
  const bad = (f: () => unknown, re: RegExp): void => {
    assert.throws(f, (e: unknown) => e instanceof InvalidArgumentError && re.test(e.message));
  };
  bad(() => BtfCodec.of(btf, 1, { chars: "text" as never }), /chars must be "string" or "bytes"/);
  bad(() => BtfCodec.of(btf, 1, { littleEndian: "yes" as never }), /littleEndian must be a boolean/);
  bad(() => BtfCodec.of(btf, {} as never), /type must be a type id or a name/);
  const c = BtfCodec.of<number>(btf, 1);
  bad(() => c.decode(new Uint8Array(3)), /int is 4 bytes, the source has 3 at offset 0/);
  bad(() => c.decode(new Uint8Array(8), 6), /int is 4 bytes, the source has 2 at offset 6/);
  bad(() => c.decode(new Uint8Array(8), 9), /offset must be an integer from 0 to 8/);
  bad(() => c.decode(new Uint8Array(8), 1.5), /offset must be an integer/);
  bad(() => c.decode(new Uint8Array(8), 0, 9), /length must be an integer from 0 to 8/);
  bad(() => c.decode(new Uint8Array(8), 0, 2), /int is 4 bytes, the source has 2/);
  bad(() => c.decode([1, 2, 3, 4] as never), /source must be a Uint8Array or a DataView/);
  bad(() => c.decode(new ArrayBuffer(4) as never), /source must be a Uint8Array or a DataView/);
  bad(() => c.encodeInto(1, new Uint8Array(3)), /int needs 4 bytes, the target has 3 at offset 0/);
  bad(() => c.encodeInto(1, new Uint8Array(8), -1), /offset must be an integer from 0 to 8/);
  bad(() => c.encodeInto(1, "x" as never), /target must be a Uint8Array or a DataView/);
  // A nested struct's flexible array member has no room for elements.
  const outer = BtfCodec.of<Record<string, unknown>>(btf, "struct outer");
  assert.deepEqual(outer.decode(new Uint8Array(8).fill(1)), { head: 0x0101_0101, tail: { n: 0x0101_0101, items: [] } });
  bad(() => outer.encode({ tail: { items: [1] } }), /^struct outer\.tail\.items: the flexible array member items of struct inner_flex holds no elements where struct inner_flex is nested/);
});

test("values that do not fit: InvalidArgumentError naming the member path, nothing returned", () => {
  const btf = loadObjectSpec(FIXTURE).btf!;
  const codec = (name: string) => BtfCodec.of<Record<string, unknown>>(btf, name);
  const cases: [string, unknown, RegExp][] = [
    ["struct event", { comm: "x".repeat(20) }, /^struct event\.comm: 20 bytes do not fit char\[16\]$/],
    ["struct event", { comm: "é".repeat(9) }, /^struct event\.comm: 18 bytes do not fit char\[16\]$/],
    ["struct event", { comm: "a\0b" }, /^struct event\.comm: the string contains a NUL character/],
    ["struct event", { comm: 5 }, /^struct event\.comm: expected a string \(or a Uint8Array of 16 bytes\) for char\[16\], got 5$/],
    ["struct event", { pid: 2 ** 32 }, /^struct event\.pid: 4294967296 is out of range for __u32 \(0 to 4294967295\)$/],
    ["struct event", { pid: -1 }, /^struct event\.pid: -1 is out of range for __u32/],
    ["struct event", { pid: 1.5 }, /^struct event\.pid: 1\.5 is not an integer \(__u32\)$/],
    ["struct event", { pid: "1" }, /^struct event\.pid: expected a number or bigint for __u32, got string "1"$/],
    ["struct event", { pid: true }, /^struct event\.pid: expected a number or bigint for __u32, got true$/],
    ["struct event", { start_ns: -1n }, /^struct event\.start_ns: -1 is out of range for __u64 \(0 to 18446744073709551615\)$/],
    ["struct event", { start_ns: 2 ** 64 }, /^struct event\.start_ns: 18446744073709552000 is beyond 2\^53, where numbers lose precision; pass a bigint/],
    ["struct event", { cred: { uid: 1, euid: 2 } }, /^struct event\.cred: no member 'euid' \(members: uid, gid\)$/],
    ["struct event", { cred: [1, 2] }, /^struct event\.cred: expected an object for struct \(anon\), got /],
    ["struct event", { signal: 128 }, /^struct event\.signal: 128 is out of range for a 7-bit unsigned bitfield of unsigned int \(0 to 127\)$/],
    ["struct event", { pidd: 1 }, /^struct event: no member 'pidd' \(members: pid, ppid, start_ns, end_ns, comm, filename, cred, exit_code, signal, core, flags\)$/],
    ["struct event", null, /^struct event: expected an object for struct event, got null$/],
    ["struct event", [], /^struct event: expected an object for struct event, got /],
    ["struct ints", { s8: -129 }, /^struct ints\.s8: -129 is out of range for __s8 \(-128 to 127\)$/],
    ["struct ints", { u16: 65536 }, /^struct ints\.u16: 65536 is out of range for __u16/],
    ["struct ints", { s16: 32768 }, /^struct ints\.s16: 32768 is out of range for __s16/],
    ["struct ints", { s32: 2 ** 31 }, /^struct ints\.s32: 2147483648 is out of range for __s32/],
    ["struct ints", { s64: 2n ** 63n }, /^struct ints\.s64: 9223372036854775808 is out of range for __s64/],
    ["struct ints", { u128: 2n ** 128n }, /^struct ints\.u128: \d+ is out of range for unsigned __int128/],
    ["struct ints", { s128: -(2n ** 127n) - 1n }, /^struct ints\.s128: -\d+ is out of range for __int128/],
    ["struct ints", { flag: 2 }, /^struct ints\.flag: expected a boolean for _Bool, got 2$/],
    ["struct ints", { flag: "true" }, /^struct ints\.flag: expected a boolean for _Bool, got string "true"$/],
    ["struct floats", { f: "1.5" }, /^struct floats\.f: expected a number for float, got string "1\.5"$/],
    ["struct floats", { d: 1n }, /^struct floats\.d: expected a number for double, got 1n$/],
    ["struct enums", { color: -1 }, /^struct enums\.color: -1 is out of range for enum color \(0 to 4294967295\)$/],
    ["struct enums", { temp: 2 ** 31 }, /^struct enums\.temp: 2147483648 is out of range for enum temp/],
    ["struct enums", { huge: -1n }, /^struct enums\.huge: -1 is out of range for enum huge/],
    ["struct ptrs", { p: -1n }, /^struct ptrs\.p: -1 is out of range for void \* \(0 to 18446744073709551615\)$/],
    ["struct ptrs", { fn: "main" }, /^struct ptrs\.fn: expected a number or bigint for \(function\) \*, got string "main"$/],
    ["struct arrays", { multi: [[1, 2, 3]] }, /^struct arrays\.multi: expected an array of 2 elements for int\[2\]\[3\], got 1 elements$/],
    ["struct arrays", { multi: [[1, 2, 3], [4, 5]] }, /^struct arrays\.multi\[1\]: expected an array of 3 elements for int\[3\], got 2 elements$/],
    ["struct arrays", { multi: [[1, 2, 3], [4, 5, 2 ** 31]] }, /^struct arrays\.multi\[1\]\[2\]: 2147483648 is out of range for int/],
    ["struct arrays", { pts: [{ x: 1 }, { y: 2 ** 31 }] }, /^struct arrays\.pts\[1\]\.y: 2147483648 is out of range for __s32/],
    ["struct arrays", { bytes: new Uint8Array(5) }, /^struct arrays\.bytes: a Uint8Array of 5 bytes does not fit __u8\[6\] \(exactly 6 bytes\)$/],
    ["struct arrays", { bytes: [1, 2, 3, 4, 5, 6] }, /^struct arrays\.bytes: expected a Uint8Array of 6 bytes for __u8\[6\], got /],
    ["struct arrays", { names: ["a", "123456789"] }, /^struct arrays\.names\[1\]: 9 bytes do not fit char\[8\]$/],
    ["struct arrays", { shorts: "abcd" }, /^struct arrays\.shorts: expected an array of 4 elements for __u16\[4\], got string "abcd"$/],
    ["struct nested", { deep: { inner: { x: 2 ** 40 } } }, /^struct nested\.deep\.inner\.x: 1099511627776 is out of range for __s32/],
    ["struct nested", { u: { word: 1, b: new Uint8Array(4) } }, /^struct nested\.u: a union takes one member, got 'word' and 'b' \(union \(anon\)\)$/],
    ["union either", { wide: 1n, text: "x" }, /^union either: a union takes one member, got 'wide' and 'text' \(union either\)$/],
    ["struct bits", { b: 16 }, /^struct bits\.b: 16 is out of range for a 5-bit signed bitfield of int \(-16 to 15\)$/],
    ["struct bits", { big: 2n ** 40n }, /^struct bits\.big: 1099511627776 is out of range for a 40-bit unsigned bitfield of __u64/],
    ["struct bits", { sbig: "x" }, /^struct bits\.sbig: expected a number or bigint for a 33-bit signed bitfield of __s64, got string "x"$/],
    ["struct bits", { on: 2 }, /^struct bits\.on: 2 is out of range for a 1-bit unsigned bitfield of _Bool \(0 to 1\)$/],
    ["struct flex", { data: [1, 70000] }, /^struct flex\.data\[1\]: 70000 is out of range for __u16/],
    ["struct flex", { data: 3 }, /^struct flex\.data: expected an array for the flexible array member data of struct flex, got 3$/],
  ];
  for (const [type, value, re] of cases) {
    const c = codec(type);
    assert.throws(() => c.encode(value as never), (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError, `${type} ${String(e)}`);
      assert.match(e.message, re);
      return true;
    }, `${type}: ${re}`);
  }
});
