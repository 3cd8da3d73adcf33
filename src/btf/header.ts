// struct btf_header, read and written in one place. The magic 0xeB9F also
// tells the byte order: read as big-endian it means the blob was written on a
// big-endian host. Every blob this package writes has the 24-byte header with
// types first and strings right after them, as libbpf and pahole write it.
import { BtfError } from "./errors.js";

/** BTF magic (0xeB9F), which also tells the byte order. */
export const BTF_MAGIC = 0xeb9f;
/** Size of the header this package writes (and the smallest it reads). */
export const BTF_HEADER_SIZE = 24;
const BTF_VERSION = 1;

/** The parsed BTF header. */
export interface BtfHeader {
  readonly version: number;
  readonly flags: number;
  readonly hdrLen: number;
  readonly typeOff: number;
  readonly typeLen: number;
  readonly strOff: number;
  readonly strLen: number;
}

/** The host's byte order (typed arrays use it). */
export const hostLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Reads the header of `bytes` in whichever byte order the magic says. Throws
 * BtfError when the blob is shorter than a header or the magic is wrong; the
 * fields are not checked against the blob (callers decide how strict to be).
 */
export function readBtfHeader(bytes: Uint8Array): { header: BtfHeader; littleEndian: boolean } {
  if (bytes.byteLength < BTF_HEADER_SIZE) throw new BtfError(`BTF is ${bytes.byteLength} bytes, shorter than its ${BTF_HEADER_SIZE}-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicLe = view.getUint16(0, true);
  let le: boolean;
  if (magicLe === BTF_MAGIC) le = true;
  else if (view.getUint16(0, false) === BTF_MAGIC) le = false;
  else throw new BtfError(`bad BTF magic 0x${magicLe.toString(16)} (expected 0xeb9f)`);
  const header: BtfHeader = {
    version: view.getUint8(2), flags: view.getUint8(3), hdrLen: view.getUint32(4, le),
    typeOff: view.getUint32(8, le), typeLen: view.getUint32(12, le), strOff: view.getUint32(16, le), strLen: view.getUint32(20, le),
  };
  return { header, littleEndian: le };
}

/** Options of assembleBtf. */
export interface BtfAssembleOptions {
  /** Byte order of the output; default little-endian. */
  littleEndian?: boolean;
  /** The header's flags byte; default 0. */
  flags?: number;
}

/**
 * A BTF blob: header, then the type records (`typeWords` host-order u32
 * words, the first `wordCount` of them), then the string section.
 */
export function assembleBtf(typeWords: Uint32Array, wordCount: number, strings: Uint8Array, options: BtfAssembleOptions = {}): Uint8Array {
  const le = options.littleEndian ?? true;
  const typeLen = wordCount * 4;
  const out = new Uint8Array(BTF_HEADER_SIZE + typeLen + strings.byteLength);
  const view = new DataView(out.buffer);
  view.setUint16(0, BTF_MAGIC, le);
  view.setUint8(2, BTF_VERSION);
  view.setUint8(3, options.flags ?? 0);
  view.setUint32(4, BTF_HEADER_SIZE, le);
  view.setUint32(8, 0, le);
  view.setUint32(12, typeLen, le);
  view.setUint32(16, typeLen, le);
  view.setUint32(20, strings.byteLength, le);
  if (le === hostLittleEndian) {
    out.set(new Uint8Array(typeWords.buffer, typeWords.byteOffset, typeLen), BTF_HEADER_SIZE);
  } else {
    for (let i = 0; i < wordCount; i++) view.setUint32(BTF_HEADER_SIZE + i * 4, typeWords[i] as number, le);
  }
  out.set(strings, BTF_HEADER_SIZE + typeLen);
  return out;
}

/** The type section of `bytes` (header `h`, byte order `le`) as host-order u32 words; a view when no swap or realignment is needed. */
export function typeWordsOf(bytes: Uint8Array, h: BtfHeader, le: boolean): Uint32Array {
  const abs = bytes.byteOffset + h.hdrLen + h.typeOff;
  const length = h.typeLen;
  if (le === hostLittleEndian && abs % 4 === 0) return new Uint32Array(bytes.buffer, abs, length / 4);
  const out = new Uint32Array(length / 4);
  const view = new DataView(bytes.buffer, abs, length);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(i * 4, le);
  return out;
}

/** The string section of `bytes` with header `h` (a view). */
export function stringBytesOf(bytes: Uint8Array, h: BtfHeader): Uint8Array {
  return bytes.subarray(h.hdrLen + h.strOff, h.hdrLen + h.strOff + h.strLen);
}
