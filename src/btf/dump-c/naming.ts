// C identifiers for BTF types the way libbpf's btf_dump picks them: the
// first type to be *printed* under a name keeps it, later ones get
// `name___2`, `name___3` … Types (struct/union/enum tags) and identifiers
// (typedefs, enumerators) are separate namespaces, as in C. Resolution is
// lazy and sticky, so suffixes follow emission order — as in bpftool.
import { Kind, type RawView } from "./raw-view.js";

/**
 * Counts how many times each name was claimed in one C namespace. Names are
 * string-section offsets, hashed and compared by their bytes (so equal
 * names at different offsets still clash) without creating JS strings.
 */
export class NameSpace {
  readonly #strings: Uint8Array;
  #keys: Int32Array;
  #counts: Int32Array;
  #mask: number;
  #used = 0;

  constructor(strings: Uint8Array) {
    this.#strings = strings;
    this.#keys = new Int32Array(1 << 16).fill(-1);
    this.#counts = new Int32Array(1 << 16);
    this.#mask = (1 << 16) - 1;
  }

  /** Claims the name at string offset `off` once more; returns how many times it is now claimed (1 for the first). */
  claim(off: number): number {
    const s = this.#strings;
    let h = 0x811c9dc5;
    for (let i = off; i < s.length && s[i] !== 0; i++) h = Math.imul(h ^ (s[i] as number), 0x01000193);
    const keys = this.#keys;
    let slot = h & this.#mask;
    for (;;) {
      const k = keys[slot] as number;
      if (k === -1) {
        keys[slot] = off;
        this.#used++;
        break;
      }
      if (k === off || sameString(s, k, off)) break;
      slot = (slot + 1) & this.#mask;
    }
    // One path for new and known names keeps V8's optimised code from
    // deoptimising the first time a name repeats.
    const n = (this.#counts[slot] as number) + 1;
    this.#counts[slot] = n;
    if (this.#used * 2 > keys.length) this.#grow();
    return n;
  }

  #grow(): void {
    const oldKeys = this.#keys;
    const oldCounts = this.#counts;
    const size = oldKeys.length * 2;
    this.#keys = new Int32Array(size).fill(-1);
    this.#counts = new Int32Array(size);
    this.#mask = size - 1;
    const s = this.#strings;
    for (let i = 0; i < oldKeys.length; i++) {
      const off = oldKeys[i] as number;
      if (off === -1) continue;
      let h = 0x811c9dc5;
      for (let j = off; j < s.length && s[j] !== 0; j++) h = Math.imul(h ^ (s[j] as number), 0x01000193);
      let slot = h & this.#mask;
      while (this.#keys[slot] !== -1) slot = (slot + 1) & this.#mask;
      this.#keys[slot] = off;
      this.#counts[slot] = oldCounts[i] as number;
    }
  }
}

function sameString(s: Uint8Array, a: number, b: number): boolean {
  for (;;) {
    const x = s[a++];
    if (x !== s[b++]) return false;
    if (x === 0 || x === undefined) return true;
  }
}

/** Lazily resolved, de-duplicated names for the types of one BTF. */
export class TypeNames {
  readonly #raw: RawView;
  /** Tag namespace: struct, union and enum names. */
  readonly tags: NameSpace;
  /** Ordinary identifiers: typedef names and enumerators. */
  readonly idents: NameSpace;
  /** Per id: 0 unresolved, 1 the plain name, n > 1 the name with suffix `___n`. */
  readonly #dups: Int32Array;

  constructor(raw: RawView) {
    this.#raw = raw;
    this.tags = new NameSpace(raw.strings);
    this.idents = new NameSpace(raw.strings);
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
    const kind = raw.kinds[id] as number;
    // Forward declarations and empty enums may be repeated in C: they never clash.
    const repeatable = kind === Kind.Fwd || ((kind === Kind.Enum || kind === Kind.Enum64) && raw.vlen(id) === 0);
    const dups = repeatable ? 1 : space.claim(raw.nameOff(id));
    this.#dups[id] = dups;
    return dups;
  }
}
