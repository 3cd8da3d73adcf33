// Access specs: a relocation's access string ("0:1:2") interpreted over a
// BTF. The first number indexes an array of the root type; each further
// number picks a struct/union member or an array element. Anonymous
// members are walked through but not recorded as accessors, exactly as
// libbpf does, so that matching by name can look through anonymous
// structs/unions in the target.
import type { Btf } from "../btf/btf.js";
import type { BtfType } from "../btf/types.js";
import { isAnyEnum, isComposite, resolveSizeOrNegative, skipModsAndTypedefs, typeLabel } from "./btf-util.js";
import { CoreRelocationError } from "./errors.js";
import { reloFamily, reloKindLabel } from "./kinds.js";

/** libbpf's limit on the depth of an access string. */
export const MAX_SPEC_LEN = 64;

/** One step of an access path: a named member (name set) or an array index (name undefined). */
export interface CoreAccessor {
  /** The struct/union/enum (for a member/enumerator) or array element type (for an index). */
  readonly typeId: number;
  /** Member, enumerator or array index. */
  readonly index: number;
  /** Member or enumerator name; undefined for array indexes. */
  readonly name: string | undefined;
}

/** An access string resolved over one BTF. */
export interface CoreSpec {
  readonly btf: Btf;
  /** The relocation's root type in this BTF. */
  readonly rootTypeId: number;
  readonly kind: number;
  /** Named members, array indexes and enumerators on the path (anonymous members skipped). */
  readonly accessors: CoreAccessor[];
  /** Every raw index on the path, anonymous members included ("0:1:2" as numbers). */
  readonly raw: number[];
  /** Bit offset of the accessed field from the root. */
  bitOffset: number;
}

/** Parses "0:1:2" into numbers; undefined when malformed. */
function parseRawIndexes(access: string): number[] | undefined {
  if (!/^\d+(:\d+)*$/.test(access)) return undefined;
  return access.split(":").map(Number);
}

/** A flexible array member: `T x[]` as the last member of its struct (libbpf's is_flex_arr). */
export function isFlexibleArray(btf: Btf, previous: CoreAccessor | undefined, nelems: number): boolean {
  if (!previous || previous.name === undefined || nelems > 0) return false;
  const t = btf.typeById(previous.typeId);
  return isComposite(t) && previous.index === t.members.length - 1;
}

/**
 * Interprets a relocation's access string over the local BTF (libbpf's
 * bpf_core_parse_spec). Throws CoreRelocationError when the string is
 * malformed or does not fit the types.
 */
export function parseAccessSpec(btf: Btf, rootTypeId: number, access: string, kind: number): CoreSpec {
  const fail = (why: string): never => {
    throw new CoreRelocationError(`access string '${access}' on type [${rootTypeId}]: ${why}`, {
      description: `${reloKindLabel(kind)} [${rootTypeId}] '${access}'`,
    });
  };
  if (!(rootTypeId > 0 && rootTypeId <= btf.lastId)) fail(`type id ${rootTypeId} does not exist in the local BTF`);
  const spec: CoreSpec = { btf, rootTypeId, kind, accessors: [], raw: [], bitOffset: 0 };
  const family = reloFamily(kind);
  if (family === "type") {
    if (access !== "0") fail("type-based relocations must have access string '0'");
    return spec;
  }
  const raw = parseRawIndexes(access);
  if (!raw) return fail("expected colon-separated non-negative numbers");
  if (raw.length > MAX_SPEC_LEN) fail(`more than ${MAX_SPEC_LEN} steps`);
  spec.raw.push(...raw);
  let id = skipModsAndTypedefs(btf, rootTypeId);
  let t: BtfType = btf.typeById(id);
  const first = raw[0] as number;
  spec.accessors.push({ typeId: id, index: first, name: undefined });
  if (family === "enumval") {
    if (!isAnyEnum(t)) return fail(`${typeLabel(t)} is not an enum`);
    if (raw.length > 1 || first >= t.values.length) fail(`enumerator index ${first} is out of range`);
    spec.accessors[0] = { typeId: id, index: first, name: (t.values[first] as { name: string }).name };
    return spec;
  }
  if (family !== "field") return fail(`unknown relocation kind ${kind}`);
  const rootSize = resolveSizeOrNegative(btf, id);
  if (rootSize < 0) fail(`${typeLabel(t)} has no size`);
  spec.bitOffset = first * rootSize * 8;
  for (let i = 1; i < raw.length; i++) {
    id = skipModsAndTypedefs(btf, id);
    t = btf.typeById(id);
    const index = raw[i] as number;
    if (isComposite(t)) {
      const m = t.members[index];
      if (!m) return fail(`member index ${index} is out of range for ${typeLabel(t)}`);
      spec.bitOffset += m.bitOffset;
      if (m.name !== "") spec.accessors.push({ typeId: id, index, name: m.name });
      id = m.type;
    } else if (t.kind === "ARRAY") {
      const flexible = isFlexibleArray(btf, spec.accessors[spec.accessors.length - 1], t.nelems);
      if (!flexible && index >= t.nelems) fail(`index ${index} is out of range for an array of ${t.nelems}`);
      const elemId = skipModsAndTypedefs(btf, t.type);
      spec.accessors.push({ typeId: elemId, index, name: undefined });
      const elemSize = resolveSizeOrNegative(btf, elemId);
      if (elemSize < 0) fail("array element type has no size");
      spec.bitOffset += index * elemSize * 8;
      id = elemId;
    } else {
      fail(`step ${i} indexes into ${typeLabel(t)}, which is neither a struct/union nor an array`);
    }
  }
  return spec;
}

/**
 * A readable access path: "struct task_struct.pid", "struct foo[2].arr[1]",
 * "enum pid_type::PIDTYPE_TGID", or just the type for type relocations.
 */
export function describeAccessPath(spec: CoreSpec): string {
  const btf = spec.btf;
  const root = btf.typeById(spec.rootTypeId);
  let out = typeLabel(root);
  const family = reloFamily(spec.kind);
  if (family === "type") return out;
  if (family === "enumval") return `${out}::${spec.accessors[0]?.name ?? "?"}`;
  spec.accessors.forEach((acc, i) => {
    if (i === 0) {
      if (acc.index !== 0) out += `[${acc.index}]`;
    } else if (acc.name !== undefined) {
      out += `.${acc.name}`;
    } else {
      out += `[${acc.index}]`;
    }
  });
  return out;
}
