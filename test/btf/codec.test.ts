// BtfCodec's behaviour on known types: byte order against hand-built bytes,
// names and lookup, flexible array members, chars: "bytes", encodeInto,
// number/bigint interchange, member names that are Object.prototype's, and
// decoding in place from a DataView at an offset.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Btf, BtfCodec, BtfError, encodeBtf, type BtfTypeInput } from "../../src/btf/index.js";
import { loadObjectSpec } from "../../src/object/index.js";
import { InvalidArgumentError } from "../../src/sys/errors.js";

const FIXTURE = fileURLToPath(new URL("../../../test/fixtures/codec/codec.bpf.o", import.meta.url));
const fixtureBtf = (): Btf => loadObjectSpec(FIXTURE).btf!;

const int = (name: string, size: number, signed: boolean): BtfTypeInput =>
  ({ kind: "INT", name, kindFlag: false, size, signed, char: false, bool: false, bitOffset: 0, bits: size * 8 });
const member = (name: string, type: number, bitOffset: number, bitfieldSize = 0) => ({ name, type, bitOffset, bitfieldSize });

/** struct be { u16 a; u32 b; u64 c; s32 d; u16 x:4, y:12; __int128 w; } (48 bytes). */
function byteOrderBtf(): Btf {
  return new Btf(encodeBtf([
    int("unsigned short", 2, false), int("unsigned int", 4, false), int("unsigned long long", 8, false), int("int", 4, true), int("__int128", 16, true),
    { kind: "STRUCT", name: "be", kindFlag: true, size: 48, members: [
      member("a", 1, 0), member("b", 2, 32), member("c", 3, 64), member("d", 4, 128), member("x", 1, 160, 4), member("y", 1, 164, 12), member("w", 5, 256),
    ] },
  ]));
}
const BYTE_ORDER_VALUE = { a: 0x0102, b: 0x0304_0506, c: 0x0708_090a_0b0c_0d0en, d: -2, x: 0xa, y: 0xbcd, w: 0x0011_2233_4455_6677_8899_aabb_ccdd_eeffn };
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));

test("big-endian: encode and decode match bytes built by hand (integers, bitfields from the MSB, 128-bit)", () => {
  const codec = BtfCodec.of(byteOrderBtf(), "struct be", { littleEndian: false });
  const expected = hex(`0102 0000 03040506 0708090a0b0c0d0e fffffffe abcd 0000 0000000000000000 00112233445566778899aabbccddeeff`);
  assert.equal(codec.littleEndian, false);
  assert.deepEqual(codec.encode(BYTE_ORDER_VALUE), expected);
  assert.deepEqual(codec.decode(expected), BYTE_ORDER_VALUE);
});

test("little-endian: the same struct, bitfields from the LSB", () => {
  const codec = BtfCodec.of(byteOrderBtf(), "be", { littleEndian: true });
  const expected = hex(`0201 0000 06050403 0e0d0c0b0a090807 feffffff dabc 0000 0000000000000000 ffeeddccbbaa99887766554433221100`);
  assert.deepEqual(codec.encode(BYTE_ORDER_VALUE), expected);
  assert.deepEqual(codec.decode(expected), BYTE_ORDER_VALUE);
});

test("names: C spellings, lookup by tagged, bare and typedef names, and the typedef-of-struct idiom", () => {
  const btf = fixtureBtf();
  const event = BtfCodec.of(btf, "struct event");
  assert.equal(event.name, "struct event");
  assert.equal(event.size, btf.sizeOf(event.typeId));
  assert.equal(BtfCodec.of(btf, "event").typeId, event.typeId);
  assert.equal(BtfCodec.of(btf, event.typeId).name, "struct event");
  assert.equal(BtfCodec.of(btf, "pid_t32").name, "pid_t32");
  assert.equal(BtfCodec.of(btf, "__u64").name, "__u64");
  assert.equal(BtfCodec.of(btf, "union either").name, "union either");
  assert.equal(BtfCodec.of(btf, "enum huge").name, "enum huge");
  const comm = btf.resolve(btf.typeByName("event", "STRUCT")!.members.find((m) => m.name === "comm")!.type);
  assert.equal(BtfCodec.of(btf, comm.id).name, "char[16]");
  const multi = btf.typeByName("arrays", "STRUCT")!.members.find((m) => m.name === "multi")!.type;
  assert.equal(BtfCodec.of(btf, multi).name, "int[2][3]");
  assert.deepEqual(BtfCodec.of(btf, multi).decode(new Uint8Array(24)), [[0, 0, 0], [0, 0, 0]]);
  // typedef struct s {…} s: both names denote one type; the bare name picks the struct.
  const td = new Btf(encodeBtf([int("int", 4, true), { kind: "STRUCT", name: "s", kindFlag: false, size: 4, members: [member("v", 1, 0)] }, { kind: "TYPEDEF", name: "s", kindFlag: false, type: 2 }]));
  assert.equal(BtfCodec.of(td, "s").typeId, 2);
});

test("a flexible array member: elements that fit in `length`, encode sized by the elements", () => {
  const btf = fixtureBtf();
  const flex = BtfCodec.of<{ n: number; len: number; data: number[] }>(btf, "struct flex");
  assert.equal(flex.size, 8);
  const bytes = flex.encode({ n: 3, len: 6, data: [10, 20, 30] });
  // data starts at byte 6, inside the struct's 8 bytes: element 0 shares the tail padding.
  assert.equal(bytes.length, 6 + 3 * 2);
  assert.deepEqual(flex.decode(bytes), { n: 3, len: 6, data: [10, 20, 30] });
  // `length` bounds the elements; an odd trailing byte is not an element.
  assert.deepEqual(flex.decode(bytes, 0, 11).data, [10, 20]);
  const bigger = new Uint8Array(32);
  bigger.set(bytes, 4);
  assert.deepEqual(flex.decode(bigger, 4, 11).data, [10, 20]);
  assert.deepEqual(flex.decode(bytes, 0, 8).data, [10], "the element that fits in the padding decodes");
  assert.deepEqual(flex.encode({ n: 1, len: 0, data: [] }), new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]));
  assert.deepEqual(flex.encode({ n: 1 } as never), new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]));
  assert.throws(() => flex.decode(bytes, 0, 7), (e: unknown) => e instanceof InvalidArgumentError && /struct flex is 8 bytes, the source has 7/.test(e.message));
});

test("decode reads in place: a DataView or a Uint8Array at an offset, later changes to the source show", () => {
  const btf = fixtureBtf();
  const event = BtfCodec.of<{ pid: number; comm: string; cred: { uid: number } }>(btf, "struct event");
  const ring = new Uint8Array(4096);
  const at = 1000;
  event.encodeInto({ pid: 7, comm: "ls", cred: { uid: 5 } } as never, ring, at);
  const view = new DataView(ring.buffer);
  assert.deepEqual([event.decode(view, at).pid, event.decode(view, at).comm, event.decode(ring, at).cred.uid], [7, "ls", 5]);
  ring[at] = 8;
  assert.equal(event.decode(ring.subarray(at)).pid, 8);
});

test("chars: 'bytes' gives char arrays as Uint8Array copies; strings are UTF-8 up to the first NUL", () => {
  const btf = fixtureBtf();
  const text = BtfCodec.of<{ comm: string; name: string }>(btf, "struct arrays");
  const raw = BtfCodec.of<{ comm: Uint8Array }>(btf, "struct arrays", { chars: "bytes" });
  const bytes = text.encode({ comm: "héllo €", name: "12345678" } as never);
  const r = raw.decode(bytes).comm;
  assert.deepEqual(r, Uint8Array.from([...Buffer.from("héllo €"), 0, 0, 0, 0, 0, 0]));
  r[0] = 0; // a copy: the source is unchanged
  assert.equal(text.decode(bytes).comm, "héllo €");
  assert.equal(text.decode(bytes).name, "12345678", "exactly N bytes: no NUL needed");
  assert.deepEqual(raw.encode(raw.decode(bytes)), bytes);
});

test("encodeInto: writes at an offset, returns the size, writes nothing when the value does not fit", () => {
  const btf = fixtureBtf();
  const ints = BtfCodec.of<Record<string, unknown>>(btf, "struct ints");
  const target = new Uint8Array(ints.size + 8).fill(0x55);
  assert.equal(ints.encodeInto({ u8: 1 }, target, 8), ints.size);
  assert.deepEqual(target.subarray(0, 8), new Uint8Array(8).fill(0x55));
  assert.equal(target[8], 1);
  assert.ok(target.subarray(9).every((b) => b === 0), "missing members and padding are zero");
  const before = target.slice();
  assert.throws(() => ints.encodeInto({ u8: 1, u16: 70000 }, target, 8), InvalidArgumentError);
  assert.deepEqual(target, before);
  assert.throws(() => ints.encodeInto({}, target, 9), (e: unknown) => e instanceof InvalidArgumentError && /needs \d+ bytes, the target has/.test(e.message));
  assert.deepEqual(target, before);
});

test("number and bigint are interchangeable where the value fits; decoding gives the mapping's type", () => {
  const btf = fixtureBtf();
  const ints = BtfCodec.of<Record<string, unknown>>(btf, "struct ints");
  const v = ints.decode(ints.encode({ u64: 5, u32: 6n, s128: -1, ptr: undefined, flag: 1 }));
  assert.deepEqual([v.u64, v.u32, v.s128, v.flag], [5n, 6, -1n, true]);
  const ptrs = BtfCodec.of<Record<string, unknown>>(btf, "struct ptrs");
  assert.equal(ptrs.decode(ptrs.encode({ fn: 4096 })).fn, 4096n);
});

test("member names that Object.prototype also has are plain keys", () => {
  const btf = new Btf(encodeBtf([int("int", 4, true), { kind: "STRUCT", name: "odd", kindFlag: false, size: 12, members: [member("__proto__", 1, 0), member("constructor", 1, 32), member("toString", 1, 64)] }]));
  const codec = BtfCodec.of<Record<string, number>>(btf, "struct odd");
  const value = JSON.parse('{"__proto__": 1, "constructor": 2, "toString": 3}') as Record<string, number>;
  const decoded = codec.decode(codec.encode(value));
  assert.deepEqual(Object.entries(decoded), [["__proto__", 1], ["constructor", 2], ["toString", 3]]);
  assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
  assert.deepEqual(Object.entries(codec.decode(codec.encode({}))), [["__proto__", 0], ["constructor", 0], ["toString", 0]]);
});

test("unions: decode gives every member, encode takes one (an anonymous struct's members count as one)", () => {
  const btf = fixtureBtf();
  const either = BtfCodec.of<Record<string, unknown>>(btf, "union either");
  assert.deepEqual(either.decode(either.encode({ pt: { x: 1, y: 2 } })), { wide: 0x2_0000_0001n, pt: { x: 1, y: 2 }, text: "\u0001" });
  const u = new Btf(encodeBtf([
    int("int", 4, true),
    { kind: "STRUCT", name: "", kindFlag: false, size: 8, members: [member("a", 1, 0), member("b", 1, 32)] },
    { kind: "UNION", name: "u", kindFlag: false, size: 8, members: [member("", 2, 0), member("c", 1, 0)] },
  ]));
  const codec = BtfCodec.of<Record<string, number>>(u, "union u");
  assert.deepEqual(codec.decode(codec.encode({ a: 1, b: 2 })), { a: 1, b: 2, c: 1 });
  assert.throws(() => codec.encode({ a: 1, c: 2 }), (e: unknown) => e instanceof InvalidArgumentError && /union u: a union takes one member, got 'a' and 'c'/.test(e.message));
});

test("a variable's id decodes its type (VAR is followed like a typedef)", () => {
  const btf = new Btf(encodeBtf([int("int", 4, true), { kind: "VAR", name: "counter", kindFlag: false, type: 1, linkage: "global", linkageValue: 1 }]));
  assert.equal(BtfCodec.of(btf, 2).decode(new Uint8Array([0xff, 0xff, 0xff, 0xff])), -1);
  assert.throws(() => BtfCodec.of(btf, "counter"), BtfError, "a variable is not a type name");
});
