// Readers and writers of scalars: integers (number up to 4 bytes, bigint for
// 8 and 16), bool, float/double, enums and pointers. Each is specialised by
// size, signedness and byte order when compiled, so a call does no type
// dispatch; the common case of a writer (an in-range number) is one
// comparison, and only the rest goes through the general conversion with
// its error messages.
import { describeValue } from "../../sys/arguments.js";
import { integerRange } from "../scalar-codec.js";
import { atPlus, FitError, type Ctx, type Plan } from "./context.js";
import { bitfieldPlan } from "./bitfields.js";
import type { BoolShape, EnumShape, FloatShape, IntShape, PointerShape } from "./shape.js";

/** The integer `x` (a number or a bigint) as a bigint within [min, max]; FitError otherwise. */
export function toInteger(x: unknown, min: bigint, max: bigint, typeName: string): bigint {
  let b: bigint;
  if (typeof x === "bigint") b = x;
  else if (typeof x === "number") {
    if (!Number.isInteger(x)) throw new FitError(`${x} is not an integer (${typeName})`);
    if (!Number.isSafeInteger(x)) throw new FitError(`${x} is beyond 2^53, where numbers lose precision; pass a bigint (${typeName})`);
    b = BigInt(x);
  } else {
    throw new FitError(`expected a number or bigint for ${typeName}, got ${describeValue(x)}`);
  }
  if (b < min || b > max) throw new FitError(`${b} is out of range for ${typeName} (${min} to ${max})`);
  return b;
}

/** Reader, writer and inline reader of a number-valued integer of 1, 2 or 4 bytes. */
interface SmallIntOps {
  readonly read: (v: DataView, at: number, le: boolean) => number;
  readonly write: (v: DataView, at: number, x: number, le: boolean) => void;
  /** The range test of the fast path (an integer of this type, as a number). */
  readonly fits: (x: number) => boolean;
  readonly getter: string;
}

const SMALL_INTS: Readonly<Record<string, SmallIntOps>> = {
  u1: { read: (v, at) => v.getUint8(at), write: (v, at, x) => v.setUint8(at, x), fits: (x) => (x & 0xff) === x, getter: "getUint8" },
  s1: { read: (v, at) => v.getInt8(at), write: (v, at, x) => v.setInt8(at, x), fits: (x) => (x << 24) >> 24 === x, getter: "getInt8" },
  u2: { read: (v, at, le) => v.getUint16(at, le), write: (v, at, x, le) => v.setUint16(at, x, le), fits: (x) => (x & 0xffff) === x, getter: "getUint16" },
  s2: { read: (v, at, le) => v.getInt16(at, le), write: (v, at, x, le) => v.setInt16(at, x, le), fits: (x) => (x << 16) >> 16 === x, getter: "getInt16" },
  u4: { read: (v, at, le) => v.getUint32(at, le), write: (v, at, x, le) => v.setUint32(at, x, le), fits: (x) => x >>> 0 === x, getter: "getUint32" },
  s4: { read: (v, at, le) => v.getInt32(at, le), write: (v, at, x, le) => v.setInt32(at, x, le), fits: (x) => (x | 0) === x, getter: "getInt32" },
};

/**
 * An integer of `size` bytes (1, 2, 4, 8 or 16): decoded as a bigint when `bigint`, else as a number.
 * Writers accept a number or a bigint whenever the value fits.
 */
export function integerPlan(size: number, signed: boolean, bigint: boolean, typeName: string, le: boolean): Plan {
  const [min, max] = integerRange(size * 8, signed);
  if (size === 16) return int128Plan(signed, min, max, typeName, le);
  if (size === 8) {
    const read = signed ? (v: DataView, at: number) => v.getBigInt64(at, le) : (v: DataView, at: number) => v.getBigUint64(at, le);
    const getter = signed ? "getBigInt64" : "getBigUint64";
    return {
      size,
      decode: (c, at) => read(c.v, at),
      encode: signed
        ? (c, at, x) => c.v.setBigInt64(at, typeof x === "bigint" && x >= min && x <= max ? x : toInteger(x, min, max, typeName), le)
        : (c, at, x) => c.v.setBigUint64(at, typeof x === "bigint" && x >= min && x <= max ? x : toInteger(x, min, max, typeName), le),
      inline: (off) => `v.${getter}(${atPlus(off)}, ${le})`,
    };
  }
  const ops = SMALL_INTS[`${signed ? "s" : "u"}${size}`];
  if (!ops) throw new RangeError(`integerPlan: size ${size}`); // unreachable: shapes only have 1, 2, 4, 8, 16
  const { read, write, fits, getter } = ops;
  const encode = (c: Ctx, at: number, x: unknown): void => {
    write(c.v, at, typeof x === "number" && fits(x) ? x : Number(toInteger(x, min, max, typeName)), le);
  };
  if (bigint) {
    // A bigint-valued integer stored in fewer than 8 bytes (a small ENUM64).
    return { size, decode: (c, at) => BigInt(read(c.v, at, le)), encode, inline: (off) => `BigInt(v.${getter}(${atPlus(off)}, ${le}))` };
  }
  return { size, decode: (c, at) => read(c.v, at, le), encode, inline: (off) => `v.${getter}(${atPlus(off)}, ${le})` };
}

function int128Plan(signed: boolean, min: bigint, max: bigint, typeName: string, le: boolean): Plan {
  const [lo, hi] = le ? [0, 8] : [8, 0];
  return {
    size: 16,
    decode: (c, at) => {
      const high = signed ? c.v.getBigInt64(at + hi, le) : c.v.getBigUint64(at + hi, le);
      return (high << 64n) | c.v.getBigUint64(at + lo, le);
    },
    encode: (c, at, x) => {
      const b = toInteger(x, min, max, typeName);
      c.v.setBigUint64(at + lo, BigInt.asUintN(64, b), le);
      c.v.setBigUint64(at + hi, BigInt.asUintN(64, b >> 64n), le);
    },
  };
}

/** An INT: a plain integer, or (old-style bitfield encodings) the value bits inside it. */
export function intPlan(s: IntShape, le: boolean): Plan {
  if (s.bits !== s.size * 8 || s.bitOffset !== 0) {
    const field = bitfieldPlan(s.bitOffset, s.bits, s.signed, s.bigint, s.name, le);
    return { size: s.size, decode: field.decode, encode: field.encode };
  }
  return integerPlan(s.size, s.signed, s.bigint, s.name, le);
}

/** bool: any non-zero value reads as true; writes take true/false (or 0/1). */
export function boolPlan(s: BoolShape, le: boolean): Plan {
  const int = integerPlan(s.size, false, false, s.name, le);
  const bit = (x: unknown): number => {
    if (x === true || x === 1 || x === 1n) return 1;
    if (x === false || x === 0 || x === 0n) return 0;
    throw new FitError(`expected a boolean for ${s.name}, got ${describeValue(x)}`);
  };
  if (s.size === 1) {
    return {
      size: 1,
      decode: (c, at) => c.v.getUint8(at) !== 0,
      encode: (c, at, x) => c.v.setUint8(at, bit(x)),
      inline: (off) => `(v.getUint8(${atPlus(off)}) !== 0)`,
    };
  }
  return { size: s.size, decode: (c, at) => int.decode(c, at) !== 0, encode: (c, at, x) => int.encode(c, at, bit(x)) };
}

/** float and double: numbers (a float stores Math.fround of the number). */
export function floatPlan(s: FloatShape, le: boolean): Plan {
  const check = (x: unknown): number => {
    if (typeof x !== "number") throw new FitError(`expected a number for ${s.name}, got ${describeValue(x)}`);
    return x;
  };
  if (s.size === 4) {
    return {
      size: 4,
      decode: (c, at) => c.v.getFloat32(at, le),
      encode: (c, at, x) => c.v.setFloat32(at, check(x), le),
      inline: (off) => `v.getFloat32(${atPlus(off)}, ${le})`,
    };
  }
  return {
    size: 8,
    decode: (c, at) => c.v.getFloat64(at, le),
    encode: (c, at, x) => c.v.setFloat64(at, check(x), le),
    inline: (off) => `v.getFloat64(${atPlus(off)}, ${le})`,
  };
}

/** Enums: their integer value (number, or bigint for ENUM64 and 8-byte enums), signed per BTF. */
export function enumPlan(s: EnumShape, le: boolean): Plan {
  return integerPlan(s.size, s.signed, s.bigint, s.name, le);
}

/** Pointers: the address, an unsigned bigint of the target's pointer size. */
export function pointerPlan(s: PointerShape, le: boolean): Plan {
  return integerPlan(s.size, false, true, s.name, le);
}
