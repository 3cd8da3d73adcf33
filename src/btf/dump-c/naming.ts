// C identifiers for BTF types the way libbpf's btf_dump picks them: the
// first type to be *printed* under a name keeps it, later ones get
// `name___2`, `name___3` … Types (struct/union/enum tags) and identifiers
// (typedefs, enumerators) are separate namespaces, as in C. Resolution is
// lazy and sticky, so suffixes follow emission order — as in bpftool.
import { Kind, type RawView } from "./raw-view.js";

/** Counts how many times each name was claimed in one C namespace. */
export class NameSpace {
  readonly #counts = new Map<string, number>();

  /** Claims `key` once more; returns how many times it is now claimed (1 for the first). */
  claim(key: string): number {
    const n = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, n);
    return n;
  }
}

/** Lazily resolved, de-duplicated names for the types of one BTF. */
export class TypeNames {
  readonly #raw: RawView;
  /** Tag namespace: struct, union and enum names. */
  readonly tags = new NameSpace();
  /** Ordinary identifiers: typedef names and enumerators. */
  readonly idents = new NameSpace();
  /** Per id: 0 unresolved, 1 the plain name, n > 1 the name with suffix `___n`. */
  readonly #dups: Int32Array;

  constructor(raw: RawView) {
    this.#raw = raw;
    this.#dups = new Int32Array(raw.lastId + 1);
  }

  /** The `___n` suffix number of a struct/union/enum/fwd name (1: none); call only for named types. */
  tagSuffix(id: number): number {
    return this.#resolve(id, this.tags);
  }

  /** The `___n` suffix number of a typedef name (1: none). */
  identSuffix(id: number): number {
    return this.#resolve(id, this.idents);
  }

  #resolve(id: number, space: NameSpace): number {
    const known = this.#dups[id] as number;
    if (known !== 0) return known;
    const raw = this.#raw;
    const kind = raw.kind(id);
    // Forward declarations and empty enums may be repeated in C: they never clash.
    const repeatable = kind === Kind.Fwd || ((kind === Kind.Enum || kind === Kind.Enum64) && raw.vlen(id) === 0);
    const dups = repeatable ? 1 : space.claim(raw.key(raw.nameOff(id)));
    this.#dups[id] = dups;
    return dups;
  }
}
