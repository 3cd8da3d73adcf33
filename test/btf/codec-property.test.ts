// Properties of BtfCodec over random well-formed BTF (test/util/random-btf.ts)
// and random values, seeded and bounded:
//  - encode → decode gives the value back (modulo the documented
//    normalisation: float rounding, extra flexible-array elements that fit in
//    the padding, a union decoding every member), in both byte orders;
//  - decode → encode → decode is stable, and reproduces the bytes exactly
//    for types where every bit is a value bit (no padding, bool, float, union);
//  - decoding random bytes agrees with formatValueJson (bpftool's printer);
//  - random JavaScript values and random decode arguments only ever produce
//    InvalidArgumentError, and mutated BTF only BtfError at BtfCodec.of.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { BtfCodec } from "../../src/btf/codec/index.js";
import { shapeOf, type Field, type Shape } from "../../src/btf/codec/shape.js";
import { Btf } from "../../src/btf/btf.js";
import { BtfError } from "../../src/btf/errors.js";
import { formatValueJson } from "../../src/btf/format-value.js";
import { InvalidArgumentError } from "../../src/sys/errors.js";
import { Rng } from "../fuzz/mutate.js";
import { randomBtf } from "../util/random-btf.js";
import { bpftoolFormatted } from "../util/codec-bpftool.js";

const BTFS = 12;
const TYPES_PER_BTF = 40;
const VALUES_PER_TYPE = 6;

function randomBigInt(rng: Rng, bits: number, signed: boolean): bigint {
  let u = 0n;
  for (let i = 0; i < bits; i += 32) u = (u << 32n) | BigInt(rng.next());
  // Bias towards the edges, where encodings go wrong.
  switch (rng.below(6)) {
    case 0: u = 0n; break;
    case 1: u = (1n << BigInt(bits)) - 1n; break;
    case 2: u = 1n << BigInt(bits - 1); break;
  }
  u = BigInt.asUintN(bits, u);
  return signed ? BigInt.asIntN(bits, u) : u;
}

/** An integer as the mapping says (bigint or number), sometimes in the other representation when it fits. */
function integer(rng: Rng, bits: number, signed: boolean, bigint: boolean): number | bigint {
  const b = randomBigInt(rng, bits, signed);
  const safe = b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= BigInt(Number.MIN_SAFE_INTEGER);
  if (bigint) return safe && rng.below(4) === 0 ? Number(b) : b;
  return rng.below(4) === 0 ? b : Number(b);
}

const TEXT = ["a", "Z", "0", " ", "~", "é", "€", "😀", "\u00ff", "\t"];

function randomString(rng: Rng, maxBytes: number): string {
  let s = "";
  for (let n = rng.below(maxBytes + 1); n > 0; n--) {
    const piece = rng.pick(TEXT);
    if (Buffer.byteLength(s + piece) > maxBytes) break;
    s += piece;
  }
  return s;
}

const fieldBits = (f: Field): [number, number] => [f.bitOffset, f.flexible ? Infinity : f.bitOffset + (f.bits ?? f.shape.size * 8)];
const bitfieldSigned = (f: Field): boolean => (f.shape.kind === "int" || f.shape.kind === "enum") && f.shape.signed;
const bitfieldBigint = (f: Field): boolean => (f.shape.kind === "int" || f.shape.kind === "enum") && f.shape.bigint;

function randomValue(rng: Rng, s: Shape, root: boolean): unknown {
  switch (s.kind) {
    case "int": return integer(rng, s.bits, s.signed, s.bigint);
    case "enum": return integer(rng, s.size * 8, s.signed, s.bigint);
    case "pointer": return integer(rng, s.size * 8, false, true);
    case "bool": return rng.below(2) === 1;
    case "float": {
      const special = [0, -0, Infinity, -Infinity, NaN, 1.5, Number.MAX_VALUE, Number.MIN_VALUE];
      const x = rng.below(3) === 0 ? rng.pick(special) : (rng.next() - 2 ** 31) / (1 + rng.below(1000));
      return s.size === 4 ? Math.fround(x) : x;
    }
    case "string": return randomString(rng, s.length);
    case "bytes": return Uint8Array.from({ length: s.length }, () => rng.below(256));
    case "array": return Array.from({ length: s.length }, () => randomValue(rng, s.element, false));
    case "struct": case "union": {
      const o: Record<string, unknown> = {};
      const given: [number, number][] = [];
      const group = s.kind === "union" && s.fields.length > 0 ? rng.pick(s.fields).group : -1;
      for (const f of s.fields) {
        if (s.kind === "union" && f.group !== group) continue;
        if (f.flexible && !root) continue;
        const [a, b] = fieldBits(f);
        // A member overlapping one already given (a flattened anonymous union) would overwrite it.
        if (rng.below(8) === 0 || given.some(([x, y]) => a < y && x < b)) continue;
        given.push([a, b]);
        if (f.flexible) o[f.name] = Array.from({ length: f.shape.size === 0 ? 0 : rng.below(4) }, () => randomValue(rng, f.shape, false));
        else if (f.bits !== undefined) o[f.name] = integer(rng, f.bits, bitfieldSigned(f), bitfieldBigint(f));
        else o[f.name] = randomValue(rng, f.shape, false);
      }
      return o;
    }
  }
}

/** Asserts `decoded` is `given` as the mapping normalises it. */
function check(s: Shape, given: unknown, decoded: unknown, path: string, root: boolean): void {
  const bigint = (x: unknown): bigint => BigInt(x as number | bigint);
  switch (s.kind) {
    case "int": case "enum": case "pointer":
      assert.equal(typeof decoded, s.kind === "pointer" || s.bigint ? "bigint" : "number", path);
      return assert.equal(bigint(decoded), bigint(given), path);
    case "float": return assert.ok(Object.is(decoded, given), `${path}: ${String(decoded)} vs ${String(given)}`);
    case "bytes": return assert.deepEqual(decoded, given, path);
    case "bool": case "string": return assert.equal(decoded, given, path);
    case "array": {
      const g = given as unknown[];
      const d = decoded as unknown[];
      assert.equal(d.length, g.length, path);
      g.forEach((x, i) => check(s.element, x, d[i], `${path}[${i}]`, false));
      return;
    }
    case "struct": case "union": {
      const g = given as Record<string, unknown>;
      const d = decoded as Record<string, unknown>;
      assert.deepEqual(Object.keys(d), s.fields.map((f) => f.name), `${path}: keys`);
      for (const f of s.fields) {
        if (!(f.name in g)) continue;
        const p = `${path}.${f.name}`;
        if (f.flexible && root) {
          const ge = g[f.name] as unknown[];
          const de = d[f.name] as unknown[];
          // Elements that fit in the struct's tail padding decode too (as zeros).
          assert.ok(de.length >= ge.length, `${p}: ${de.length} elements for ${ge.length}`);
          ge.forEach((x, i) => check(f.shape, x, de[i], `${p}[${i}]`, false));
        } else if (f.bits !== undefined) {
          assert.equal(typeof d[f.name], bitfieldBigint(f) ? "bigint" : "number", p);
          assert.equal(bigint(d[f.name]), bigint(g[f.name]), p);
        } else check(f.shape, g[f.name], d[f.name], p, false);
      }
    }
  }
}

/** Whether every bit of the type is a value bit that decodes and re-encodes unchanged (no padding, bool, float, union). */
function exact(s: Shape): boolean {
  const bits = new Uint8Array(s.size * 8);
  const mark = (sh: Shape, at: number): boolean => {
    switch (sh.kind) {
      case "bool": case "float": case "union": case "string": return false;
      case "array": {
        for (let i = 0; i < sh.length; i++) if (!mark(sh.element, at + i * sh.stride * 8)) return false;
        return true;
      }
      case "struct": {
        for (const f of sh.fields) {
          if (f.flexible) return false;
          if (f.bits !== undefined) {
            if (f.shape.kind === "bool") return false;
            bits.fill(1, at + f.bitOffset, at + f.bitOffset + f.bits);
          } else if (!mark(f.shape, at + f.bitOffset)) return false;
        }
        return true;
      }
      case "int": bits.fill(1, at + sh.bitOffset, at + sh.bitOffset + sh.bits); return true;
      default: bits.fill(1, at, at + sh.size * 8); return true;
    }
  };
  return mark(s, 0) && bits.every((b) => b === 1);
}

const hasKind = (s: Shape, kinds: readonly string[], seen = new Set<Shape>()): boolean => {
  if (seen.has(s)) return false;
  seen.add(s);
  if (kinds.includes(s.kind)) return true;
  if (s.kind === "array") return hasKind(s.element, kinds, seen);
  if (s.kind === "struct" || s.kind === "union") return s.fields.some((f) => (kinds.includes("flexible") && f.flexible) || hasKind(f.shape, kinds, seen));
  return false;
};

/** The codec for `id`, or undefined when its random layout flattened two members onto one name (a BtfError by design). */
function codecOf(btf: Btf, id: number, options: { chars?: "string" | "bytes"; littleEndian?: boolean } = {}): BtfCodec | undefined {
  try {
    return BtfCodec.of(btf, id, options);
  } catch (e) {
    if (e instanceof BtfError && /clashes with/.test(e.message)) return undefined;
    throw e;
  }
}

test("encode → decode is the identity (modulo the documented normalisation), both byte orders", () => {
  const rng = new Rng(0x5eed_c0de);
  let checked = 0;
  for (let b = 0; b < BTFS; b++) {
    const { btf, ids } = randomBtf(rng, TYPES_PER_BTF);
    for (const id of ids) {
      for (const littleEndian of [true, false]) {
        const codec = codecOf(btf, id, { littleEndian });
        if (!codec) continue;
        const shape = shapeOf(btf, id);
        for (let i = 0; i < VALUES_PER_TYPE; i++) {
          const value = randomValue(rng, shape, true);
          const bytes: Uint8Array = codec.encode(value);
          check(shape, value, codec.decode(bytes), `${codec.name} [${id}]`, true);
          // encodeInto at an offset writes the same bytes.
          const target = new Uint8Array(bytes.length + 5).fill(0xee);
          assert.equal(codec.encodeInto(value, target, 3), bytes.length);
          assert.deepEqual(target.subarray(3, 3 + bytes.length), bytes);
          assert.deepEqual([...target.subarray(0, 3), ...target.subarray(3 + bytes.length)], [0xee, 0xee, 0xee, 0xee, 0xee]);
          checked++;
        }
      }
    }
  }
  assert.ok(checked > BTFS * TYPES_PER_BTF * VALUES_PER_TYPE, `${checked} values checked`);
});

test("decode → encode is stable, reproduces exact types' bytes, and agrees with formatValueJson", () => {
  const rng = new Rng(0xdec0de);
  let exactTypes = 0;
  let formatted = 0;
  for (let b = 0; b < BTFS; b++) {
    const { btf, ids } = randomBtf(rng, TYPES_PER_BTF);
    for (const id of ids) {
      const codec = codecOf(btf, id, { chars: "bytes", littleEndian: true });
      if (!codec) continue;
      const shape = shapeOf(btf, id, { chars: "bytes" });
      const isExact = exact(shape);
      if (isExact) exactTypes++;
      for (let i = 0; i < VALUES_PER_TYPE; i++) {
        const bytes: Uint8Array = Uint8Array.from({ length: codec.size }, () => rng.below(256));
        const decoded = codec.decode(bytes);
        if (!hasKind(shape, ["union"])) {
          const again: Uint8Array = codec.encode(decoded);
          if (isExact) assert.deepEqual(again, bytes, `${codec.name} [${id}]: bytes reproduced`);
          assert.deepEqual(codec.decode(again), decoded, `${codec.name} [${id}]: decode(encode(decode(x))) = decode(x)`);
        }
        if (!hasKind(shape, ["float", "flexible"])) {
          assert.equal(bpftoolFormatted(btf, id, decoded), formatValueJson(btf, id, bytes), `${codec.name} [${id}]: as bpftool prints it`);
          formatted++;
        }
      }
    }
  }
  assert.ok(exactTypes > 20, `${exactTypes} exact types`);
  assert.ok(formatted > 100, `${formatted} values compared with formatValueJson`);
});

/** Any JavaScript value, shaped like a value of `s` some of the time. */
function junk(rng: Rng, s: Shape | undefined, depth = 0): unknown {
  if (s && rng.below(3) > 0 && depth < 6) {
    const v = randomValue(rng, s, true);
    if (typeof v === "object" && v !== null && !ArrayBuffer.isView(v) && rng.below(2) === 0) {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length > 0 && rng.below(2) === 0) o[rng.pick(keys)] = junk(rng, undefined, depth + 1);
      else o[`zz${rng.below(3)}`] = 1;
      if (Array.isArray(v) && rng.below(2) === 0) v.push(0);
    }
    return v;
  }
  const pool: unknown[] = [
    undefined, null, true, false, 0, -0, 1.5, NaN, Infinity, -1, 2 ** 53, 2 ** 64, -(2n ** 200n), 2n ** 70n, "", "x", "\0", "é".repeat(300),
    Symbol("s"), () => 1, [], [1, 2, 3], {}, { __proto__: null, a: 1 }, new Uint8Array(3), new DataView(new ArrayBuffer(4)), new Map(), new Date(0),
    Object.create({ inherited: 1 }), { constructor: 1 }, { ["__proto__"]: 5 },
  ];
  return rng.pick(pool);
}

test("random JavaScript values and decode arguments raise only InvalidArgumentError; mutated BTF only BtfError", () => {
  const rng = new Rng(0xbad_da7a);
  let refused = 0;
  for (let b = 0; b < BTFS; b++) {
    const { btf, ids } = randomBtf(rng, TYPES_PER_BTF);
    for (const id of ids) {
      const codec = codecOf(btf, id);
      if (!codec) continue;
      const shape = shapeOf(btf, id);
      for (let i = 0; i < VALUES_PER_TYPE; i++) {
        const x = junk(rng, shape);
        try {
          codec.encode(x);
          codec.encodeInto(x, new Uint8Array(codec.size + rng.below(4)), rng.below(2));
        } catch (e) {
          assert.ok(e instanceof InvalidArgumentError, `${codec.name}: ${String(e)}`);
          refused++;
        }
        const src = Uint8Array.from({ length: rng.below(codec.size * 2 + 3) }, () => rng.below(256));
        const args: unknown[] = [rng.below(4) === 0 ? junk(rng, undefined) : src, rng.pick([undefined, 0, 1, -1, 1.5, src.length, NaN]), rng.pick([undefined, 0, codec.size, src.length, -2, 0.5])];
        try {
          (codec.decode as (...a: unknown[]) => unknown)(...args);
        } catch (e) {
          assert.ok(e instanceof InvalidArgumentError, `${codec.name} decode: ${String(e)}`);
        }
      }
    }
    // Mutated BTF: the parser or the codec refuses it with a BtfError, or it compiles and decodes.
    const raw = btf.bytes.slice();
    for (let m = 0; m < 200; m++) {
      const bytes = raw.slice();
      for (let k = 1 + rng.below(4); k > 0; k--) bytes[24 + rng.below(bytes.length - 24)] = rng.below(256);
      try {
        const mutated = new Btf(bytes);
        const id = 1 + rng.below(mutated.lastId);
        const c = BtfCodec.of(mutated, id);
        c.decode(new Uint8Array(Math.min(c.size, 1 << 16)).fill(0xa5).subarray(0, c.size));
      } catch (e) {
        assert.ok(e instanceof BtfError || e instanceof InvalidArgumentError, `mutated BTF: ${String(e)}`);
      }
    }
  }
  assert.ok(refused > 100, `${refused} values refused`);
});
