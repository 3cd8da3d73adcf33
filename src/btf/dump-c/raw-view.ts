// A flat, allocation-free view of a BTF type section for whole-graph walks
// (the C and raw dumpers touch every type of vmlinux; decoding ~130k model
// objects would cost more than the whole dump). Split BTF is flattened
// together with its base so that every id and string offset indexes the
// same arrays.
import { Buffer } from "node:buffer";
import type { Btf } from "../btf.js";
import { kindFlagOf, kindOf, recordWords, vlenOf } from "../kinds.js";
import { RAW } from "../mapped-bytes.js";

/** Numeric BTF kinds (the one kind table's const enum), re-exported for the dumpers. */
export { Kind } from "../kinds.js";

/** Word-level access to every type (base types included) of one BTF. */
export class RawView {
  /** Host-order type words (base words first for split BTF). */
  readonly words: Uint32Array;
  /** Word index of each type's record by id (index 0, void, is unused). */
  readonly starts: Uint32Array;
  /** The combined string section; offsets index it directly. */
  readonly strings: Uint8Array;
  readonly lastId: number;
  /**
   * Kind of each type by id (0 for void). Hot loops index this directly:
   * most of a one-shot dump runs in V8's baseline tier, where calls cost.
   */
  readonly kinds: Uint8Array;
  /** Id of the first type that is not from a base BTF. */
  readonly firstOwnId: number;
  readonly #buf: Buffer;

  private constructor(words: Uint32Array, strings: Uint8Array, lastId: number, firstOwnId: number) {
    this.words = words;
    this.strings = strings;
    this.lastId = lastId;
    this.firstOwnId = firstOwnId;
    this.#buf = Buffer.from(strings.buffer, strings.byteOffset, strings.byteLength);
    this.starts = new Uint32Array(lastId + 1);
    this.kinds = new Uint8Array(lastId + 1);
    let pos = 0;
    for (let id = 1; id <= lastId; id++) {
      this.starts[id] = pos;
      const info = words[pos + 1] as number;
      const kind = kindOf(info);
      this.kinds[id] = kind;
      pos += recordWords(kind, vlenOf(info));
    }
  }

  /** The view of `btf` (Btf validated the records, so no checks are repeated here). */
  static of(btf: Btf): RawView {
    let v = cache.get(btf);
    if (!v) {
      v = btf.base ? RawView.#flatten(btf, btf.base) : new RawView(btf[RAW].words, btf.strings[RAW], btf.lastId, 1);
      cache.set(btf, v);
    }
    return v;
  }

  static #flatten(btf: Btf, base: Btf): RawView {
    const b = RawView.of(base);
    const own = btf[RAW].words;
    const ownStrings = btf.strings[RAW];
    const words = new Uint32Array(b.words.length + own.length);
    words.set(b.words);
    words.set(own, b.words.length);
    const strings = new Uint8Array(b.strings.length + ownStrings.length);
    strings.set(b.strings);
    strings.set(ownStrings, b.strings.length);
    return new RawView(words, strings, btf.lastId, btf.firstId);
  }

  /** Bytes of type records and strings (base included): what output limits scale with. */
  get byteLength(): number {
    return this.words.byteLength + this.strings.byteLength;
  }

  kind(id: number): number {
    return this.kinds[id] as number;
  }

  vlen(id: number): number {
    return vlenOf(this.words[(this.starts[id] as number) + 1] as number);
  }

  kflag(id: number): boolean {
    return kindFlagOf(this.words[(this.starts[id] as number) + 1] as number);
  }

  nameOff(id: number): number {
    return id === 0 ? 0 : (this.words[this.starts[id] as number] as number);
  }

  /** The size-or-type word: a size for INT/STRUCT/…, a type id for PTR/TYPEDEF/FUNC/… */
  sizeOrType(id: number): number {
    return this.words[(this.starts[id] as number) + 2] as number;
  }

  /** Word index of the first word after the 12-byte common header. */
  body(id: number): number {
    return (this.starts[id] as number) + 3;
  }

  /** The string at `off` decoded as Latin-1: one char per byte, so equal strings ⇔ equal bytes (a cheap map key). */
  key(off: number): string {
    return this.#buf.toString("latin1", off, this.#end(off));
  }

  /** True when the string at `off` is exactly the ASCII text `s` (no JS string is created). */
  equals(off: number, s: string): boolean {
    const b = this.strings;
    const n = s.length;
    for (let i = 0; i < n; i++) if (b[off + i] !== s.charCodeAt(i)) return false;
    return b[off + n] === 0;
  }

  /** The string at `off` as UTF-8 text. */
  text(off: number): string {
    return this.#buf.toString("utf8", off, this.#end(off));
  }

  #end(off: number): number {
    const end = this.#buf.indexOf(0, off);
    return end < 0 ? this.#buf.length : end;
  }
}

const cache = new WeakMap<Btf, RawView>();
