// Deterministic mutation of byte inputs for the fuzz suite: a small PRNG so
// that every case is reproducible from (seed, entry, case index), and the
// mutations that find bugs in binary parsers (bit flips, interesting u32s at
// aligned offsets, truncation, extension, words copied from elsewhere).

/** xorshift32: a small deterministic generator. */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.#s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#s = x >>> 0;
    return this.#s;
  }
  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)] as T;
  }
}

/** The seed of one case: a hash of the run's seed, the entry and the case index. */
export function caseSeed(seed: number, entry: string, index: number): number {
  let h = Math.imul(seed ^ 0x9e37_79b9, 0x85eb_ca6b) ^ index;
  for (let i = 0; i < entry.length; i++) h = Math.imul(h ^ entry.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  return Math.imul(h, 0x7feb_352d) >>> 0 || 1;
}

/** Counts, lengths, offsets, ids and kinds at their edges. */
export const interesting = [0, 1, 2, 3, 4, 7, 8, 12, 16, 24, 0x7f, 0x80, 0xff, 0xffff, 0x10000, 0x7fff_ffff, 0x8000_0000, 0xffff_fffe, 0xffff_ffff];

/** Applies 1–4 random mutations; returns possibly new (truncated/extended) bytes. */
export function mutate(src: Uint8Array, rng: Rng): Uint8Array {
  let b = Uint8Array.from(src);
  const rounds = 1 + rng.below(4);
  for (let r = 0; r < rounds && b.length > 0; r++) {
    const at = rng.below(b.length);
    switch (rng.below(7)) {
      case 0: b[at] = (b[at] as number) ^ (1 << rng.below(8)); break;
      case 1: b[at] = rng.below(256); break;
      case 2: {
        const o = at & ~3;
        if (o + 4 <= b.length) new DataView(b.buffer, b.byteOffset).setUint32(o, rng.pick(interesting), rng.below(2) === 0);
        break;
      }
      case 3: b = b.subarray(0, at); break;
      case 4: {
        const ext = new Uint8Array(b.length + 1 + rng.below(64));
        ext.set(b);
        for (let i = b.length; i < ext.length; i++) ext[i] = rng.below(256);
        b = ext;
        break;
      }
      case 5: {
        // A word from elsewhere keeps values plausible: real ids and offsets.
        const from = rng.below(b.length) & ~3;
        const to = at & ~3;
        if (from + 4 <= b.length && to + 4 <= b.length) b.copyWithin(to, from, from + 4);
        break;
      }
      case 6: {
        const o = at & ~3;
        if (o + 4 <= b.length) new DataView(b.buffer, b.byteOffset).setUint32(o, rng.next(), true);
        break;
      }
    }
  }
  return b;
}
