// Matching a local access spec against one candidate target type
// (libbpf's bpf_core_spec_match): walk the local path in the target,
// finding each named member by name (looking through anonymous
// structs/unions), checking field compatibility and array bounds, and
// accumulating the target bit offset.
import type { Btf } from "../btf/btf.js";
import { isAnyEnum, isComposite, resolveSizeOrNegative, skipModsAndTypedefs } from "./btf-util.js";
import { isFlexibleArray, MAX_SPEC_LEN, type CoreAccessor, type CoreSpec } from "./access-spec.js";
import { fieldsAreCompatible, typesAreCompatible } from "./compat.js";
import { CoreRelocationError } from "./errors.js";
import { reloFamily } from "./kinds.js";
import { sameEssentialName } from "./names.js";
import { typesMatch } from "./type-match.js";
import { CoreReloKind } from "../btf/ext.js";

/** Finds `localAcc`'s member in the target composite `targetId`, descending into anonymous members. */
function matchMember(local: CoreSpec, localAcc: CoreAccessor, target: CoreSpec, targetId: number): number | undefined {
  const btf = target.btf;
  targetId = skipModsAndTypedefs(btf, targetId);
  const tt = btf.typeById(targetId);
  if (!isComposite(tt)) return undefined;
  const lt = local.btf.typeById(localAcc.typeId);
  if (!isComposite(lt)) throw new CoreRelocationError(`local accessor type [${localAcc.typeId}] is not a struct/union`);
  const localMember = lt.members[localAcc.index];
  if (!localMember) throw new CoreRelocationError(`local member index ${localAcc.index} is out of range`);
  for (let i = 0; i < tt.members.length; i++) {
    const m = tt.members[i] as (typeof tt.members)[number];
    if (target.raw.length === MAX_SPEC_LEN) throw new CoreRelocationError(`target access path is deeper than ${MAX_SPEC_LEN}`);
    // Speculate that this member is the one; undo below if it is not.
    target.bitOffset += m.bitOffset;
    target.raw.push(i);
    if (m.name === "") {
      const found = matchMember(local, localAcc, target, m.type);
      if (found !== undefined) return found;
    } else if (m.name === localMember.name) {
      target.accessors.push({ typeId: targetId, index: i, name: m.name });
      if (fieldsAreCompatible(local.btf, localMember.type, btf, m.type)) return m.type;
      target.accessors.pop();
      return undefined;
    }
    target.bitOffset -= m.bitOffset;
    target.raw.pop();
  }
  return undefined;
}

/**
 * The target spec when candidate `targetId` satisfies the local spec,
 * undefined when it does not. Throws CoreRelocationError for malformed input.
 */
export function matchSpec(local: CoreSpec, targetBtf: Btf, targetId: number): CoreSpec | undefined {
  const target: CoreSpec = { btf: targetBtf, rootTypeId: targetId, kind: local.kind, accessors: [], raw: [], bitOffset: 0 };
  const family = reloFamily(local.kind);
  if (family === "type") {
    const ok = local.kind === CoreReloKind.TYPE_MATCHES
      ? typesMatch(local.btf, local.rootTypeId, targetBtf, targetId)
      : typesAreCompatible(local.btf, local.rootTypeId, targetBtf, targetId);
    return ok ? target : undefined;
  }
  if (family === "enumval") {
    const id = skipModsAndTypedefs(targetBtf, targetId);
    const t = targetBtf.typeById(id);
    if (!isAnyEnum(t)) return undefined;
    const localName = local.accessors[0]?.name ?? "";
    const index = t.values.findIndex((v) => sameEssentialName(localName, v.name));
    if (index < 0) return undefined;
    target.accessors.push({ typeId: id, index, name: (t.values[index] as { name: string }).name });
    target.raw.push(index);
    return target;
  }
  let id = targetId;
  for (let i = 0; i < local.accessors.length; i++) {
    const acc = local.accessors[i] as CoreAccessor;
    id = skipModsAndTypedefs(targetBtf, id);
    if (acc.name !== undefined) {
      const next = matchMember(local, acc, target, id);
      if (next === undefined) return undefined;
      id = next;
      continue;
    }
    // The first index applies to the root type itself (an array of roots).
    if (i > 0) {
      const t = targetBtf.typeById(id);
      if (t.kind !== "ARRAY") return undefined;
      const flexible = isFlexibleArray(targetBtf, target.accessors[target.accessors.length - 1], t.nelems);
      if (!flexible && acc.index >= t.nelems) return undefined;
      id = skipModsAndTypedefs(targetBtf, t.type);
    }
    if (target.raw.length === MAX_SPEC_LEN) throw new CoreRelocationError(`target access path is deeper than ${MAX_SPEC_LEN}`);
    target.accessors.push({ typeId: id, index: acc.index, name: undefined });
    target.raw.push(acc.index);
    const size = resolveSizeOrNegative(targetBtf, id);
    if (size < 0) throw new CoreRelocationError(`target type [${id}] has no size`);
    target.bitOffset += acc.index * size * 8;
  }
  return target;
}
