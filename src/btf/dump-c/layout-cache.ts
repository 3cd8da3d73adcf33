// Sizes and alignments over the raw view, memoised per type id: a struct's
// alignment is asked for once per member use, and recomputing it walks the
// whole nested layout each time. Same rules as libbpf's btf__resolve_size
// and btf__align_of (src/btf/layout.ts is the model-level equivalent).
import { Kind, type RawView } from "./raw-view.js";

const LONG_NAMES: ReadonlySet<string> = new Set([
  "long", "long int", "int long", "unsigned long", "long unsigned", "unsigned long int",
  "unsigned int long", "long unsigned int", "long int unsigned", "int unsigned long", "int long unsigned",
]);

/** Memoised libbpf-compatible size and alignment of types. */
export class LayoutCache {
  readonly #raw: RawView;
  /** Pointer size of the target: the size of the first `long` INT, else 8 (the host's). */
  readonly pointerSize: number;
  /** value + 1 per id; 0 means not computed yet. */
  readonly #align: Int32Array;
  readonly #size: Int32Array;

  constructor(raw: RawView) {
    this.#raw = raw;
    this.pointerSize = findPointerSize(raw);
    this.#align = new Int32Array(raw.lastId + 1);
    // Int32 rather than Float64: V8's baseline tier boxes every double it loads.
    this.#size = new Int32Array(raw.lastId + 1);
  }

  /** btf__align_of (1 for packed structs); 0 for kinds without alignment. */
  alignOf(id: number): number {
    const cached = this.#align[id] as number;
    if (cached !== 0) return cached - 1;
    const a = this.#computeAlign(id);
    this.#align[id] = a + 1;
    return a;
  }

  #computeAlign(id: number): number {
    const raw = this.#raw;
    switch (raw.kinds[id] as number) {
      case Kind.Int: case Kind.Enum: case Kind.Enum64: case Kind.Float:
        return Math.min(this.pointerSize, raw.sizeOrType(id));
      case Kind.Ptr:
        return this.pointerSize;
      case Kind.Typedef: case Kind.Volatile: case Kind.Const: case Kind.Restrict: case Kind.TypeTag:
        return this.alignOf(raw.sizeOrType(id));
      case Kind.Array:
        return this.alignOf(raw.words[raw.body(id)] as number);
      case Kind.Struct: case Kind.Union: {
        const w = raw.words;
        const at = raw.body(id);
        const n = raw.vlen(id);
        const kflag = raw.kflag(id);
        let maxAlign = 1;
        for (let i = 0; i < n; i++) {
          const align = this.alignOf(w[at + i * 3 + 1] as number);
          if (align <= 0) return 0;
          maxAlign = Math.max(maxAlign, align);
          const off = w[at + i * 3 + 2] as number;
          // A non-bitfield member off its natural alignment: the struct is packed.
          if ((!kflag || off >>> 24 === 0) && off % (8 * align) !== 0) return 1;
        }
        return raw.sizeOrType(id) % maxAlign !== 0 ? 1 : maxAlign;
      }
      default:
        return 0;
    }
  }

  /** btf__resolve_size, or 0 where libbpf reports an error (void, func, fwd …). */
  sizeOf(id: number): number {
    const cached = this.#size[id] as number;
    if (cached !== 0) return cached - 1;
    const s = this.#computeSize(id, 0);
    // Sizes past 2^31 (giant arrays) are not cached; they are rare.
    if (s < 0x7fff_ffff) this.#size[id] = s + 1;
    return s;
  }

  #computeSize(id: number, depth: number): number {
    if (depth > 32) return 0;
    const raw = this.#raw;
    switch (raw.kinds[id] as number) {
      case Kind.Int: case Kind.Struct: case Kind.Union: case Kind.Enum: case Kind.Enum64: case Kind.Datasec: case Kind.Float:
        return raw.sizeOrType(id);
      case Kind.Ptr:
        return this.pointerSize;
      case Kind.Typedef: case Kind.Volatile: case Kind.Const: case Kind.Restrict: case Kind.Var: case Kind.DeclTag: case Kind.TypeTag:
        return this.#computeSize(raw.sizeOrType(id), depth + 1);
      case Kind.Array: {
        const at = raw.body(id);
        return (raw.words[at + 2] as number) * this.#computeSize(raw.words[at] as number, depth + 1);
      }
      default:
        return 0;
    }
  }
}

function findPointerSize(raw: RawView): number {
  for (let id = 1; id <= raw.lastId; id++) {
    if ((raw.kinds[id] as number) !== Kind.Int) continue;
    const size = raw.sizeOrType(id);
    if ((size === 4 || size === 8) && LONG_NAMES.has(raw.key(raw.nameOff(id)))) return size;
  }
  return 8;
}
