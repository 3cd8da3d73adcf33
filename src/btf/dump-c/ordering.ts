// Topological ordering of C definitions, following libbpf's btf_dump.
//
// A type must be defined before it is used *by value* (a struct member, an
// array element, a typedef target): a strong dependency. A use through a
// pointer is weak — a forward declaration (`struct x;`) is enough, so named
// structs reached through pointers are not pulled in. Anonymous types are
// defined inline where they are used, so they never enter the queue
// themselves. The queue lists the named definitions reachable strongly from
// one root, in the order they have to be printed.
import { BtfError } from "../errors.js";
import { Kind, type RawView } from "./raw-view.js";

const EMPTY: readonly number[] = [];

const enum Order {
  None = 0,
  Ordering = 1,
  Ordered = 2,
}

/** Per-type ordering state shared across roots (a type is queued at most once per dump). */
export class DefinitionOrder {
  readonly #raw: RawView;
  readonly #state: Uint8Array;
  /** Types used by some other type: anonymous enums that nobody uses are printed on their own. */
  readonly #referenced: Uint8Array;
  #queue: number[] = [];

  constructor(raw: RawView) {
    this.#raw = raw;
    this.#state = new Uint8Array(raw.lastId + 1);
    this.#state[0] = Order.Ordered;
    this.#referenced = markReferenced(raw);
  }

  /** Named definitions to print (in order) so that `id` is defined; empty when all are done. Reused between calls. */
  queueFor(id: number): readonly number[] {
    // Most roots queue nothing (already ordered): share one empty result.
    if (this.#state[id] === Order.Ordered) return EMPTY;
    this.#queue = [];
    this.#order(id, false);
    return this.#queue;
  }

  /**
   * True when `id` is a strong (by-value) link, false when a forward
   * declaration suffices. BtfError on a cycle no forward declaration breaks.
   */
  #order(id: number, throughPtr: boolean): boolean {
    const state = this.#state;
    if (state[id] === Order.Ordered) return true;
    const raw = this.#raw;
    const kind = raw.kinds[id] as number;
    const named = raw.nameOff(id) !== 0;
    if (state[id] === Order.Ordering) {
      if ((kind === Kind.Struct || kind === Kind.Union) && throughPtr && named) return false;
      throw new BtfError(`unsatisfiable type cycle at type [${id}]`);
    }
    const w = raw.words;
    switch (kind) {
      case Kind.Int:
      case Kind.Float:
        state[id] = Order.Ordered;
        return false;
      case Kind.Ptr: {
        const strong = this.#order(raw.sizeOrType(id), true);
        state[id] = Order.Ordered;
        return strong;
      }
      case Kind.Array:
        return this.#order(w[raw.body(id)] as number, false);
      case Kind.Struct:
      case Kind.Union: {
        // A named struct behind a pointer only needs a forward declaration.
        if (throughPtr && named) return false;
        state[id] = Order.Ordering;
        const at = raw.body(id);
        const n = raw.vlen(id);
        for (let i = 0; i < n; i++) this.#order(w[at + i * 3 + 1] as number, false);
        if (named) this.#queue.push(id);
        state[id] = Order.Ordered;
        return true;
      }
      case Kind.Enum:
      case Kind.Enum64:
      case Kind.Fwd:
        // Anonymous enums are printed inline where used, unless nothing uses them.
        if (named || this.#referenced[id] === 0) this.#queue.push(id);
        state[id] = Order.Ordered;
        return true;
      case Kind.Typedef: {
        const strong = this.#order(raw.sizeOrType(id), throughPtr);
        if (throughPtr && !strong) return false;
        this.#queue.push(id);
        state[id] = Order.Ordered;
        return true;
      }
      case Kind.Volatile:
      case Kind.Const:
      case Kind.Restrict:
      case Kind.TypeTag:
        return this.#order(raw.sizeOrType(id), throughPtr);
      case Kind.FuncProto: {
        let strong = this.#order(raw.sizeOrType(id), throughPtr);
        const at = raw.body(id);
        const n = raw.vlen(id);
        for (let i = 0; i < n; i++) if (this.#order(w[at + i * 2 + 1] as number, throughPtr)) strong = true;
        return strong;
      }
      case Kind.Func:
      case Kind.Var:
      case Kind.Datasec:
      case Kind.DeclTag:
        state[id] = Order.Ordered;
        return false;
      default:
        throw new BtfError(`type [${id}]: unexpected kind ${kind} while ordering C definitions`);
    }
  }
}

/** Marks every type that another type refers to (libbpf's btf_dump_mark_referenced). */
function markReferenced(raw: RawView): Uint8Array {
  const referenced = new Uint8Array(raw.lastId + 1);
  const w = raw.words;
  for (let id = 1; id <= raw.lastId; id++) {
    const at = raw.body(id);
    const n = raw.vlen(id);
    switch (raw.kinds[id] as number) {
      case Kind.Ptr: case Kind.Typedef: case Kind.Volatile: case Kind.Const: case Kind.Restrict:
      case Kind.Func: case Kind.Var: case Kind.DeclTag: case Kind.TypeTag:
        referenced[raw.sizeOrType(id)] = 1;
        break;
      case Kind.Array:
        referenced[w[at] as number] = 1;
        referenced[w[at + 1] as number] = 1;
        break;
      case Kind.Struct: case Kind.Union:
        for (let i = 0; i < n; i++) referenced[w[at + i * 3 + 1] as number] = 1;
        break;
      case Kind.FuncProto:
        // libbpf marks the parameters only, not the return type.
        for (let i = 0; i < n; i++) referenced[w[at + i * 2 + 1] as number] = 1;
        break;
      case Kind.Datasec:
        for (let i = 0; i < n; i++) referenced[w[at + i * 3] as number] = 1;
        break;
      default:
        break;
    }
  }
  return referenced;
}
