// One table of scalar cases (every integer width signed and unsigned, bool,
// char, enums including ENUM64, a typedef, a pointer; boundaries and one past
// them; numbers and bigints; wrong JavaScript types) run against both sides
// of the variable codec: VariableSpec on the little- and big-endian builds of
// the same object (bytes checked in the object's order), and the live
// Variable of a loaded collection, where a program copies each input to an
// output so what we wrote is read back as the kernel stored it — through the
// mapping, through map lookup, and through a Variable that uses syscalls.
import { test } from "node:test";
import assert from "node:assert/strict";
import { endianness } from "node:os";
import { fileURLToPath } from "node:url";
import { loadObjectSpec } from "../../src/object/index.js";
import type { VariableSpec } from "../../src/object/variables.js";
import { Collection } from "../../src/collection.js";
import { Variable } from "../../src/collection/variables.js";
import { InvalidArgumentError } from "../../src/sys/errors.js";
import { ScalarCodec, type ScalarInput, type ScalarKind } from "../../src/btf/scalar-codec.js";

const fixture = (dir: string, file: string): string => fileURLToPath(new URL(`../../../test/fixtures/${dir}/${file}`, import.meta.url));
const HOST_LE = endianness() === "LE";
const ZERO_KEY = new Uint8Array(4);
const PACKET = new Uint8Array(64);

interface Case {
  /** Suffix of in_/out_/ro_ in the fixture. */
  readonly name: string;
  readonly size: number;
  readonly signed: boolean;
  readonly kind: ScalarKind;
  /** The C initialiser of in_* and ro_*. */
  readonly initial: bigint;
  readonly min: bigint;
  readonly max: bigint;
}

function scalar(name: string, size: number, signed: boolean, kind: ScalarKind, initial: bigint): Case {
  const bits = BigInt(size * 8);
  if (kind === "bool") return { name, size, signed, kind, initial, min: 0n, max: 1n };
  const min = signed ? -(1n << (bits - 1n)) : 0n;
  const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  return { name, size, signed, kind, initial, min, max };
}

const CASES: readonly Case[] = [
  scalar("u8", 1, false, "int", 0xffn),
  scalar("s8", 1, true, "int", -128n),
  scalar("u16", 2, false, "int", 0xffffn),
  scalar("s16", 2, true, "int", -32768n),
  scalar("u32", 4, false, "int", 0xffff_ffffn),
  scalar("s32", 4, true, "int", -(2n ** 31n)),
  scalar("u64", 8, false, "int", 2n ** 64n - 1n),
  scalar("s64", 8, true, "int", -(2n ** 63n)),
  scalar("bool", 1, false, "bool", 1n),
  scalar("char", 1, true, "int", 65n), // clang's BTF: 'char' is INT SIGNED (no CHAR bit on BPF)
  scalar("uchar", 1, false, "int", 200n),
  scalar("esmall", 4, true, "enum", -3n), // ENUM, kind_flag signed
  scalar("elevel", 4, false, "enum", 0x8000_0000n),
  scalar("ewide", 8, false, "enum", 0xffff_ffff_ffff_fff0n), // ENUM64
  scalar("ewides", 8, true, "enum", -(2n ** 32n)), // ENUM64, signed
  scalar("typedef", 4, false, "int", 7n),
  scalar("ptr", 8, false, "pointer", 0x1234n),
];

const isSafe = (v: bigint): boolean => v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER);

/** The values each case must write and read back, with every JavaScript form that means them. */
function accepted(c: Case): { input: ScalarInput; value: bigint }[] {
  const values = [...new Set([c.min, c.min + 1n, 0n, 1n, c.max - 1n, c.max, c.signed ? -1n : c.max])].filter((v) => v >= c.min && v <= c.max);
  const out: { input: ScalarInput; value: bigint }[] = [];
  for (const v of values) {
    out.push({ input: v, value: v });
    if (isSafe(v)) out.push({ input: Number(v), value: v });
  }
  out.push({ input: true, value: 1n }, { input: false, value: 0n });
  return out;
}

/** Values that do not fit, or are not integers at all: each refused, nothing written. */
function refused(c: Case): unknown[] {
  return [
    c.min - 1n, c.max + 1n, ...(isSafe(c.max + 1n) ? [Number(c.max + 1n)] : []), ...(isSafe(c.min - 1n) ? [Number(c.min - 1n)] : []),
    1.5, -0.5, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 60), "1", null, undefined, {}, [1], new Uint8Array(c.size + 1), new Uint16Array(1),
  ];
}

/** Two's complement bytes, written without the codec. */
function bytesOf(v: bigint, size: number, littleEndian: boolean): number[] {
  let u = BigInt.asUintN(size * 8, v);
  const out: number[] = [];
  for (let i = 0; i < size; i++, u >>= 8n) out.push(Number(u & 0xffn));
  return littleEndian ? out : out.reverse();
}

function natural(c: Case, v: bigint): number | bigint | boolean {
  if (c.kind === "bool") return v !== 0n;
  if (c.kind === "pointer" || !isSafe(v)) return v;
  return Number(v);
}

/** Reads as the case says: default signedness, forced signedness, number, natural value. */
function assertReads(c: Case, v: Pick<VariableSpec, "getBigInt" | "getNumber" | "getValue">, value: bigint, what: string): void {
  assert.equal(v.getBigInt(), value, what);
  assert.equal(v.getBigInt(!c.signed), c.signed ? BigInt.asUintN(c.size * 8, value) : BigInt.asIntN(c.size * 8, value), `${what} (other signedness)`);
  assert.deepEqual(v.getValue(), natural(c, value), `${what} getValue`);
  if (isSafe(value)) assert.equal(v.getNumber(), Number(value), `${what} getNumber`);
  else assert.throws(() => v.getNumber(), (e: unknown) => e instanceof InvalidArgumentError && /use getBigInt/.test(e.message), `${what} getNumber beyond 2^53`);
}

const refusal = (name: string) => (e: unknown): boolean => e instanceof InvalidArgumentError && e.field === "value" && e.message.includes(`variable '${name}'`);

for (const file of ["scalars.bpf.o", "scalars.bpf.eb.o"]) {
  test(`VariableSpec: every scalar kind reads and writes in the object's byte order (${file})`, () => {
    const spec = loadObjectSpec(fixture("variables", file));
    const le = spec.byteOrder === "le";
    assert.equal(file.includes(".eb."), !le);
    for (const c of CASES) {
      for (const prefix of ["in_", "ro_"]) {
        const v = spec.variable(`${prefix}${c.name}`);
        assert.equal(v.kind, c.kind, v.name);
        assert.equal(v.signed, c.signed, v.name);
        assert.equal(v.size, c.size, v.name);
        assertReads(c, v, c.initial, `${v.name} initial`);
      }
      const v = spec.variable(`in_${c.name}`);
      const section = (): number[] => [...spec.map(v.sectionName).initialValue!.subarray(v.offset, v.offset + v.size)];
      for (const { input, value } of accepted(c)) {
        v.set(input);
        const what = `${v.name}.set(${typeof input === "bigint" ? `${input}n` : String(input)})`;
        assert.deepEqual(section(), bytesOf(value, c.size, le), what);
        assertReads(c, v, value, what);
      }
      v.set(c.initial);
      for (const bad of refused(c)) {
        assert.throws(() => v.set(bad as ScalarInput), refusal(v.name), `${v.name}.set(${String(bad)})`);
        assert.deepEqual(section(), bytesOf(c.initial, c.size, le), `${v.name}: nothing written for ${String(bad)}`);
      }
      v.set(Uint8Array.from(bytesOf(c.max, c.size, le)));
      assert.equal(v.getBigInt(), c.max, `${v.name} set from bytes`);
    }
  });
}

test("Variable: every scalar kind written from JavaScript is what the program reads, through mmap and through the map", () => {
  const spec = loadObjectSpec(fixture("variables", "scalars.bpf.o"));
  // .rodata is set on the spec and frozen at load: the same codec, then host order in the kernel.
  for (const c of CASES) spec.variable(`ro_${c.name}`).set(c.max);
  using coll = Collection.load(spec);
  const copy = coll.program("copy");
  const data = coll.map(".data");
  const bss = coll.map(".bss");
  const rodata = coll.map(".rodata").lookup(ZERO_KEY);
  for (const c of CASES) {
    const ro = coll.variable(`ro_${c.name}`);
    assert.equal(ro.kind, c.kind);
    assertReads(c, ro, c.max, `${ro.name} after load`);
    assert.deepEqual([...rodata.subarray(ro.offset, ro.offset + c.size)], bytesOf(c.max, c.size, HOST_LE), `${ro.name} in the kernel's map`);
    assert.throws(() => ro.set(0), InvalidArgumentError, `${ro.name} is frozen`);

    const input = coll.variable(`in_${c.name}`);
    const output = coll.variable(`out_${c.name}`);
    assert.ok(input.mapped && output.mapped);
    assertReads(c, input, c.initial, `${input.name} initial`);
    // The same variables through bpf(2) lookup/update instead of the mapping.
    const inputBySyscall = new Variable(spec.variable(input.name), data, undefined);
    const outputBySyscall = new Variable(spec.variable(output.name), bss, undefined);
    for (const [i, { input: value, value: expected }] of accepted(c).entries()) {
      const what = `${input.name}.set(${typeof value === "bigint" ? `${value}n` : String(value)})`;
      (i % 2 === 0 ? input : inputBySyscall).set(value);
      assert.deepEqual([...data.lookup(ZERO_KEY).subarray(input.offset, input.offset + c.size)], bytesOf(expected, c.size, HOST_LE), `${what} in the kernel's .data`);
      assert.equal(copy.testRun({ data: PACKET }).retval, 0);
      assertReads(c, output, expected, `${what} → ${output.name} (mmap)`);
      assertReads(c, outputBySyscall, expected, `${what} → ${output.name} (lookup)`);
      assert.deepEqual([...bss.lookup(ZERO_KEY).subarray(output.offset, output.offset + c.size)], bytesOf(expected, c.size, HOST_LE), `${what} in the kernel's .bss`);
    }
    input.set(c.initial);
    for (const bad of refused(c)) {
      for (const v of [input, inputBySyscall]) {
        assert.throws(() => v.set(bad as ScalarInput), refusal(input.name), `${input.name}.set(${String(bad)})`);
      }
      assert.deepEqual([...data.lookup(ZERO_KEY).subarray(input.offset, input.offset + c.size)], bytesOf(c.initial, c.size, HOST_LE), `${input.name}: nothing written for ${String(bad)}`);
    }
  }
});

test("globals.bpf.o: an unsigned __u64 refuses negatives and takes 2^64 - 1 before and after load", () => {
  const spec = loadObjectSpec(fixture("collection", "globals.bpf.o"));
  const counter = spec.variable("counter"); // __u64
  assert.equal(counter.kind, "int");
  assert.equal(counter.signed, false);
  assert.throws(() => counter.set(-1), refusal("counter"), "an unsigned variable refuses -1");
  counter.set(2n ** 64n - 1n);
  assert.equal(counter.getValue(), 2n ** 64n - 1n);
  counter.set(10);
  using c = Collection.load(spec);
  const live = c.variable("counter");
  assert.equal(live.getValue(), 10);
  assert.throws(() => live.set(2n ** 64n), refusal("counter"));
  live.set(2n ** 64n - 1n);
  assert.deepEqual([...c.map(".data").lookup(ZERO_KEY).subarray(live.offset, live.offset + 8)], bytesOf(2n ** 64n - 1n, 8, HOST_LE));
  assert.equal(live.getValue(), 2n ** 64n - 1n);
});

test("untyped variables (no BTF) convert their bytes as unsigned or two's complement", () => {
  const codec = ScalarCodec.of("variable 'raw'", 4, undefined, 0);
  assert.equal(codec.kind, "untyped");
  assert.deepEqual([...codec.encode(-1, true)], [0xff, 0xff, 0xff, 0xff]);
  assert.deepEqual([...codec.encode(0xffff_fffe, false)], [0xff, 0xff, 0xff, 0xfe]);
  assert.equal(codec.decode(codec.encode(-2, false), false), 0xffff_fffen);
  assert.equal(codec.decode(codec.encode(-2, false), false, true), -2n);
  for (const bad of [2n ** 32n, -(2n ** 31n) - 1n]) assert.throws(() => codec.encode(bad, true), refusal("raw"));
  const odd = ScalarCodec.of("variable 'name'", 3, undefined, 0);
  assert.throws(() => odd.decode(new Uint8Array(3), true), (e: unknown) => e instanceof InvalidArgumentError && /only 1, 2, 4 and 8-byte/.test(e.message));
  assert.deepEqual([...odd.encode(new Uint8Array([1, 2, 3]), true)], [1, 2, 3], "bytes of the right size are taken as they are");
});
