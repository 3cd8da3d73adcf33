// The BTF string table: NUL-terminated strings addressed by byte offset.
// Split BTF continues the offsets of its base, so lookups below
// `baseLength` go to the base table.
import { Buffer } from "node:buffer";
import { BtfError } from "./errors.js";

/** A read-only view of one BTF string section (plus its base, for split BTF). */
export class StringTable {
  readonly bytes: Uint8Array;
  /** The base BTF's string table, for split BTF. */
  readonly base: StringTable | undefined;
  /** Offset of this table's first byte in the combined (base + own) offset space. */
  readonly start: number;
  /** The same bytes as a Buffer, for its native UTF-8 decoding and substring search. */
  readonly #buf: Buffer;
  /** Decoded strings by offset: member names repeat a lot across a kernel's types. */
  readonly #cache = new Map<number, string>();

  constructor(bytes: Uint8Array, base?: StringTable) {
    this.bytes = bytes;
    this.base = base;
    this.start = base ? base.end : 0;
    this.#buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** One past the last valid offset in the combined offset space. */
  get end(): number {
    return this.start + this.bytes.byteLength;
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
    if (at >= this.bytes.byteLength) {
      throw new BtfError(`string offset ${offset} is past the end of the string section (${this.end} bytes)`);
    }
    const end = this.bytes.indexOf(0, at);
    if (end < 0) throw new BtfError(`string at offset ${offset} is not NUL-terminated`);
    const s = this.#buf.toString("utf8", at, end);
    this.#cache.set(offset, s);
    return s;
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

