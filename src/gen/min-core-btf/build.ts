// Rebuilds BTF from the marked parts of the source: kept types in their
// source order (so the output reads like the source, as bpftool's does),
// structs/unions with only their kept members at their original offsets,
// enums with only their kept enumerators, and every reference renumbered.
// A reference to a type that was not kept (only pointers have those: a
// field read through a pointer never looks at what it points to) becomes
// void, so `struct task_struct *` shrinks to `void *`.
import type { BtfType, BtfTypeInput } from "../../btf/types.js";
import { encodeBtf } from "../../btf/encode.js";
import type { TypeMarks } from "./marks.js";

/** The minimal BTF and where each kept source type went. */
export interface BuiltBtf {
  /** Raw BTF (header, types, strings), standalone (no base). */
  readonly bytes: Uint8Array;
  /** Source id → id in `bytes` (kept types only). */
  readonly newIds: ReadonlyMap<number, number>;
}

/** Encodes the kept parts of `marks.btf` as standalone raw BTF (little-endian unless the source is big-endian). */
export function buildMinimalBtf(marks: TypeMarks): BuiltBtf {
  const ids = marks.ids();
  const newIds = new Map<number, number>(ids.map((id, i) => [id, i + 1]));
  const remap = (id: number): number => newIds.get(id) ?? 0;
  const types = ids.map((id) => rebuild(marks.btf.typeById(id), marks.parts(id), remap));
  return { bytes: encodeBtf(types, { littleEndian: marks.btf.littleEndian }), newIds };
}

function keep<T>(items: readonly T[], parts: Set<number> | "all"): T[] {
  return parts === "all" ? [...items] : items.filter((_, i) => parts.has(i));
}

function rebuild(t: BtfType, parts: Set<number> | "all", remap: (id: number) => number): BtfTypeInput {
  const { id: _id, ...rest } = t;
  void _id;
  switch (rest.kind) {
    case "PTR": case "TYPEDEF": case "CONST": case "VOLATILE": case "RESTRICT": case "TYPE_TAG":
    case "FUNC": case "VAR": case "DECL_TAG":
      return { ...rest, type: remap(rest.type) };
    case "ARRAY":
      return { ...rest, type: remap(rest.type), indexType: remap(rest.indexType) };
    case "STRUCT": case "UNION":
      return { ...rest, members: keep(rest.members, parts).map((m) => ({ ...m, type: remap(m.type) })) };
    case "ENUM":
      return { ...rest, values: keep(rest.values, parts) };
    case "ENUM64":
      return { ...rest, values: keep(rest.values, parts) };
    case "FUNC_PROTO":
      return { ...rest, returnType: remap(rest.returnType), params: rest.params.map((p) => ({ ...p, type: remap(p.type) })) };
    case "DATASEC":
      return { ...rest, vars: rest.vars.map((v) => ({ ...v, type: remap(v.type) })) };
    default:
      return rest;
  }
}
