// The one BTF kind table (include/uapi/linux/btf.h): kind numbers, the names
// bpftool prints, the info word's fields, and how long each kind's type record
// is. Every reader and writer of BTF bytes in the package takes them from here.

/** Numeric BTF kinds, as a const enum so the dumpers' hot loops compare literals. */
export const enum Kind {
  Int = 1, Ptr = 2, Array = 3, Struct = 4, Union = 5, Enum = 6, Fwd = 7, Typedef = 8, Volatile = 9,
  Const = 10, Restrict = 11, Func = 12, FuncProto = 13, Var = 14, Datasec = 15, Float = 16, DeclTag = 17,
  TypeTag = 18, Enum64 = 19,
}

/** Numeric BTF_KIND_* values by their uapi names. */
export const BtfKindId = {
  UNKN: 0, INT: Kind.Int, PTR: Kind.Ptr, ARRAY: Kind.Array, STRUCT: Kind.Struct, UNION: Kind.Union, ENUM: Kind.Enum,
  FWD: Kind.Fwd, TYPEDEF: Kind.Typedef, VOLATILE: Kind.Volatile, CONST: Kind.Const, RESTRICT: Kind.Restrict,
  FUNC: Kind.Func, FUNC_PROTO: Kind.FuncProto, VAR: Kind.Var, DATASEC: Kind.Datasec, FLOAT: Kind.Float,
  DECL_TAG: Kind.DeclTag, TYPE_TAG: Kind.TypeTag, ENUM64: Kind.Enum64,
} as const;

/** Kind names; "VOID" is the pseudo-type with id 0. */
export type BtfKind =
  | "VOID" | "INT" | "PTR" | "ARRAY" | "STRUCT" | "UNION" | "ENUM" | "FWD" | "TYPEDEF" | "VOLATILE"
  | "CONST" | "RESTRICT" | "FUNC" | "FUNC_PROTO" | "VAR" | "DATASEC" | "FLOAT" | "DECL_TAG" | "TYPE_TAG" | "ENUM64";

/** Kind name by number (index 0 is VOID). */
export const kindNames: readonly BtfKind[] = [
  "VOID", "INT", "PTR", "ARRAY", "STRUCT", "UNION", "ENUM", "FWD", "TYPEDEF", "VOLATILE",
  "CONST", "RESTRICT", "FUNC", "FUNC_PROTO", "VAR", "DATASEC", "FLOAT", "DECL_TAG", "TYPE_TAG", "ENUM64",
];

/** Highest kind number this library understands (BTF_KIND_ENUM64, Linux 6.0). */
export const MAX_KIND = Kind.Enum64;

/** Size of struct btf_type, the part every record starts with: name_off, info, size/type. */
export const BTF_TYPE_SIZE = 12;

/** Extra u32 words after the 12-byte btf_type header: fixed part per kind. */
const fixedWords: Readonly<Int8Array> = Int8Array.from([
  -1, 1, 0, 3, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 1, 0, 0, 1, 0, 0,
]);

/** Extra u32 words per vlen entry, per kind. */
const wordsPerEntry: Readonly<Int8Array> = Int8Array.from([
  0, 0, 0, 0, 3, 3, 2, 0, 0, 0,
  0, 0, 0, 2, 0, 3, 0, 0, 0, 3,
]);

/** The kind field of a btf_type info word. */
export function kindOf(info: number): number {
  return (info >>> 24) & 0x1f;
}

/** The vlen field of a btf_type info word (entry count, or FUNC linkage). */
export function vlenOf(info: number): number {
  return info & 0xffff;
}

/** The kind_flag bit of a btf_type info word. */
export function kindFlagOf(info: number): boolean {
  return info >>> 31 === 1;
}

/** A btf_type info word: kind_flag, kind, vlen. */
export function infoWord(kind: number, vlen: number, kindFlag = false): number {
  return ((kindFlag ? 0x8000_0000 : 0) | (kind << 24) | vlen) >>> 0;
}

/**
 * Length in u32 words of a type record (btf_type plus its kind's trailing
 * data) of `kind` with `vlen` entries; NaN for kinds this library does not know.
 */
export function recordWords(kind: number, vlen: number): number {
  if (kind < 1 || kind > MAX_KIND) return NaN;
  return 3 + (fixedWords[kind] as number) + (wordsPerEntry[kind] as number) * vlen;
}
