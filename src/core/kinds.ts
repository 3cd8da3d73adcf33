// Classification of CO-RE relocation kinds (enum bpf_core_relo_kind).
import { CoreReloKind, type CoreReloKindName } from "../btf/ext.js";

/** What a relocation is computed from: a field access path, a whole type, or an enumerator. */
export type CoreReloFamily = "field" | "type" | "enumval";

/** The family of a relocation kind, or undefined for a kind this library does not know. */
export function reloFamily(kind: number): CoreReloFamily | undefined {
  switch (kind) {
    case CoreReloKind.FIELD_BYTE_OFFSET: case CoreReloKind.FIELD_BYTE_SIZE: case CoreReloKind.FIELD_EXISTS:
    case CoreReloKind.FIELD_SIGNED: case CoreReloKind.FIELD_LSHIFT_U64: case CoreReloKind.FIELD_RSHIFT_U64:
      return "field";
    case CoreReloKind.TYPE_ID_LOCAL: case CoreReloKind.TYPE_ID_TARGET: case CoreReloKind.TYPE_EXISTS:
    case CoreReloKind.TYPE_SIZE: case CoreReloKind.TYPE_MATCHES:
      return "type";
    case CoreReloKind.ENUMVAL_EXISTS: case CoreReloKind.ENUMVAL_VALUE:
      return "enumval";
    default:
      return undefined;
  }
}

const names = Object.keys(CoreReloKind) as CoreReloKindName[];

/** The name of a relocation kind ("FIELD_BYTE_OFFSET"), or "kind N" for unknown ones. */
export function reloKindLabel(kind: number): string {
  return names[kind] ?? `kind ${kind}`;
}
