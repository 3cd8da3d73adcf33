// The type mapping, decided once per type: what JavaScript value each BTF
// type becomes (docs/guides/typed-data.md, "The type mapping"). A Shape says
// only *what* a value is; plan.ts turns it into the closures that read and
// write it. The TypeScript generator reads the same shapes, so the declared
// types and the decoded values cannot disagree.
import type { Btf } from "../btf.js";
import { BtfError } from "../errors.js";
import type { BtfMember, BtfType } from "../types.js";
import { cTypeName } from "./c-name.js";

/** Options that change the mapping. */
export interface ShapeOptions {
  /** char[N]: "string" (default) or "bytes". */
  readonly chars?: "string" | "bytes";
}

interface ShapeBase {
  /** The type's C spelling as referenced ("__u64", "struct event", "char[16]"). */
  readonly name: string;
  /** The id after typedefs, qualifiers and type tags. */
  readonly typeId: number;
  /** Size in bytes. */
  readonly size: number;
}

/** An integer: `number` for 1, 2 and 4 bytes, `bigint` for 8 and 16. */
export interface IntShape extends ShapeBase {
  readonly kind: "int";
  readonly signed: boolean;
  readonly bigint: boolean;
  /** Value bits (BTF_INT_BITS): size × 8 except in old-style bitfield encodings. */
  readonly bits: number;
  /** BTF_INT_OFFSET: where the value bits start (0 except in old-style bitfield encodings). */
  readonly bitOffset: number;
}
/** `bool` (an INT with BOOL encoding): `boolean`. */
export interface BoolShape extends ShapeBase { readonly kind: "bool" }
/** float or double: `number`. */
export interface FloatShape extends ShapeBase { readonly kind: "float" }
/** ENUM (≤ 4 bytes): `number`; ENUM64 and 8-byte ENUMs: `bigint`. */
export interface EnumShape extends ShapeBase {
  readonly kind: "enum";
  readonly signed: boolean;
  readonly bigint: boolean;
  readonly values: readonly { readonly name: string; readonly value: number | bigint }[];
}
/** Any pointer: the address as a `bigint`. */
export interface PointerShape extends ShapeBase { readonly kind: "pointer" }
/** A char array (chars: "string"): the UTF-8 text up to the first NUL. */
export interface StringShape extends ShapeBase { readonly kind: "string"; readonly length: number }
/** A 1-byte unsigned int array (or a char array with chars: "bytes"): a `Uint8Array`. */
export interface BytesShape extends ShapeBase { readonly kind: "bytes"; readonly length: number }
/** Any other array: `T[]` of `length` elements `stride` bytes apart. */
export interface ArrayShape extends ShapeBase {
  readonly kind: "array";
  readonly length: number;
  readonly stride: number;
  readonly element: Shape;
}
/** A struct or union: an object keyed by member name (anonymous members flattened). */
export interface CompositeShape extends ShapeBase {
  readonly kind: "struct" | "union";
  readonly fields: readonly Field[];
}

/** What one BTF type maps to. */
export type Shape = IntShape | BoolShape | FloatShape | EnumShape | PointerShape | StringShape | BytesShape | ArrayShape | CompositeShape;

/** One key of a struct or union object. */
export interface Field {
  readonly name: string;
  /** Offset in bits from the start of the composite that has this field as a key. */
  readonly bitOffset: number;
  /**
   * Index of the direct member the field comes from: members of an anonymous
   * struct/union member share their parent member's group (a union encodes one group).
   */
  readonly group: number;
  /** The member's value; for a flexible array member, its element; for a bitfield, its base type. */
  readonly shape: Shape;
  /** Set for a bitfield: its width in bits (value: `number`, or `bigint` when its base type is 8 or 16 bytes). */
  readonly bits?: number;
  /** Set for a flexible array member (the last member of a struct, an array of 0 elements): `T[]`. */
  readonly flexible?: boolean;
}

/** Deepest by-value nesting accepted (real types stay far below; deeper means malformed BTF). */
export const MAX_NESTING = 256;
/** Most JavaScript values one decode may produce: beyond this a type is a hostile or mistaken one. */
export const MAX_VALUES = 1 << 24;

/** The shape of type `id` under `options`; BtfError naming the type and member path when it cannot be expressed. */
export function shapeOf(btf: Btf, id: number, options: ShapeOptions = {}): Shape {
  return new ShapeBuilder(btf, options.chars ?? "string").shape(id, cTypeName(btf, id), 0);
}

const CHAR_NAMES = new Set(["char", "signed char", "unsigned char"]);

class ShapeBuilder {
  readonly #btf: Btf;
  readonly #chars: "string" | "bytes";
  readonly #memo = new Map<number, Shape>();
  readonly #values = new Map<number, number>();
  readonly #inProgress = new Set<number>();

  constructor(btf: Btf, chars: "string" | "bytes") {
    this.#btf = btf;
    this.#chars = chars;
  }

  /** `path` names the place in the root type, for errors. */
  shape(id: number, path: string, depth: number): Shape {
    const known = this.#memo.get(id);
    if (known) return known;
    if (depth > MAX_NESTING) throw new BtfError(`${path}: types nested more than ${MAX_NESTING} deep (malformed BTF?)`);
    if (this.#inProgress.has(id)) throw new BtfError(`${path}: ${cTypeName(this.#btf, id)} contains itself by value`);
    this.#inProgress.add(id);
    const s = this.#build(id, path, depth);
    this.#inProgress.delete(id);
    if (this.valueCount(s) > MAX_VALUES) throw new BtfError(`${path}: ${s.name} expands to more than ${MAX_VALUES} values; decode its bytes yourself`);
    this.#memo.set(id, s);
    return s;
  }

  /** How many JavaScript values a decode of `s` produces (memoised: shapes form a DAG). */
  valueCount(s: Shape): number {
    switch (s.kind) {
      case "array": return 1 + s.length * this.valueCount(s.element);
      case "struct": case "union": {
        const known = this.#values.get(s.typeId);
        if (known !== undefined) return known;
        let n = 1;
        for (const f of s.fields) n += this.valueCount(f.shape);
        this.#values.set(s.typeId, n);
        return n;
      }
      default: return 1;
    }
  }

  #build(id: number, path: string, depth: number): Shape {
    const btf = this.#btf;
    const t = btf.resolve(id);
    const name = cTypeName(btf, id);
    const typeId = t.id;
    const refuse = (why: string): never => {
      throw new BtfError(`${path}: ${name}${name === cTypeName(btf, typeId) ? "" : ` (${cTypeName(btf, typeId)})`} ${why}`);
    };
    switch (t.kind) {
      case "INT": {
        if (t.bool) {
          if (![1, 2, 4, 8].includes(t.size)) refuse(`is a ${t.size}-byte bool; only 1, 2, 4 and 8 bytes are supported`);
          return { kind: "bool", name, typeId, size: t.size };
        }
        if (![1, 2, 4, 8, 16].includes(t.size)) refuse(`is a ${t.size}-byte integer; only 1, 2, 4, 8 and 16 bytes are supported`);
        if (t.bits === 0 || t.bitOffset + t.bits > t.size * 8) refuse(`has ${t.bits} value bits at bit ${t.bitOffset}, which do not fit its ${t.size} bytes`);
        return { kind: "int", name, typeId, size: t.size, signed: t.signed, bigint: t.size >= 8, bits: t.bits, bitOffset: t.bitOffset };
      }
      case "FLOAT":
        if (t.size !== 4 && t.size !== 8) refuse(`is a ${t.size}-byte float (long double?); only float and double convert to a number`);
        return { kind: "float", name, typeId, size: t.size };
      case "ENUM": case "ENUM64":
        if (![1, 2, 4, 8].includes(t.size)) refuse(`is a ${t.size}-byte enum; only 1, 2, 4 and 8 bytes are supported`);
        return { kind: "enum", name, typeId, size: t.size, signed: t.signed, bigint: t.kind === "ENUM64" || t.size === 8, values: t.values };
      case "PTR":
        return { kind: "pointer", name, typeId, size: btf.pointerSize };
      case "ARRAY": return this.#array(t, name, path, depth);
      case "STRUCT": case "UNION": return this.#composite(t, name, path, depth);
      case "VOID": return refuse("has no value (void)");
      case "FWD": return refuse("is only declared (a forward declaration): its layout is unknown");
      case "FUNC": case "FUNC_PROTO": return refuse("is a function, not data");
      case "DATASEC": return refuse("is a data section: decode its variables one by one");
      default: return refuse(`(${t.kind}) is not a value type`);
    }
  }

  #array(t: Extract<BtfType, { kind: "ARRAY" }>, name: string, path: string, depth: number): Shape {
    const btf = this.#btf;
    const typeId = t.id;
    const text = this.#textKind(t.type);
    if (text !== undefined) return { kind: text, name, typeId, size: t.nelems, length: t.nelems };
    const element = this.shape(t.type, `${path}[]`, depth + 1);
    const size = btf.sizeOf(t.id);
    return { kind: "array", name, typeId, size, length: t.nelems, stride: element.size, element };
  }

  /** "string" or "bytes" when an array of `elem` maps to text or a Uint8Array (see the mapping table), else undefined. */
  #textKind(elem: number): "string" | "bytes" | undefined {
    const btf = this.#btf;
    // Qualifiers are skipped but typedefs are not: `char` spells text, `__u8`/`u8` spell bytes (as bpftool's is_str_array).
    let e = btf.typeById(elem);
    for (let d = 0; d < MAX_NESTING && (e.kind === "CONST" || e.kind === "VOLATILE" || e.kind === "RESTRICT" || e.kind === "TYPE_TAG"); d++) e = btf.typeById(e.type);
    if (e.kind === "INT" && e.size === 1 && !e.bool && e.bits === 8 && (e.char || CHAR_NAMES.has(e.name))) return this.#chars;
    const r = btf.resolve(elem);
    if (r.kind === "INT" && r.size === 1 && !r.bool && !r.signed && r.bits === 8 && r.bitOffset === 0) return "bytes";
    return undefined;
  }

  #composite(t: Extract<BtfType, { kind: "STRUCT" | "UNION" }>, name: string, path: string, depth: number): Shape {
    const fields: Field[] = [];
    const seen = new Map<string, string>();
    this.#addMembers(t, 0, t.size * 8, -1, name, path, depth, fields, seen);
    return { kind: t.kind === "STRUCT" ? "struct" : "union", name, typeId: t.id, size: t.size, fields };
  }

  /**
   * Adds the keys of composite `t` (placed `base` bits into the root object, which is `limit` bits long) to
   * `fields`: named members directly, members of anonymous struct/union members recursively.
   * `group` is the direct member index of the root (-1: assign each member its own).
   */
  #addMembers(
    t: Extract<BtfType, { kind: "STRUCT" | "UNION" }>, base: number, limit: number, group: number, rootName: string,
    path: string, depth: number, fields: Field[], seen: Map<string, string>,
  ): void {
    const btf = this.#btf;
    t.members.forEach((m, i) => {
      const g = group < 0 ? i : group;
      const at = base + m.bitOffset;
      const mpath = m.name === "" ? `${path}.(anon)` : `${path}.${m.name}`;
      const flexible = t.kind === "STRUCT" && i === t.members.length - 1 && this.#isZeroLengthArray(m.type);
      if (m.name === "") {
        const r = btf.resolve(m.type);
        // An anonymous struct/union member: its members are keys of the parent (C access semantics).
        if ((r.kind === "STRUCT" || r.kind === "UNION") && !(t.kindFlag && m.bitfieldSize !== 0)) {
          if (at % 8 !== 0) throw new BtfError(`${mpath}: an anonymous ${r.kind.toLowerCase()} at bit ${at} is not byte-aligned`);
          if (at + r.size * 8 > limit) throw new BtfError(`${mpath}: lies outside ${rootName} (${limit / 8} bytes)`);
          if (depth > MAX_NESTING) throw new BtfError(`${mpath}: anonymous members nested more than ${MAX_NESTING} deep`);
          this.#addMembers(r, at, limit, g, rootName, mpath, depth + 1, fields, seen);
        }
        // Any other unnamed member (padding bitfields) holds no value: its bits encode as zero.
        return;
      }
      const clash = seen.get(m.name);
      if (clash !== undefined) throw new BtfError(`${mpath}: member '${m.name}' clashes with ${clash} (anonymous members are flattened into their parent)`);
      seen.set(m.name, mpath);
      fields.push(this.#field(t, m, at, limit, g, flexible, mpath, depth));
    });
  }

  #isZeroLengthArray(id: number): boolean {
    const r = this.#btf.resolve(id);
    return r.kind === "ARRAY" && r.nelems === 0;
  }

  #field(
    t: Extract<BtfType, { kind: "STRUCT" | "UNION" }>, m: BtfMember, at: number, limit: number, group: number,
    flexible: boolean, mpath: string, depth: number,
  ): Field {
    const btf = this.#btf;
    if (flexible) {
      const arr = btf.resolve(m.type) as Extract<BtfType, { kind: "ARRAY" }>;
      if (at % 8 !== 0) throw new BtfError(`${mpath}: a flexible array member at bit ${at} is not byte-aligned`);
      const element = this.shape(arr.type, `${mpath}[]`, depth + 1);
      return { name: m.name, bitOffset: at, group, shape: element, flexible: true };
    }
    const shape = this.shape(m.type, mpath, depth + 1);
    let bits = t.kindFlag ? m.bitfieldSize : 0;
    let bitOffset = at;
    // Old-style bitfields (struct without kind_flag): the member's INT type carries the width and offset.
    if (bits === 0 && shape.kind === "int" && (shape.bits !== shape.size * 8 || shape.bitOffset !== 0)) {
      bits = shape.bits;
      bitOffset += shape.bitOffset;
    }
    if (bits === 0 && bitOffset % 8 !== 0) {
      if (shape.kind !== "int" && shape.kind !== "enum" && shape.kind !== "bool") throw new BtfError(`${mpath}: ${shape.name} at bit ${bitOffset} is not byte-aligned`);
      bits = shape.size * 8; // A scalar placed off a byte boundary reads like a bitfield of its full width.
    }
    if (bits !== 0) {
      if (shape.kind !== "int" && shape.kind !== "enum" && shape.kind !== "bool") throw new BtfError(`${mpath}: a bitfield of ${shape.name} (only integers, enums and bools can be bitfields)`);
      if (bits > shape.size * 8) throw new BtfError(`${mpath}: a ${bits}-bit bitfield is wider than its ${shape.size}-byte type ${shape.name}`);
      if (bitOffset + bits > limit) throw new BtfError(`${mpath}: bits ${bitOffset}..${bitOffset + bits} lie outside the ${limit / 8}-byte ${t.kind.toLowerCase()}`);
      return { name: m.name, bitOffset, group, shape, bits };
    }
    if (bitOffset + shape.size * 8 > limit) throw new BtfError(`${mpath}: bytes ${bitOffset / 8}..${bitOffset / 8 + shape.size} lie outside the ${limit / 8}-byte ${t.kind.toLowerCase()}`);
    return { name: m.name, bitOffset, group, shape };
  }
}
