// TYPE_MATCHES (bpf_core_type_matches(), libbpf 1.0+): a stricter relation
// than compatibility. Names must agree (flavors ignored) at every level,
// ints must have the same size and signedness, arrays the same length,
// enums the same size with every local enumerator present in the target,
// and every local struct/union member must have a matching target member.
// Behind a pointer, a struct/union matches a forward declaration of the
// same kind.
import type { Btf } from "../btf/btf.js";
import type { BtfType } from "../btf/types.js";
import { isAnyEnum, skipModsAndTypedefs } from "./btf-util.js";
import { CoreRelocationError } from "./errors.js";
import { sameEssentialName } from "./names.js";

const MAX_DEPTH = 32;

/** libbpf's name rule: an anonymous target only matches an anonymous local. */
function namesMatch(local: string, target: string): boolean {
  if (target === "") return local === "";
  return sameEssentialName(local, target);
}

function enumsMatch(lt: Extract<BtfType, { kind: "ENUM" | "ENUM64" }>, tt: Extract<BtfType, { kind: "ENUM" | "ENUM64" }>): boolean {
  if (lt.size !== tt.size || lt.values.length > tt.values.length) return false;
  return lt.values.every((lv) => tt.values.some((tv) => namesMatch(lv.name, tv.name)));
}

/** True when `targetId` in `target` matches `localId` in `local` (bpf_core_types_match). */
export function typesMatch(local: Btf, localId: number, target: Btf, targetId: number, behindPointer = false, level = MAX_DEPTH): boolean {
  if (level <= 0) throw new CoreRelocationError("types nest too deeply for TYPE_MATCHES");
  for (let depth = MAX_DEPTH; depth > 0; depth--) {
    localId = skipModsAndTypedefs(local, localId);
    targetId = skipModsAndTypedefs(target, targetId);
    const lt = local.typeById(localId);
    const tt = target.typeById(targetId);
    if (!namesMatch(lt.name, tt.name)) return false;
    switch (lt.kind) {
      case "VOID":
        return tt.kind === "VOID";
      case "FWD":
        if (behindPointer && tt.kind !== "FWD") {
          return (tt.kind === "STRUCT" && lt.fwdKind === "struct") || (tt.kind === "UNION" && lt.fwdKind === "union");
        }
        return tt.kind === "FWD" && tt.fwdKind === lt.fwdKind;
      case "ENUM": case "ENUM64":
        return isAnyEnum(tt) && enumsMatch(lt, tt);
      case "STRUCT": case "UNION":
        if (behindPointer) {
          if (tt.kind === lt.kind) return true;
          return tt.kind === "FWD" && (tt.fwdKind === "union") === (lt.kind === "UNION");
        }
        if (tt.kind !== lt.kind) return false;
        if (lt.members.length > tt.members.length) return false;
        return lt.members.every((lm) =>
          tt.members.some((tm) => namesMatch(lm.name, tm.name) && typesMatch(local, lm.type, target, tm.type, behindPointer, level - 1)),
        );
      case "INT":
        return tt.kind === "INT" && lt.size === tt.size && lt.signed === tt.signed;
      case "PTR":
        if (tt.kind !== "PTR") return false;
        behindPointer = true;
        localId = lt.type;
        targetId = tt.type;
        continue;
      case "ARRAY":
        if (tt.kind !== "ARRAY" || lt.nelems !== tt.nelems) return false;
        localId = lt.type;
        targetId = tt.type;
        continue;
      case "FUNC_PROTO":
        if (tt.kind !== "FUNC_PROTO" || lt.params.length !== tt.params.length) return false;
        for (let i = 0; i < lt.params.length; i++) {
          const lp = (lt.params[i] as { type: number }).type;
          const tp = (tt.params[i] as { type: number }).type;
          if (!typesMatch(local, lp, target, tp, behindPointer, level - 1)) return false;
        }
        localId = lt.returnType;
        targetId = tt.returnType;
        continue;
      default:
        return false;
    }
  }
  throw new CoreRelocationError(`type [${localId}] nests deeper than ${MAX_DEPTH} levels`);
}
