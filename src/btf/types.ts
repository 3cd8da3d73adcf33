// The BTF model: one plain, read-only object per type, discriminated by
// `kind`. Referenced types are ids (numbers) into the owning Btf, so the
// graph may be cyclic without the objects being so.
import type { BtfKind } from "./kinds.js";

interface Common<K extends BtfKind> {
  /** Type id (0 is void; split BTF continues numbering after its base). */
  readonly id: number;
  readonly kind: K;
  /** Name, or "" for anonymous types. */
  readonly name: string;
  /** The raw kind_flag bit (its meaning depends on the kind; decoded into the fields below). */
  readonly kindFlag: boolean;
}

/** id 0: void. */
export type BtfVoid = Common<"VOID">;

/** An integer type. */
export interface BtfInt extends Common<"INT"> {
  readonly size: number;
  readonly signed: boolean;
  readonly char: boolean;
  readonly bool: boolean;
  /** BTF_INT_OFFSET: bit offset of the value (0 in practice). */
  readonly bitOffset: number;
  /** BTF_INT_BITS: number of value bits. */
  readonly bits: number;
}

/** Pointer, typedef and the qualifiers: a name (typedef only) and a target. */
export interface BtfRef<K extends "PTR" | "TYPEDEF" | "VOLATILE" | "CONST" | "RESTRICT"> extends Common<K> {
  readonly type: number;
}
/** A pointer to `type`. */
export type BtfPtr = BtfRef<"PTR">;
/** A typedef: `name` for `type`. */
export type BtfTypedef = BtfRef<"TYPEDEF">;
/** The `volatile` qualifier on `type`. */
export type BtfVolatile = BtfRef<"VOLATILE">;
/** The `const` qualifier on `type`. */
export type BtfConst = BtfRef<"CONST">;
/** The `restrict` qualifier on `type`. */
export type BtfRestrict = BtfRef<"RESTRICT">;

/** `type name[nelems]`; `indexType` is the type of the index (an int). */
export interface BtfArray extends Common<"ARRAY"> {
  readonly type: number;
  readonly indexType: number;
  readonly nelems: number;
}

/** A struct or union member. */
export interface BtfMember {
  readonly name: string;
  readonly type: number;
  /** Offset from the start of the struct in bits. */
  readonly bitOffset: number;
  /** Bitfield width in bits, or 0 when the member is not a bitfield (only kind_flag structs record it). */
  readonly bitfieldSize: number;
}

/** A struct or union. With kind_flag set, each member's raw offset is `bitfield_size << 24 | bit_offset`. */
export interface BtfComposite<K extends "STRUCT" | "UNION"> extends Common<K> {
  readonly size: number;
  readonly members: readonly BtfMember[];
}
/** A struct: size and members (offsets in bits, bitfield sizes). */
export type BtfStruct = BtfComposite<"STRUCT">;
/** A union: size and members (all at offset 0). */
export type BtfUnion = BtfComposite<"UNION">;

/** One enumerator; ENUM values are 32-bit, ENUM64 values 64-bit. */
export interface BtfEnumValue<V extends number | bigint> {
  readonly name: string;
  readonly value: V;
}

/** A 32-bit-valued enum; `signed` is the kind_flag (Linux 6.0+ BTF). */
export interface BtfEnum extends Common<"ENUM"> {
  readonly size: number;
  readonly signed: boolean;
  /** Values are sign-extended when `signed`, else unsigned. */
  readonly values: readonly BtfEnumValue<number>[];
}

/** A 64-bit-valued enum (Linux 6.0+). */
export interface BtfEnum64 extends Common<"ENUM64"> {
  readonly size: number;
  readonly signed: boolean;
  readonly values: readonly BtfEnumValue<bigint>[];
}

/** A forward declaration; kind_flag selects union (true) or struct (false). */
export interface BtfFwd extends Common<"FWD"> {
  readonly fwdKind: "struct" | "union";
}

/** Linkage of a FUNC. */
export type FuncLinkage = "static" | "global" | "extern";
/** A function; `type` is its FUNC_PROTO. */
export interface BtfFunc extends Common<"FUNC"> {
  readonly type: number;
  /** Linkage; values newer than this library read as "extern" — `linkageValue` keeps the number. */
  readonly linkage: FuncLinkage;
  /** The raw vlen (linkage as a number, kept for values newer than this library). */
  readonly linkageValue: number;
}

/** A parameter of a function prototype; a last parameter with type 0 and no name means `...`. */
export interface BtfParam {
  readonly name: string;
  readonly type: number;
}
/** A function prototype. */
export interface BtfFuncProto extends Common<"FUNC_PROTO"> {
  readonly returnType: number;
  readonly params: readonly BtfParam[];
}

/** Linkage of a VAR. */
export type VarLinkage = "static" | "global" | "extern";
/** A global or static variable. */
export interface BtfVar extends Common<"VAR"> {
  readonly type: number;
  /** "global" is BTF_VAR_GLOBAL_ALLOCATED; unknown values read as "extern" (see `linkageValue`). */
  readonly linkage: VarLinkage;
  /** The raw linkage number. */
  readonly linkageValue: number;
}

/** A variable's place in a data section. */
export interface BtfVarSecinfo {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}
/** A data section (.data, .bss, .rodata, .maps, .kconfig …). */
export interface BtfDatasec extends Common<"DATASEC"> {
  readonly size: number;
  readonly vars: readonly BtfVarSecinfo[];
}

/** A floating-point type (Linux 5.13+). */
export interface BtfFloat extends Common<"FLOAT"> {
  readonly size: number;
}

/** `__attribute__((btf_decl_tag("name")))` on `type`, or on its member/param `componentIndex` (-1: the type itself). Linux 5.16+. */
export interface BtfDeclTag extends Common<"DECL_TAG"> {
  readonly type: number;
  readonly componentIndex: number;
}

/** `__attribute__((btf_type_tag("name")))` (Linux 5.17+); kind_flag marks an attribute tag (Linux 6.15+). */
export interface BtfTypeTag extends Common<"TYPE_TAG"> {
  readonly type: number;
}

/** Any BTF type. Switch on `kind` to narrow. */
export type BtfType =
  | BtfVoid | BtfInt | BtfPtr | BtfArray | BtfStruct | BtfUnion | BtfEnum | BtfFwd | BtfTypedef | BtfVolatile
  | BtfConst | BtfRestrict | BtfFunc | BtfFuncProto | BtfVar | BtfDatasec | BtfFloat | BtfDeclTag | BtfTypeTag | BtfEnum64;

/** Kinds whose only content is a reference to another type. */
export type BtfModifier = BtfTypedef | BtfVolatile | BtfConst | BtfRestrict | BtfTypeTag;

/** Narrows a type to a kind: `t.kind === "STRUCT"` works too; this helps in generic code. */
export type BtfTypeOf<K extends BtfKind> = Extract<BtfType, { kind: K }>;

/** A type without its id (what the encoder takes; ids follow from the order). */
export type BtfTypeInput = BtfType extends infer T ? (T extends BtfType ? Omit<T, "id"> : never) : never;
