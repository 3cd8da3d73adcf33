// Type resolution, sizes and alignments, computed the way libbpf does
// (btf__resolve_type, btf__resolve_size, btf__align_of) so that CO-RE and the
// C dumper agree with it. Every walk is depth-limited: a cyclic graph (a
// typedef naming itself, a struct containing itself) is a BtfError, not a hang.
import { BtfError } from "./errors.js";
import type { Btf } from "./btf.js";

/** libbpf's MAX_RESOLVE_DEPTH. */
export const MAX_RESOLVE_DEPTH = 32;
/** Deepest struct nesting alignOf follows before declaring a cycle. */
const MAX_NESTING = 512;
const U32_MAX = 0xffff_ffff;

/** Skips TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG and VAR (as btf__resolve_type does). */
export function resolveId(btf: Btf, id: number): number {
  let cur = id;
  for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
    const t = btf.typeById(cur);
    switch (t.kind) {
      case "TYPEDEF": case "VOLATILE": case "CONST": case "RESTRICT": case "TYPE_TAG": case "VAR":
        cur = t.type;
        break;
      default:
        return cur;
    }
  }
  throw new BtfError(`type [${id}]: more than ${MAX_RESOLVE_DEPTH} typedefs/qualifiers in a row (a reference cycle?)`);
}

/** btf__resolve_size: the byte size of a type, multiplying array dimensions. */
export function sizeOf(btf: Btf, id: number): number {
  let cur = id;
  let nelems = 1;
  for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
    const t = btf.typeById(cur);
    let size: number;
    switch (t.kind) {
      case "INT": case "STRUCT": case "UNION": case "ENUM": case "ENUM64": case "DATASEC": case "FLOAT":
        size = t.size;
        break;
      case "PTR":
        size = btf.pointerSize;
        break;
      case "TYPEDEF": case "VOLATILE": case "CONST": case "RESTRICT": case "VAR": case "DECL_TAG": case "TYPE_TAG":
        cur = t.type;
        continue;
      case "ARRAY":
        if (t.nelems !== 0 && Math.floor(U32_MAX / t.nelems) < nelems) throw new BtfError(`type [${id}]: array size overflows 32 bits`);
        nelems *= t.nelems;
        cur = t.type;
        continue;
      default:
        throw new BtfError(`type [${id}]: ${t.kind} ${t.kind === "VOID" ? "" : `'${t.name}' `}has no size`);
    }
    if (nelems !== 0 && size > Math.floor(U32_MAX / nelems)) throw new BtfError(`type [${id}]: size overflows 32 bits`);
    return nelems * size;
  }
  throw new BtfError(`type [${id}]: more than ${MAX_RESOLVE_DEPTH} levels while resolving its size (a reference cycle?)`);
}

// Alignments are memoised per Btf: a graph where types share members (a DAG)
// would otherwise cost exponential time.
const alignments = new WeakMap<Btf, Map<number, number>>();

/** btf__align_of: natural alignment; 1 for structs whose layout shows they are packed. */
export function alignOf(btf: Btf, id: number, depth = 0): number {
  if (depth > MAX_NESTING) throw new BtfError(`type [${id}]: nesting deeper than ${MAX_NESTING} while computing alignment (a type contains itself?)`);
  let memo = alignments.get(btf);
  if (!memo) alignments.set(btf, (memo = new Map()));
  const known = memo.get(id);
  if (known !== undefined) return known;
  const align = computeAlign(btf, id, depth);
  memo.set(id, align);
  return align;
}

function computeAlign(btf: Btf, id: number, depth: number): number {
  const t = btf.typeById(id);
  switch (t.kind) {
    case "INT": case "ENUM": case "ENUM64": case "FLOAT":
      return Math.min(btf.pointerSize, t.size);
    case "PTR":
      return btf.pointerSize;
    case "TYPEDEF": case "VOLATILE": case "CONST": case "RESTRICT": case "TYPE_TAG": case "ARRAY":
      return alignOf(btf, t.type, depth + 1);
    case "STRUCT": case "UNION": {
      let maxAlign = 1;
      for (const m of t.members) {
        const align = alignOf(btf, m.type, depth + 1);
        if (align <= 0) throw new BtfError(`type [${id}]: member '${m.name}' has alignment ${align}`);
        maxAlign = Math.max(maxAlign, align);
        // A member placed off its natural alignment means the struct is packed.
        if (m.bitfieldSize === 0 && m.bitOffset % (8 * align) !== 0) return 1;
      }
      return t.size % maxAlign !== 0 ? 1 : maxAlign;
    }
    default:
      throw new BtfError(`type [${id}]: ${t.kind} has no alignment`);
  }
}
