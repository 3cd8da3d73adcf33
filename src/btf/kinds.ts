// BTF kind numbers (include/uapi/linux/btf.h) and their names as bpftool prints them.

/** Numeric BTF_KIND_* values. */
export const BtfKindId = {
  UNKN: 0, INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9,
  CONST: 10, RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17,
  TYPE_TAG: 18, ENUM64: 19,
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
export const MAX_KIND = 19;

/** Extra u32 words after the 12-byte btf_type header: fixed part per kind. */
export const fixedWords: Readonly<Int8Array> = Int8Array.from([
  -1, 1, 0, 3, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 1, 0, 0, 1, 0, 0,
]);

/** Extra u32 words per vlen entry, per kind. */
export const wordsPerEntry: Readonly<Int8Array> = Int8Array.from([
  0, 0, 0, 0, 3, 3, 2, 0, 0, 0,
  0, 0, 0, 2, 0, 3, 0, 0, 0, 3,
]);
