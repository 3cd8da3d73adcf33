// Bounds-checked, byte-order-aware reads over a Uint8Array. Every read checks
// its range first and reports ElfError, so no DataView RangeError escapes.
import { ElfError } from "./errors.js";

const decoder = new TextDecoder("utf-8");

/** A checked reader of one byte range (a whole file or one table of it). */
export class ByteReader {
  readonly bytes: Uint8Array;
  readonly littleEndian: boolean;
  readonly #view: DataView;
  /** Absolute offset of `bytes[0]` in the file, only for error messages. */
  readonly base: number;

  constructor(bytes: Uint8Array, littleEndian: boolean, base = 0) {
    this.bytes = bytes;
    this.littleEndian = littleEndian;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.base = base;
  }

  /** Number of bytes readable. */
  get length(): number {
    return this.bytes.byteLength;
  }

  /** Throws unless [offset, offset+size) lies inside the bytes. */
  check(offset: number, size: number, what: string): void {
    if (!(offset >= 0 && size >= 0 && offset + size <= this.bytes.byteLength)) {
      throw new ElfError(`${what} (${size} bytes) lies outside the data (${this.bytes.byteLength} bytes)`, this.base + offset);
    }
  }

  /** Reads an unsigned byte. */
  u8(offset: number, what = "u8"): number {
    this.check(offset, 1, what);
    return this.#view.getUint8(offset);
  }

  /** Reads an unsigned 16-bit value in the file's byte order. */
  u16(offset: number, what = "u16"): number {
    this.check(offset, 2, what);
    return this.#view.getUint16(offset, this.littleEndian);
  }

  /** Reads an unsigned 32-bit value in the file's byte order. */
  u32(offset: number, what = "u32"): number {
    this.check(offset, 4, what);
    return this.#view.getUint32(offset, this.littleEndian);
  }

  /** Reads an unsigned 64-bit value. */
  u64(offset: number, what = "u64"): bigint {
    this.check(offset, 8, what);
    return this.#view.getBigUint64(offset, this.littleEndian);
  }

  /** Reads a signed 64-bit value. */
  i64(offset: number, what = "i64"): bigint {
    this.check(offset, 8, what);
    return this.#view.getBigInt64(offset, this.littleEndian);
  }

  /** A u64 that must be a usable offset or size (below 2^53). */
  size64(offset: number, what: string): number {
    const v = this.u64(offset, what);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`${what} ${v} is too large`, this.base + offset);
    return Number(v);
  }

  /** The NUL-terminated string at `offset`. */
  cString(offset: number, what = "string"): string {
    if (!(offset >= 0 && offset < this.bytes.byteLength)) {
      throw new ElfError(`${what} offset ${offset} is outside its string table (${this.bytes.byteLength} bytes)`);
    }
    const end = this.bytes.indexOf(0, offset);
    if (end < 0) throw new ElfError(`${what} at offset ${offset} is not NUL-terminated`);
    return decoder.decode(this.bytes.subarray(offset, end));
  }
}
