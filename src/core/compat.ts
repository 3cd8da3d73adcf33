// Compatibility rules between a local and a target type, as libbpf applies
// them: `fieldsAreCompatible` for the type of a matched field, and
// `typesAreCompatible` for TYPE_* relocations (TYPE_EXISTS, TYPE_SIZE,
// TYPE_ID_TARGET). Both look through typedefs and modifiers.
import type { Btf } from "../btf/btf.js";
import { isComposite, kindsCoreCompatible, skipModsAndTypedefs } from "./btf-util.js";
import { CoreRelocationError } from "./errors.js";
import { essentialNameLength } from "./names.js";

const MAX_DEPTH = 32;

/**
 * Whether a local field's type can be read through the target field's type:
 * any struct/union pair, pointers, floats, ints (except legacy bit-offset
 * ints), enums and forward declarations with the same essential name (or an
 * anonymous side), arrays of compatible elements.
 */
export function fieldsAreCompatible(local: Btf, localId: number, target: Btf, targetId: number): boolean {
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const lt = local.typeById(skipModsAndTypedefs(local, localId));
    const tt = target.typeById(skipModsAndTypedefs(target, targetId));
    if (isComposite(lt) && isComposite(tt)) return true;
    if (!kindsCoreCompatible(lt, tt)) return false;
    switch (lt.kind) {
      case "PTR": case "FLOAT":
        return true;
      case "FWD": case "ENUM": case "ENUM64": {
        const ln = essentialNameLength(lt.name);
        const tn = essentialNameLength(tt.name);
        return ln === 0 || tn === 0 || (ln === tn && lt.name.slice(0, ln) === tt.name.slice(0, tn));
      }
      case "INT":
        return lt.bitOffset === 0 && tt.kind === "INT" && tt.bitOffset === 0;
      case "ARRAY":
        if (tt.kind !== "ARRAY") return false;
        localId = lt.type;
        targetId = tt.type;
        continue;
      default:
        return false;
    }
  }
  throw new CoreRelocationError(`field type [${localId}] nests deeper than ${MAX_DEPTH} levels`);
}

/**
 * libbpf's bpf_core_types_are_compat: the kinds agree (through typedefs and
 * modifiers), pointers and arrays recurse into their targets, function
 * prototypes compare parameter by parameter; structs, unions, enums and
 * forward declarations only need the (already checked) name to match.
 */
export function typesAreCompatible(local: Btf, localId: number, target: Btf, targetId: number, level = MAX_DEPTH): boolean {
  if (!kindsCoreCompatible(local.typeById(localId), target.typeById(targetId))) return false;
  for (let depth = MAX_DEPTH; depth > 0; depth--) {
    localId = skipModsAndTypedefs(local, localId);
    targetId = skipModsAndTypedefs(target, targetId);
    const lt = local.typeById(localId);
    const tt = target.typeById(targetId);
    if (!kindsCoreCompatible(lt, tt)) return false;
    switch (lt.kind) {
      case "VOID": case "STRUCT": case "UNION": case "ENUM": case "ENUM64": case "FWD":
        return true;
      case "INT":
        return lt.bitOffset === 0 && tt.kind === "INT" && tt.bitOffset === 0;
      case "PTR":
        if (tt.kind !== "PTR") return false;
        localId = lt.type;
        targetId = tt.type;
        continue;
      case "ARRAY":
        if (tt.kind !== "ARRAY") return false;
        localId = lt.type;
        targetId = tt.type;
        continue;
      case "FUNC_PROTO": {
        if (tt.kind !== "FUNC_PROTO" || lt.params.length !== tt.params.length) return false;
        for (let i = 0; i < lt.params.length; i++) {
          if (level <= 0) throw new CoreRelocationError("function prototypes nest too deeply");
          const lp = skipModsAndTypedefs(local, (lt.params[i] as { type: number }).type);
          const tp = skipModsAndTypedefs(target, (tt.params[i] as { type: number }).type);
          if (!typesAreCompatible(local, lp, target, tp, level - 1)) return false;
        }
        localId = lt.returnType;
        targetId = tt.returnType;
        continue;
      }
      default:
        return false;
    }
  }
  throw new CoreRelocationError(`type [${localId}] nests deeper than ${MAX_DEPTH} levels`);
}
