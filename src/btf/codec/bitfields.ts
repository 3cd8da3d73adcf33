// Bitfields: `bits` bits starting `bitPos` bits after a byte offset. The bits
// are numbered in memory order, as BTF records them: from the least
// significant bit of the first byte on little-endian targets, from the most
// significant bit on big-endian ones. Fields whose base type is up to 4
// bytes are read with number arithmetic (at most 5 bytes: exact below 2^53);
// 8- and 16-byte bases use bigints. Writers read-modify-write only the
// field's bytes, so neighbouring fields keep their bits.
import { describeValue } from "../../sys/arguments.js";
import { integerRange } from "../scalar-codec.js";
import { atPlus, FitError, type Decoder, type Encoder } from "./context.js";
import { toInteger } from "./scalars.js";

/** Reader and writer of one bitfield; `inline` when it reads as one aligned load and shifts (see bitfieldInline). */
export interface BitfieldPlan {
  readonly decode: Decoder;
  readonly encode: Encoder;
  readonly inline?: (off: number) => string;
}

const GETTERS: Readonly<Record<number, string>> = { 1: "getUint8", 2: "getUint16", 4: "getUint32" };

/**
 * The bitfield as one JavaScript expression: a load of its aligned storage unit (`unitSize` bytes, the
 * base type's size, which must lie within `limit` bytes) and 32-bit shifts — what a hand-written decoder
 * does. Undefined when that does not apply (bigint fields, fields straddling their unit: packed structs).
 */
export function bitfieldInline(bitPos: number, bits: number, signed: boolean, unitSize: number, limit: number, le: boolean): ((off: number) => string) | undefined {
  const getter = GETTERS[unitSize];
  if (getter === undefined || bits > 32) return undefined;
  const unitBits = unitSize * 8;
  const unitStart = Math.floor(bitPos / unitBits) * unitSize;
  const rel = bitPos - unitStart * 8;
  if (rel + bits > unitBits || unitStart + unitSize > limit) return undefined;
  const shift = le ? rel : unitBits - rel - bits;
  const load = (off: number): string => `v.${getter}(${atPlus(off + unitStart)}, ${le})`;
  if (signed) return bits === 32 ? (off) => `(${load(off)} | 0)` : (off) => `((${load(off)} << ${32 - shift - bits}) >> ${32 - bits})`;
  if (bits === 32) return load;
  return (off) => `((${load(off)} >>> ${shift}) & ${2 ** bits - 1})`;
}

/**
 * The bitfield `bits` wide at `bitPos` bits from the byte offset it is given; a number,
 * or a bigint when `bigint` (a base type of 8 or 16 bytes). `acceptBoolean`: a bool bitfield.
 */
export function bitfieldPlan(bitPos: number, bits: number, signed: boolean, bigint: boolean, typeName: string, le: boolean, acceptBoolean = false): BitfieldPlan {
  const first = Math.floor(bitPos / 8);
  const skip = bitPos % 8;
  const nBytes = Math.ceil((skip + bits) / 8);
  // Position of the field's least significant bit within the nBytes-byte integer read in the target's order.
  const shift = le ? skip : nBytes * 8 - skip - bits;
  const [min, max] = integerRange(bits, signed);
  const what = `a ${bits}-bit ${signed ? "signed" : "unsigned"} bitfield of ${typeName}`;
  const value = (x: unknown): unknown => (acceptBoolean && typeof x === "boolean" ? Number(x) : x);
  if (!bigint && nBytes <= 6) {
    const unit = 2 ** shift;
    const span = 2 ** bits;
    const half = span / 2;
    const nMin = Number(min);
    const nMax = Number(max);
    return {
      decode: (c, at) => {
        const v = c.v;
        const o = at + first;
        let raw = 0;
        if (le) for (let i = nBytes - 1; i >= 0; i--) raw = raw * 256 + v.getUint8(o + i);
        else for (let i = 0; i < nBytes; i++) raw = raw * 256 + v.getUint8(o + i);
        const u = Math.floor(raw / unit) % span;
        return signed && u >= half ? u - span : u;
      },
      encode: (c, at, x) => {
        const y = value(x);
        const n = typeof y === "number" && Number.isInteger(y) && y >= nMin && y <= nMax ? y : Number(toInteger(y, min, max, what));
        const u = n < 0 ? n + span : n;
        const v = c.v;
        const o = at + first;
        let raw = 0;
        if (le) for (let i = nBytes - 1; i >= 0; i--) raw = raw * 256 + v.getUint8(o + i);
        else for (let i = 0; i < nBytes; i++) raw = raw * 256 + v.getUint8(o + i);
        const low = raw % unit;
        const high = Math.floor(raw / (unit * span));
        raw = (high * span + u) * unit + low;
        if (le) for (let i = 0; i < nBytes; i++, raw = Math.floor(raw / 256)) v.setUint8(o + i, raw % 256);
        else for (let i = nBytes - 1; i >= 0; i--, raw = Math.floor(raw / 256)) v.setUint8(o + i, raw % 256);
      },
    };
  }
  const bShift = BigInt(shift);
  const bBits = BigInt(bits);
  const mask = ((1n << bBits) - 1n) << bShift;
  const read = (v: DataView, o: number): bigint => {
    let raw = 0n;
    if (le) for (let i = nBytes - 1; i >= 0; i--) raw = (raw << 8n) | BigInt(v.getUint8(o + i));
    else for (let i = 0; i < nBytes; i++) raw = (raw << 8n) | BigInt(v.getUint8(o + i));
    return raw;
  };
  return {
    decode: (c, at) => {
      const u = (read(c.v, at + first) & mask) >> bShift;
      const n = signed ? BigInt.asIntN(bits, u) : u;
      return bigint ? n : Number(n);
    },
    encode: (c, at, x) => {
      const y = value(x);
      if (typeof y !== "number" && typeof y !== "bigint") throw new FitError(`expected a number or bigint for ${what}, got ${describeValue(y)}`);
      const n = toInteger(y, min, max, what);
      const o = at + first;
      let raw = (read(c.v, o) & ~mask) | ((BigInt.asUintN(bits, n) << bShift) & mask);
      if (le) for (let i = 0; i < nBytes; i++, raw >>= 8n) c.v.setUint8(o + i, Number(raw & 0xffn));
      else for (let i = nBytes - 1; i >= 0; i--, raw >>= 8n) c.v.setUint8(o + i, Number(raw & 0xffn));
    },
  };
}
