// What a C compiler would refuse, checked before a type is printed: the C
// dumper (and any walk that follows types by value) recurses along type
// references, so malformed BTF must not reach it. A cycle is valid C only
// when a pointer to a named struct or union (or a forward declaration)
// breaks it — `struct s { struct s *next; }`; a typedef, qualifier, array,
// function prototype or anonymous struct cycle (`typedef T T`, an array of
// a struct holding that array, `const` → `volatile` → `const`) is not. A
// member must lie within its struct. Chains deeper than any real header
// (a million nested `const`) would overflow the stack, so depth is bounded.
// Iterative: hostile input cannot exhaust the stack here either.
import { BtfError } from "../errors.js";
import { kindNames } from "../kinds.js";
import type { LayoutCache } from "./layout-cache.js";
import { Kind, type RawView } from "./raw-view.js";

/** Deepest chain of by-value references accepted (real headers stay far below 100). */
export const MAX_TYPE_NESTING = 256;

const enum Color {
  Unvisited = 0,
  OnPath = 1,
  Done = 2,
}

/** `[id] KIND 'name'`: how errors name a type. */
export function describeRawType(raw: RawView, id: number): string {
  const kind = kindNames[raw.kinds[id] as number] ?? "UNKNOWN";
  const off = raw.nameOff(id);
  return `[${id}] ${kind} '${off === 0 ? "(anon)" : raw.text(off)}'`;
}

/** Validates the types reachable from roots, each once per dump. */
export class CTypeValidator {
  readonly #raw: RawView;
  readonly #layout: LayoutCache;
  readonly #color: Uint8Array;
  /** Longest by-value chain below each checked type. */
  readonly #depth: Uint16Array;
  /** The DFS stack, reused across roots. */
  #ids: Int32Array = new Int32Array(64);
  #next: Int32Array = new Int32Array(64);
  #below: Int32Array = new Int32Array(64);

  constructor(raw: RawView, layout: LayoutCache) {
    this.#raw = raw;
    this.#layout = layout;
    this.#color = new Uint8Array(raw.lastId + 1);
    this.#color[0] = Color.Done;
    this.#depth = new Uint16Array(raw.lastId + 1);
  }

  /** Throws BtfError naming the offending type when `root` or a type it uses by value is not valid C. */
  check(root: number): void {
    const raw = this.#raw;
    if (!Number.isInteger(root) || root < 0 || root > raw.lastId) throw new BtfError(`no type with id ${root} (the last id is ${raw.lastId})`);
    const color = this.#color;
    if (color[root] === Color.Done) return;
    const depth = this.#depth;
    // Explicit DFS stack: the type, the index of its next reference, the deepest chain below it so far.
    let ids = this.#ids;
    let next = this.#next;
    let below = this.#below;
    let top = 0;
    ids[0] = root;
    next[0] = 0;
    below[0] = 0;
    color[root] = Color.OnPath;
    while (top >= 0) {
      const id = ids[top] as number;
      const edge = next[top] as number;
      const child = this.#edge(id, edge);
      if (child < 0) {
        const d = (below[top] as number) + 1;
        if (d > MAX_TYPE_NESTING) throw new BtfError(`type ${describeRawType(raw, id)} nests more than ${MAX_TYPE_NESTING} types deep (by value): no C header does`);
        depth[id] = d;
        const kind = raw.kinds[id] as number;
        if (kind === Kind.Struct || kind === Kind.Union) this.#checkMembers(id);
        color[id] = Color.Done;
        top--;
        if (top >= 0 && d > (below[top] as number)) below[top] = d;
        continue;
      }
      next[top] = edge + 1;
      if (child > raw.lastId) throw new BtfError(`type ${describeRawType(raw, id)} refers to type id ${child}, past the last id ${raw.lastId}`);
      const c = color[child];
      if (c === Color.Done) {
        if ((depth[child] as number) > (below[top] as number)) below[top] = depth[child] as number;
        continue;
      }
      if (c === Color.OnPath) throw new BtfError(cycleMessage(raw, Array.from(ids.subarray(0, top + 1)), child));
      color[child] = Color.OnPath;
      if (++top === ids.length) {
        ids = this.#ids = grow(ids);
        next = this.#next = grow(next);
        below = this.#below = grow(below);
      }
      ids[top] = child;
      next[top] = 0;
      below[top] = 0;
    }
  }

  /**
   * The `i`-th by-value reference of `id`, or -1 after the last. A pointer's
   * reference counts unless it reaches a named struct/union or a forward
   * declaration through typedefs and qualifiers (what breaks a cycle in C).
   */
  #edge(id: number, i: number): number {
    const raw = this.#raw;
    switch (raw.kinds[id] as number) {
      case Kind.Ptr:
        return i === 0 && !this.#breaksCycle(raw.sizeOrType(id)) ? raw.sizeOrType(id) : -1;
      case Kind.Typedef: case Kind.Volatile: case Kind.Const: case Kind.Restrict: case Kind.TypeTag:
      case Kind.Func: case Kind.Var: case Kind.DeclTag:
        return i === 0 ? raw.sizeOrType(id) : -1;
      case Kind.Array:
        return i === 0 ? (raw.words[raw.body(id)] as number) : -1;
      case Kind.Struct: case Kind.Union:
        return i < raw.vlen(id) ? (raw.words[raw.body(id) + i * 3 + 1] as number) : -1;
      case Kind.FuncProto:
        if (i === 0) return raw.sizeOrType(id);
        return i <= raw.vlen(id) ? (raw.words[raw.body(id) + (i - 1) * 2 + 1] as number) : -1;
      case Kind.Datasec:
        return i < raw.vlen(id) ? (raw.words[raw.body(id) + i * 3] as number) : -1;
      default:
        return -1;
    }
  }

  /** True when a pointer to `id` needs no definition of it: a named struct/union or a fwd, through typedefs and qualifiers. */
  #breaksCycle(id: number): boolean {
    const raw = this.#raw;
    for (let steps = 0; steps <= MAX_TYPE_NESTING && id > 0 && id <= raw.lastId; steps++) {
      switch (raw.kinds[id] as number) {
        case Kind.Struct: case Kind.Union:
          return raw.nameOff(id) !== 0;
        case Kind.Fwd:
          return true;
        case Kind.Typedef: case Kind.Volatile: case Kind.Const: case Kind.Restrict: case Kind.TypeTag:
          id = raw.sizeOrType(id);
          continue;
        default:
          return false;
      }
    }
    return false;
  }

  /** Every member must lie within its struct or union (as the kernel's btf_struct_check_member requires). */
  #checkMembers(id: number): void {
    const raw = this.#raw;
    const sizeBits = raw.sizeOrType(id) * 8;
    const kflag = raw.kflag(id);
    const at = raw.body(id);
    const n = raw.vlen(id);
    for (let i = 0; i < n; i++) {
      const m = at + i * 3;
      const rawOff = raw.words[m + 2] as number;
      const bitfield = kflag ? rawOff >>> 24 : 0;
      const bitOff = kflag ? rawOff & 0xff_ffff : rawOff;
      const bits = bitfield !== 0 ? bitfield : this.#layout.sizeOf(raw.words[m + 1] as number) * 8;
      if (bitOff + bits > sizeBits) {
        const nameOff = raw.words[m] as number;
        throw new BtfError(
          `type ${describeRawType(raw, id)}: member '${nameOff === 0 ? "(anon)" : raw.text(nameOff)}' at bit offset ${bitOff} (${bits} bits) ` +
            `lies outside its ${raw.sizeOrType(id)}-byte size`,
        );
      }
    }
  }
}

function grow(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

function cycleMessage(raw: RawView, path: readonly number[], again: number): string {
  const from = path.lastIndexOf(again);
  const cycle = path.slice(from);
  const shown = cycle.length > 8 ? [...cycle.slice(0, 4), -1, ...cycle.slice(-3)] : cycle;
  const text = shown.map((id) => (id < 0 ? "…" : describeRawType(raw, id))).join(" → ");
  return `type ${describeRawType(raw, again)} contains itself: ${text} → [${again}], a cycle no pointer to a named struct or union breaks`;
}
