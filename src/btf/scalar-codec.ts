// One codec for a scalar in BPF memory (a global variable today): how its
// bytes become a JavaScript value and back, decided once from its BTF type.
// The spec side (an object's section bytes, in the object's byte order) and
// the live side (a loaded map's memory, in host order, which the kernel uses)
// share it, so a value reads and writes the same way before and after load,
// and a value that does not fit the C type is refused with a typed error
// instead of being wrapped or truncated.
import type { Btf } from "./btf.js";
import { BtfError } from "./errors.js";
import { InvalidArgumentError } from "../sys/errors.js";
import { describeValue } from "../sys/arguments.js";

/**
 * What a scalar's BTF type says about its value: `int` (and `char`) per the
 * INT encoding, `bool`, `enum` (ENUM and ENUM64, signed by the kind_flag),
 * `pointer` (an address, unsigned), or `untyped` (no BTF, or a type that is not
 * a scalar: its 1, 2, 4 or 8 bytes still convert, as unsigned or two's complement).
 */
export type ScalarKind = "int" | "char" | "bool" | "enum" | "pointer" | "untyped";

/** What a scalar accepts when written: its bytes, an integer or a boolean. */
export type ScalarInput = Uint8Array | number | bigint | boolean;

/** The natural JavaScript value of a scalar: a boolean for bool, a bigint for pointers and integers beyond 2^53, else a number. */
export type ScalarValue = number | bigint | boolean;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/** Encodes and decodes one scalar; `subject` names it in errors (e.g. "variable 'threshold'"). */
export class ScalarCodec {
  readonly kind: ScalarKind;
  /** Size in bytes. */
  readonly size: number;
  /** Whether the C type is signed (false for bool, pointers and untyped values). */
  readonly signed: boolean;
  readonly #subject: string;

  constructor(subject: string, size: number, kind: ScalarKind, signed: boolean) {
    this.#subject = subject;
    this.size = size;
    this.kind = kind;
    this.signed = signed;
  }

  /** The codec of a value of BTF type `typeId` (0 or no BTF: untyped) occupying `size` bytes. */
  static of(subject: string, size: number, btf: Btf | undefined, typeId: number): ScalarCodec {
    const scalar = btf && typeId !== 0 ? scalarOf(btf, typeId, size) : undefined;
    return new ScalarCodec(subject, size, scalar?.kind ?? "untyped", scalar?.signed ?? false);
  }

  /** The integer in `bytes` (exactly `size` of them); `signed` overrides the type's signedness. */
  decode(bytes: Uint8Array, littleEndian: boolean, signed = this.signed): bigint {
    const view = this.#view(bytes);
    switch (this.size) {
      case 1: return BigInt(signed ? view.getInt8(0) : view.getUint8(0));
      case 2: return BigInt(signed ? view.getInt16(0, littleEndian) : view.getUint16(0, littleEndian));
      case 4: return BigInt(signed ? view.getInt32(0, littleEndian) : view.getUint32(0, littleEndian));
      default: return signed ? view.getBigInt64(0, littleEndian) : view.getBigUint64(0, littleEndian);
    }
  }

  /** The integer as a number; InvalidArgumentError when it is beyond 2^53 (use the bigint). */
  decodeNumber(bytes: Uint8Array, littleEndian: boolean, signed = this.signed): number {
    const v = this.decode(bytes, littleEndian, signed);
    if (v > MAX_SAFE || v < MIN_SAFE) {
      throw new InvalidArgumentError(`${this.#subject}: value ${v} does not fit in a number; use getBigInt()`, "value");
    }
    return Number(v);
  }

  /** The natural value: boolean for bool, bigint for pointers and integers beyond 2^53, else a number. */
  decodeValue(bytes: Uint8Array, littleEndian: boolean): ScalarValue {
    const v = this.decode(bytes, littleEndian);
    if (this.kind === "bool") return v !== 0n;
    if (this.kind === "pointer" || v > MAX_SAFE || v < MIN_SAFE) return v;
    return Number(v);
  }

  /**
   * The bytes for `value`: a Uint8Array of exactly `size` bytes is taken as is;
   * an integer must fit the C type (signed or unsigned per BTF; untyped values
   * take either range), a number must be a safe integer, a bool takes only
   * true, false, 0 or 1. Anything else is an InvalidArgumentError naming the subject.
   */
  encode(value: ScalarInput, littleEndian: boolean): Uint8Array {
    if (value instanceof Uint8Array) {
      if (value.byteLength !== this.size) throw this.#refuse(`is ${this.size} bytes, got ${value.byteLength}`);
      return value;
    }
    const v = this.#integer(value);
    const bits = this.size * 8;
    const [min, max] = this.#range(bits);
    if (v < min || v > max) throw this.#refuse(`${v} is out of range for ${this.#typeName()} (${min} to ${max})`);
    const out = new Uint8Array(this.size);
    const view = this.#view(out);
    const u = BigInt.asUintN(bits, v);
    switch (this.size) {
      case 1: view.setUint8(0, Number(u)); break;
      case 2: view.setUint16(0, Number(u), littleEndian); break;
      case 4: view.setUint32(0, Number(u), littleEndian); break;
      default: view.setBigUint64(0, u, littleEndian);
    }
    return out;
  }

  #integer(value: unknown): bigint {
    switch (typeof value) {
      case "boolean": return value ? 1n : 0n;
      case "bigint": return value;
      case "number":
        if (!Number.isSafeInteger(value)) {
          throw this.#refuse(Number.isInteger(value)
            ? `${value} is beyond 2^53, where numbers lose precision; pass a bigint`
            : `${value} is not an integer`);
        }
        return BigInt(value);
      default:
        throw this.#refuse(`expected a Uint8Array of ${this.size} bytes, an integer, a bigint or a boolean (got ${describeValue(value)})`);
    }
  }

  #range(bits: number): readonly [bigint, bigint] {
    if (this.kind === "bool") return [0n, 1n];
    if (this.kind === "untyped") return [integerRange(bits, true)[0], integerRange(bits, false)[1]];
    return integerRange(bits, this.signed);
  }

  #typeName(): string {
    if (this.kind === "bool" || this.kind === "pointer") return `a ${this.size}-byte ${this.kind}`;
    if (this.kind === "untyped") return `${this.size} bytes`;
    return `a ${this.size}-byte ${this.signed ? "signed" : "unsigned"} ${this.kind}`;
  }

  #view(bytes: Uint8Array): DataView {
    if (this.size !== 1 && this.size !== 2 && this.size !== 4 && this.size !== 8) {
      throw this.#refuse(`is ${this.size} bytes; only 1, 2, 4 and 8-byte values convert to and from numbers (use the bytes)`);
    }
    return new DataView(bytes.buffer, bytes.byteOffset, this.size);
  }

  #refuse(what: string): InvalidArgumentError {
    return new InvalidArgumentError(what.startsWith("is ") ? `${this.#subject} ${what}` : `${this.#subject}: ${what}`, "value");
  }
}

/** The smallest and largest integer of `bits` bits, two's complement when `signed` (shared with the BTF codec). */
export function integerRange(bits: number, signed: boolean): readonly [bigint, bigint] {
  const full = 1n << BigInt(bits);
  return signed ? [-(full >> 1n), (full >> 1n) - 1n] : [0n, full - 1n];
}

/** The scalar kind and signedness of a BTF type (typedefs and qualifiers followed), or undefined when it is not a scalar of `size` bytes. */
function scalarOf(btf: Btf, typeId: number, size: number): { kind: ScalarKind; signed: boolean } | undefined {
  let t;
  try {
    t = btf.resolve(typeId);
  } catch (e) {
    if (e instanceof BtfError) return undefined; // A malformed type only costs the typing: the bytes still convert as untyped.
    throw e;
  }
  switch (t.kind) {
    case "INT":
      if (t.size !== size || t.bitOffset !== 0) return undefined;
      if (t.bool) return { kind: "bool", signed: false };
      return { kind: t.char ? "char" : "int", signed: t.signed };
    case "ENUM":
    case "ENUM64":
      return t.size === size ? { kind: "enum", signed: t.signed } : undefined;
    case "PTR":
      return { kind: "pointer", signed: false };
    default:
      return undefined;
  }
}
