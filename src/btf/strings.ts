// The BTF string table: NUL-terminated strings addressed by byte offset.
// Split BTF continues the offsets of its base, so lookups below
// `baseLength` go to the base table.
import { Buffer } from "node:buffer";
import { BtfError } from "./errors.js";
import { isReadOnlyMapping, RAW } from "./mapped-bytes.js";

/** FNV-1a (32-bit) offset basis: the hash of the empty string. */
export const FNV1A_BASIS = 0x811c9dc5 | 0;
/** FNV-1a (32-bit) prime. */
export const FNV1A_PRIME = 0x01000193;
const UNDERSCORE = 0x5f;

/** FNV-1a (32-bit, as a signed int) of `bytes[start..end)`: the name-index hash of a UTF-8 name. */
export function fnv1a(bytes: Uint8Array, start: number, end: number): number {
  let h = FNV1A_BASIS;
  for (let p = start; p < end; p++) h = Math.imul(h ^ (bytes[p] as number), FNV1A_PRIME);
  return h;
}

/**
 * Byte length of the NUL-terminated UTF-8 name at `bytes[at..]` without its
 * last "___flavor" suffix — essentialNameLength() in bytes. Working on bytes
 * gives the same split: '_' is ASCII and never part of a multi-byte sequence.
 */
export function essentialByteLength(bytes: Uint8Array, at: number): number {
  let essential = -1;
  let p = at;
  for (let b = bytes[p]; b !== 0 && b !== undefined; b = bytes[++p]) {
    if (b !== UNDERSCORE && bytes[p + 1] === UNDERSCORE && bytes[p + 2] === UNDERSCORE && bytes[p + 3] === UNDERSCORE) {
      const c = bytes[p + 4];
      if (c !== UNDERSCORE && c !== 0 && c !== undefined) essential = p + 1 - at;
    }
  }
  return essential < 0 ? p - at : essential;
}

/** True when `bytes[at..at+length)` equals `query[0..length)`. */
export function bytesEqualAt(bytes: Uint8Array, at: number, query: Uint8Array, length: number): boolean {
  if (at + length > bytes.length) return false;
  for (let i = 0; i < length; i++) if (bytes[at + i] !== query[i]) return false;
  return true;
}

/** A read-only view of one BTF string section (plus its base, for split BTF). */
export class StringTable {
  readonly #bytes: Uint8Array;
  /** The copy handed out when the bytes are a read-only mapping (see mapped-bytes.ts). */
  #bytesCopy: Uint8Array | undefined;
  /** The base BTF's string table, for split BTF. */
  readonly base: StringTable | undefined;
  /** Offset of this table's first byte in the combined (base + own) offset space. */
  readonly start: number;
  /** The same bytes as a Buffer, for its native UTF-8 decoding and substring search. */
  readonly #buf: Buffer;
  /** Decoded strings by offset: member names repeat a lot across a kernel's types. */
  readonly #cache = new Map<number, string>();

  constructor(bytes: Uint8Array, base?: StringTable) {
    this.#bytes = bytes;
    this.base = base;
    this.start = base ? base.end : 0;
    this.#buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** This table's own bytes (a private copy when they are a read-only mapping, e.g. kernelBtf()'s). */
  get bytes(): Uint8Array {
    if (!isReadOnlyMapping(this.#bytes)) return this.#bytes;
    this.#bytesCopy ??= this.#bytes.slice();
    return this.#bytesCopy;
  }

  /** @internal The uncopied bytes, for the package's own readers: never write to them or return them. */
  get [RAW](): Uint8Array {
    return this.#bytes;
  }

  /** One past the last valid offset in the combined offset space. */
  get end(): number {
    return this.start + this.#bytes.byteLength;
  }

  /** The string at `offset` (combined offset space); throws BtfError when out of range or unterminated. */
  get(offset: number): string {
    if (offset < this.start) {
      if (this.base) return this.base.get(offset);
      throw new BtfError(`string offset ${offset} is negative`);
    }
    const cached = this.#cache.get(offset);
    if (cached !== undefined) return cached;
    const at = offset - this.start;
    if (at >= this.#bytes.byteLength) {
      throw new BtfError(`string offset ${offset} is past the end of the string section (${this.end} bytes)`);
    }
    const end = this.#bytes.indexOf(0, at);
    if (end < 0) throw new BtfError(`string at offset ${offset} is not NUL-terminated`);
    const s = this.#buf.toString("utf8", at, end);
    this.#cache.set(offset, s);
    return s;
  }

  /** The table (this one or a base) whose bytes hold combined-space `offset`. */
  ownerOf(offset: number): StringTable {
    return offset < this.start && this.base ? this.base.ownerOf(offset) : this;
  }

  /**
   * Every offset (combined space, base first) at which `name` starts as a
   * complete NUL-terminated string — including suffixes of longer strings.
   */
  offsetsOf(name: string): number[] {
    const out = this.base ? this.base.offsetsOf(name) : [];
    const needle = Buffer.from(name + "\0", "utf8");
    for (let p = this.#buf.indexOf(needle, 0); p >= 0; p = this.#buf.indexOf(needle, p + 1)) {
      out.push(this.start + p);
    }
    return out;
  }
}

