// Small BTF helpers with libbpf's exact CO-RE semantics (which differ from
// Btf.resolve in details: VARs are not followed, sizes may be absent).
import type { Btf } from "../btf/btf.js";
import type { BtfType } from "../btf/types.js";
import { CoreRelocationError } from "./errors.js";

const MAX_CHAIN = 64;

/** Follows const/volatile/restrict/type tags and typedefs; returns the id of the first other type. */
export function skipModsAndTypedefs(btf: Btf, id: number): number {
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    const t = btf.typeById(id);
    switch (t.kind) {
      case "TYPEDEF": case "CONST": case "VOLATILE": case "RESTRICT": case "TYPE_TAG":
        id = t.type;
        break;
      default:
        return id;
    }
  }
  throw new CoreRelocationError(`type [${id}] is part of a modifier/typedef chain longer than ${MAX_CHAIN} (a cycle?)`);
}

/** True for STRUCT and UNION. */
export function isComposite(t: BtfType): t is Extract<BtfType, { kind: "STRUCT" | "UNION" }> {
  return t.kind === "STRUCT" || t.kind === "UNION";
}

/** True for ENUM and ENUM64. */
export function isAnyEnum(t: BtfType): t is Extract<BtfType, { kind: "ENUM" | "ENUM64" }> {
  return t.kind === "ENUM" || t.kind === "ENUM64";
}

/** libbpf's btf_kind_core_compat: same kind, or both enums (ENUM and ENUM64 mix). */
export function kindsCoreCompatible(a: BtfType, b: BtfType): boolean {
  return a.kind === b.kind || (isAnyEnum(a) && isAnyEnum(b));
}

/** btf__resolve_size, or -1 when the type has no size (void, func, fwd, cycles). */
export function resolveSizeOrNegative(btf: Btf, id: number): number {
  try {
    return btf.sizeOf(id);
  } catch {
    return -1;
  }
}

/** The raw BTF int encoding bits (1 signed, 2 char, 4 bool), 0 for non-ints. */
export function intEncoding(t: BtfType): number {
  if (t.kind !== "INT") return 0;
  return (t.signed ? 1 : 0) | (t.char ? 2 : 0) | (t.bool ? 4 : 0);
}

/** A short C-like name for messages: "struct task_struct", "int", "enum (anon)". */
export function typeLabel(t: BtfType): string {
  const name = t.name || "(anon)";
  switch (t.kind) {
    case "STRUCT": return `struct ${name}`;
    case "UNION": return `union ${name}`;
    case "ENUM": case "ENUM64": return `enum ${name}`;
    case "FWD": return `${t.fwdKind} ${name}`;
    case "TYPEDEF": return `typedef ${name}`;
    default: return t.name ? `${t.kind.toLowerCase()} ${t.name}` : t.kind.toLowerCase();
  }
}
