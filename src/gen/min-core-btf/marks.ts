// Which parts of the target BTF a set of CO-RE relocations relies on: the
// types, the struct/union members and the enumerators. The rules follow
// what each relocation family compares (see src/core/): a field access
// needs its path's members and their types, but a pointer on the way needs
// no target (fields are read through any pointer); a type relocation
// compares whole type shapes through pointers; TYPE_MATCHES compares
// members too; an enum relocation needs only its enumerator. Anything not
// marked is dropped when the BTF is rebuilt (build.ts).
import type { Btf } from "../../btf/btf.js";
import type { BtfType } from "../../btf/types.js";
import { skipModsAndTypedefs } from "../../core/btf-util.js";

/** "all": every member or enumerator of the type is kept. */
type Parts = Set<number> | "all";

/** How deep a type is marked. */
const enum Depth {
  /** The type and what it needs to exist (typedef targets, array elements, prototypes); pointers left untyped. */
  Shape = 1,
  /** As Shape, and through pointers (type relocations compare pointed-to types). */
  ThroughPointers = 2,
  /** Every member and enumerator, through pointers: the type exactly as in the source BTF. */
  Complete = 3,
}

/** Marks over one source BTF; build.ts turns them into the minimal BTF. */
export class TypeMarks {
  readonly btf: Btf;
  /** Kept types, with the deepest marking each received. */
  readonly #types = new Map<number, Depth>();
  /** Kept members of structs/unions and kept enumerators of enums, by type id. */
  readonly #parts = new Map<number, Parts>();

  constructor(btf: Btf) {
    this.btf = btf;
  }

  /** Whether `id` is kept. */
  has(id: number): boolean {
    return id === 0 || this.#types.has(id);
  }

  /** Kept ids in ascending order. */
  ids(): number[] {
    return [...this.#types.keys()].sort((a, b) => a - b);
  }

  /** Kept members / enumerators of `id` ("all", or indexes; empty when only the type is kept). */
  parts(id: number): Parts {
    return this.#parts.get(id) ?? new Set();
  }

  #keepPart(id: number, index: number | "all"): void {
    const current = this.#parts.get(id);
    if (current === "all") return;
    if (index === "all") {
      this.#parts.set(id, "all");
      return;
    }
    if (current) current.add(index);
    else this.#parts.set(id, new Set([index]));
  }

  /** Keeps member `index` of composite `id` and its type (as a shape). */
  keepMember(id: number, index: number): void {
    const t = this.btf.typeById(id);
    if (t.kind !== "STRUCT" && t.kind !== "UNION") return;
    const m = t.members[index];
    if (!m) return;
    this.#keepPart(id, index);
    this.#mark(m.type, Depth.Shape);
  }

  /** Keeps enumerator `index` of enum `id`. */
  keepEnumerator(id: number, index: number): void {
    this.#keepPart(id, index);
  }

  /** Marks the type as a field access needs it (pointers left untyped). */
  markShape(id: number): void {
    this.#mark(id, Depth.Shape);
  }

  /** Marks the type through pointers (TYPE_EXISTS, TYPE_SIZE, TYPE_ID_TARGET compare pointed-to kinds). */
  markThroughPointers(id: number): void {
    this.#mark(id, Depth.ThroughPointers);
  }

  /** Marks the whole type graph reachable from `id`, every member and enumerator included. */
  markComplete(id: number): void {
    this.#mark(id, Depth.Complete);
  }

  /**
   * TYPE_MATCHES: a struct/union compares all of its members, except behind
   * a pointer where only its kind and name count; enums compare enumerators.
   */
  markForTypeMatch(id: number, behindPointer = false): void {
    const seen = new Set<string>();
    const visit = (typeId: number, behind: boolean): void => {
      const key = `${typeId}:${behind ? 1 : 0}`;
      if (typeId === 0 || seen.has(key)) return;
      seen.add(key);
      const t = this.btf.typeById(typeId);
      this.#mark(typeId, Depth.Shape);
      switch (t.kind) {
        case "STRUCT": case "UNION":
          if (behind) return;
          t.members.forEach((m, i) => {
            this.#keepPart(typeId, i);
            visit(m.type, false);
          });
          return;
        case "ENUM": case "ENUM64":
          this.#keepPart(typeId, "all");
          return;
        case "PTR":
          visit(t.type, true);
          return;
        case "TYPEDEF": case "CONST": case "VOLATILE": case "RESTRICT": case "TYPE_TAG":
          visit(t.type, behind);
          return;
        case "ARRAY":
          visit(t.type, false);
          visit(t.indexType, false);
          return;
        case "FUNC_PROTO":
          visit(t.returnType, false);
          for (const p of t.params) visit(p.type, false);
          return;
        default:
          return;
      }
    };
    visit(id, behindPointer);
  }

  /** Marks `id` and what it refers to, to `depth`; a type already marked as deep is not walked again. */
  #mark(id: number, depth: Depth): void {
    const stack: number[] = [id];
    while (stack.length > 0) {
      const typeId = stack.pop() as number;
      if (typeId === 0) continue;
      const had = this.#types.get(typeId) ?? 0;
      if (had >= depth) continue;
      this.#types.set(typeId, depth);
      const t = this.btf.typeById(typeId);
      if (depth === Depth.Complete && (t.kind === "STRUCT" || t.kind === "UNION" || t.kind === "ENUM" || t.kind === "ENUM64")) {
        this.#keepPart(typeId, "all");
      }
      for (const ref of references(t, depth)) stack.push(ref);
    }
  }

  /**
   * A zero-length array member that is not its struct's last member must
   * not become the last one (it would turn into a flexible array, which
   * CO-RE indexes without bounds): keep the real last member too.
   */
  keepFlexibleArraysHonest(): void {
    let changed = true;
    while (changed) {
      changed = false;
      for (const [id, parts] of this.#parts) {
        if (parts === "all") continue;
        const t = this.btf.typeById(id);
        if (t.kind !== "STRUCT" && t.kind !== "UNION") continue;
        const last = t.members.length - 1;
        if (parts.has(last)) continue;
        const needsLast = [...parts].some((i) => {
          const m = t.members[i];
          if (!m) return false;
          const mt = this.btf.typeById(skipModsAndTypedefs(this.btf, m.type));
          return mt.kind === "ARRAY" && mt.nelems === 0;
        });
        if (needsLast) {
          this.keepMember(id, last);
          changed = true;
        }
      }
    }
  }
}

/** The ids a type refers to that marking at `depth` must keep too. */
function references(t: BtfType, depth: Depth): number[] {
  switch (t.kind) {
    case "PTR":
      return depth >= Depth.ThroughPointers ? [t.type] : [];
    case "TYPEDEF": case "CONST": case "VOLATILE": case "RESTRICT": case "TYPE_TAG": case "FUNC": case "VAR": case "DECL_TAG":
      return [t.type];
    case "ARRAY":
      return [t.type, t.indexType];
    case "FUNC_PROTO":
      return [t.returnType, ...t.params.map((p) => p.type)];
    case "STRUCT": case "UNION":
      return depth === Depth.Complete ? t.members.map((m) => m.type) : [];
    case "DATASEC":
      return t.vars.map((v) => v.type);
    default:
      return [];
  }
}
