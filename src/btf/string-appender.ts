// The one writer of BTF string sections. BTF names are byte offsets into the
// string section, so a writer that must keep existing offsets valid (the
// patcher, for .BTF.ext records and map key/value ids) can only append; the
// encoder starts from an empty table (or after a base's, for split BTF) and
// appends too. Each new string is appended once; offset 0 is always "".

/** Where an appender starts and which strings it may reuse instead of appending. */
export interface StringAppenderOptions {
  /** Offset of the first byte of `existing` (a split BTF's strings continue after its base's). */
  start?: number;
  /** Strings already present elsewhere (a base BTF's) and their offsets: reused, never appended. */
  known?: ReadonlyMap<string, number>;
}

/** An existing string section plus strings appended to it; existing offsets never move. */
export class BtfStringAppender {
  readonly #existing: Uint8Array;
  readonly #start: number;
  readonly #known: ReadonlyMap<string, number> | undefined;
  readonly #added: Uint8Array[] = [];
  readonly #offsets = new Map<string, number>();
  readonly #encoder = new TextEncoder();
  #length: number;

  constructor(existing: Uint8Array, options: StringAppenderOptions = {}) {
    this.#existing = existing;
    this.#start = options.start ?? 0;
    this.#known = options.known;
    this.#length = existing.byteLength;
  }

  /** The string at `offset` in the existing section ("" past its end). */
  at(offset: number): string {
    const at = offset - this.#start;
    const end = this.#existing.indexOf(0, at);
    return new TextDecoder().decode(this.#existing.subarray(at, end < 0 ? undefined : end));
  }

  /** The offset of `s`: 0 for "", a known or already appended copy, else a new one at the end. */
  add(s: string): number {
    if (s === "") return 0;
    const known = this.#known?.get(s) ?? this.#offsets.get(s);
    if (known !== undefined) return known;
    const bytes = this.#encoder.encode(`${s}\0`);
    const off = this.#start + this.#length;
    this.#added.push(bytes);
    this.#length += bytes.byteLength;
    this.#offsets.set(s, off);
    return off;
  }

  /** The whole section: the existing bytes, then what was appended. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    out.set(this.#existing);
    let p = this.#existing.byteLength;
    for (const b of this.#added) {
      out.set(b, p);
      p += b.byteLength;
    }
    return out;
  }
}
