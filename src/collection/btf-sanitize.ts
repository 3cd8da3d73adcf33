// Program BTF sanitised for the running kernel: as libbpf does, probe which
// BTF kinds the kernel accepts and rewrite the ones it does not into kinds it
// does. Every record keeps its size and place, so type ids stay valid, and
// the string table is only appended to, so string offsets stay valid too —
// func_info/line_info and map key/value ids keep pointing where they did.
import { Attr, stableBytes } from "../sys/attr.js";
import { BtfLoadAttr, Cmd } from "../sys/layouts.js";
import { bpfRaw } from "../sys/syscall.js";
import { native } from "../sys/native.js";
import { SYS } from "../sys/syscall.js";
import { BtfKindId as K } from "../btf/kinds.js";
import { InvalidArgumentError } from "../sys/errors.js";

/** What the running kernel's BTF loader accepts. */
export interface BtfKernelSupport {
  /** BTF_KIND_FUNC and BTF_KIND_FUNC_PROTO (Linux 5.0). */
  func: boolean;
  /** BTF_KIND_FUNC with global linkage (Linux 5.6). */
  globalFunc: boolean;
  /** BTF_KIND_VAR and BTF_KIND_DATASEC (Linux 5.2). */
  datasec: boolean;
  /** DATASEC names starting with '?' such as "?.data" (Linux 6.4). */
  qmarkDatasec: boolean;
  /** BTF_KIND_FLOAT (5.13). */
  float: boolean;
  /** BTF_KIND_DECL_TAG (5.16). */
  declTag: boolean;
  /** BTF_KIND_TYPE_TAG (5.17). */
  typeTag: boolean;
  /** BTF_KIND_ENUM64 and signed enums (kind_flag on ENUM) (6.0). */
  enum64: boolean;
}

const info = (kind: number, vlen: number, kflag = 0): number => ((kflag << 31) | (kind << 24) | vlen) >>> 0;

/** Builds a raw BTF blob from u32 type words and a string table. */
function blob(types: number[], strings: string): Uint8Array {
  const str = new TextEncoder().encode(strings);
  return assemble(new Uint8Array(Uint32Array.from(types).buffer), str);
}

/** Header + types + strings (little-endian host, as everywhere tsbpf runs). */
function assemble(types: Uint8Array, strings: Uint8Array): Uint8Array {
  const out = new Uint8Array(24 + types.byteLength + strings.byteLength);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, true);
  v.setUint8(2, 1);
  v.setUint32(4, 24, true);
  v.setUint32(8, 0, true);
  v.setUint32(12, types.byteLength, true);
  v.setUint32(16, types.byteLength, true);
  v.setUint32(20, strings.byteLength, true);
  out.set(types, 24);
  out.set(strings, 24 + types.byteLength);
  return out;
}

function kernelAccepts(bytes: Uint8Array): boolean {
  const data = stableBytes(bytes.byteLength);
  data.set(bytes);
  const attr = new Attr(BtfLoadAttr);
  attr.setPointer("btf", data).set("btf_size", data.byteLength);
  const r = bpfRaw(Cmd.BTF_LOAD, attr.address, attr.size);
  if (r < 0) return false;
  native.syscall(SYS.close, r);
  return true;
}

// [1] int (4 bytes, signed, 32 bits). Strings: 1 "int", 5 "x", 7 "?.x".
const INT: number[] = [1, info(K.INT, 0), 4, (1 << 24) | 32];
const STRS = "\0int\0x\0?.x\0";

let cached: BtfKernelSupport | undefined;
let override: BtfKernelSupport | undefined;

/** Probes (once per process) which BTF kinds the kernel accepts. */
export function probeBtfSupport(): BtfKernelSupport {
  if (override) return override;
  cached ??= {
    // [2] func_proto int(int x), [3] FUNC "x" static
    func: kernelAccepts(blob([...INT, 0, info(K.FUNC_PROTO, 1), 1, 5, 1, 5, info(K.FUNC, 0), 2], STRS)),
    // [2] func_proto void(void), [3] FUNC "x" global
    globalFunc: kernelAccepts(blob([...INT, 0, info(K.FUNC_PROTO, 0), 0, 5, info(K.FUNC, 1), 2], STRS)),
    // [2] var "x" int static, [3] datasec "x" { [2] at 0, 4 bytes }
    datasec: kernelAccepts(blob([...INT, 5, info(K.VAR, 0), 1, 0, 5, info(K.DATASEC, 1), 4, 2, 0, 4], STRS)),
    // as above, datasec named "?.x"
    qmarkDatasec: kernelAccepts(blob([...INT, 5, info(K.VAR, 0), 1, 0, 7, info(K.DATASEC, 1), 4, 2, 0, 4], STRS)),
    // [2] float "x" 4 bytes
    float: kernelAccepts(blob([...INT, 5, info(K.FLOAT, 0), 4], STRS)),
    // [2] var "x" int, [3] decl_tag "x" on it (component -1)
    declTag: kernelAccepts(blob([...INT, 5, info(K.VAR, 0), 1, 0, 5, info(K.DECL_TAG, 0), 2, 0xffffffff], STRS)),
    // [2] type_tag "x" → int, [3] ptr → [2]
    typeTag: kernelAccepts(blob([...INT, 5, info(K.TYPE_TAG, 0), 1, 0, info(K.PTR, 0), 2], STRS)),
    // [2] enum64 "x" 8 bytes, one value
    enum64: kernelAccepts(blob([...INT, 5, info(K.ENUM64, 1), 8, 5, 0, 0], STRS)),
  };
  return cached;
}

/**
 * @internal Tests only: make probeBtfSupport (and so Collection.load) act as
 * if the kernel lacked some BTF features. Fields not given are taken from the
 * real probe; `undefined` removes the override.
 */
export function overrideBtfSupport(support: Partial<BtfKernelSupport> | undefined): void {
  override = undefined;
  override = support ? { ...probeBtfSupport(), ...support } : undefined;
}

/**
 * Whether programs may be loaded with the object's BTF (prog_btf_fd,
 * func_info, line_info): not on kernels without BTF_KIND_FUNC (before 5.0),
 * where sanitised FUNCs are TYPEDEFs — libbpf then loads programs without BTF.
 */
export function programBtfSupported(support: BtfKernelSupport = probeBtfSupport()): boolean {
  return support.func;
}

/** True when BTF for `support` needs no rewriting at all. */
function supportsAll(s: BtfKernelSupport): boolean {
  return s.func && s.globalFunc && s.datasec && s.qmarkDatasec && s.float && s.declTag && s.typeTag && s.enum64;
}

/** Name of the 1-byte int libbpf appends as the member type of ENUM64 stand-in unions. */
export const ENUM64_PLACEHOLDER = "enum64_placeholder";

/**
 * Rewrites what the kernel does not support in a copy of `raw` (little-endian
 * BTF as ObjectSpec.btfForKernel gives it), following libbpf's
 * bpf_object__sanitize_btf choices:
 * - no VAR/DATASEC (before 5.2): VAR → 1-byte INT, DATASEC → STRUCT whose
 *   members are its variables (named after them; '.'/'?' in the section name → '_');
 * - no '?' DATASEC names (before 6.4): leading '?' → '_';
 * - no FUNC/FUNC_PROTO (before 5.0): FUNC → TYPEDEF, FUNC_PROTO → 4-byte ENUM
 *   with the parameters as enumerators (unnamed ones named `__param<i>`);
 * - no global FUNC linkage (before 5.6): linkage → static;
 * - no FLOAT (before 5.13): an anonymous empty STRUCT of the same size;
 * - no DECL_TAG (before 5.16): a 1-byte INT (also a tag whose target was rewritten);
 * - no TYPE_TAG (before 5.17): an anonymous CONST;
 * - no ENUM64 (before 6.0): ENUM kind_flag (signedness) cleared; each ENUM64
 *   becomes a UNION of its size whose members (named after the enumerators)
 *   are an appended 1-byte INT "enum64_placeholder".
 * Type ids and string offsets are preserved (types and strings are only
 * appended). Returns `raw` itself when nothing needs changing.
 */
export function sanitizeBtf(raw: Uint8Array, support: BtfKernelSupport = probeBtfSupport()): Uint8Array {
  if (supportsAll(support)) return raw;
  const src = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (raw.byteLength < 24 || src.getUint16(0, true) !== 0xeb9f) throw new InvalidArgumentError("sanitizeBtf needs little-endian raw BTF", "btf");
  const hdr = src.getUint32(4, true);
  const typeOff = hdr + src.getUint32(8, true);
  const typeLen = src.getUint32(12, true);
  const strOff = hdr + src.getUint32(16, true);
  const strLen = src.getUint32(20, true);
  if (typeOff + typeLen > raw.byteLength || strOff + strLen > raw.byteLength) throw new InvalidArgumentError("BTF sections run past the end of the blob", "btf");
  const strings = new StringAppender(raw.subarray(strOff, strOff + strLen));

  // Record starts by id (index 0 unused: void), from the original bytes.
  const starts: number[] = [0];
  for (let pos = 0; pos < typeLen;) {
    starts.push(pos);
    pos += recordSize(src.getUint32(typeOff + pos + 4, true), typeOff + pos);
  }
  const count = starts.length - 1;
  const placeholderId = count + 1;
  let needPlaceholder = false;

  const types = new Uint8Array(typeLen + 16);
  types.set(raw.subarray(typeOff, typeOff + typeLen));
  const out = new DataView(types.buffer);
  const kindAt = (id: number): number => (id > 0 && id <= count ? (src.getUint32(typeOff + starts[id]! + 4, true) >>> 24) & 0x1f : 0);

  for (let id = 1; id <= count; id++) {
    const at = starts[id]!;
    const word = src.getUint32(typeOff + at + 4, true);
    const kind = (word >>> 24) & 0x1f;
    const vlen = word & 0xffff;
    const setInfo = (k: number, n: number): void => out.setUint32(at + 4, info(k, n), true);
    switch (kind) {
      case K.VAR:
        if (!support.datasec) oneByteInt(out, at);
        break;
      case K.DECL_TAG: {
        // A tag on a type that becomes something untaggable must go too.
        const target = kindAt(src.getUint32(typeOff + at + 8, true));
        if (!support.declTag || (!support.datasec && target === K.VAR) || (!support.func && target === K.FUNC)) oneByteInt(out, at);
        break;
      }
      case K.DATASEC: {
        const name = strings.at(src.getUint32(typeOff + at, true));
        if (!support.datasec) {
          out.setUint32(at, strings.add(name.replace(/[.?]/g, "_")), true);
          setInfo(K.STRUCT, vlen);
          for (let j = 0; j < vlen; j++) {
            const m = at + 12 + j * 12;
            const varType = src.getUint32(typeOff + m, true);
            const varOffset = src.getUint32(typeOff + m + 4, true);
            const varName = varType > 0 && varType <= count ? src.getUint32(typeOff + starts[varType]!, true) : 0;
            out.setUint32(m, varName, true);
            out.setUint32(m + 4, varType, true);
            out.setUint32(m + 8, varOffset * 8, true);
          }
        } else if (!support.qmarkDatasec && name.startsWith("?")) {
          out.setUint32(at, strings.add(`_${name.slice(1)}`), true);
        }
        break;
      }
      case K.FUNC_PROTO:
        if (!support.func) {
          setInfo(K.ENUM, vlen);
          out.setUint32(at + 8, 4, true);
          // Params {name, type} become enumerators {name, value}. Unlike
          // libbpf, unnamed params (prototypes of pointers, `...`) get a name:
          // kernels since 5.0 refuse enumerators without a valid one.
          for (let j = 0; j < vlen; j++) {
            const p = at + 12 + j * 8;
            if (src.getUint32(typeOff + p, true) === 0) out.setUint32(p, strings.add(`__param${j}`), true);
          }
        }
        break;
      case K.FUNC:
        if (!support.func) setInfo(K.TYPEDEF, 0);
        else if (!support.globalFunc) setInfo(K.FUNC, 0);
        break;
      case K.FLOAT:
        if (!support.float) {
          out.setUint32(at, 0, true);
          setInfo(K.STRUCT, 0);
        }
        break;
      case K.TYPE_TAG:
        if (!support.typeTag) {
          out.setUint32(at, 0, true);
          setInfo(K.CONST, 0);
        }
        break;
      case K.ENUM:
        if (!support.enum64) setInfo(K.ENUM, vlen);
        break;
      case K.ENUM64:
        if (!support.enum64) {
          // Same record size: each 12-byte value becomes a 12-byte member at offset 0.
          needPlaceholder = true;
          setInfo(K.UNION, vlen);
          for (let j = 0; j < vlen; j++) {
            const m = at + 12 + j * 12;
            out.setUint32(m + 4, placeholderId, true);
            out.setUint32(m + 8, 0, true);
          }
        }
        break;
      default:
        break;
    }
  }
  let typeBytes = types.subarray(0, typeLen);
  if (needPlaceholder) {
    // [placeholderId] int "enum64_placeholder", 1 byte, unsigned, 8 bits.
    out.setUint32(typeLen, strings.add(ENUM64_PLACEHOLDER), true);
    out.setUint32(typeLen + 4, info(K.INT, 0), true);
    out.setUint32(typeLen + 8, 1, true);
    out.setUint32(typeLen + 12, 8, true);
    typeBytes = types;
  }
  return assemble(typeBytes, strings.finish());
}

/** VAR/DECL_TAG → INT of 1 byte, 8 bits (libbpf: 4 bytes could exceed the original variable). Name kept. */
function oneByteInt(out: DataView, at: number): void {
  out.setUint32(at + 4, info(K.INT, 0), true);
  out.setUint32(at + 8, 1, true);
  out.setUint32(at + 12, 8, true);
}

/** Byte size of the type record whose info word is `word`. */
function recordSize(word: number, where: number): number {
  const kind = (word >>> 24) & 0x1f;
  const vlen = word & 0xffff;
  switch (kind) {
    case K.INT: case K.VAR: case K.DECL_TAG: return 16;
    case K.ARRAY: return 24;
    case K.STRUCT: case K.UNION: case K.DATASEC: case K.ENUM64: return 12 + vlen * 12;
    case K.ENUM: case K.FUNC_PROTO: return 12 + vlen * 8;
    case K.PTR: case K.FWD: case K.TYPEDEF: case K.VOLATILE: case K.CONST: case K.RESTRICT:
    case K.FUNC: case K.FLOAT: case K.TYPE_TAG: return 12;
    default: throw new InvalidArgumentError(`BTF type record at byte ${where} has unknown kind ${kind}`, "btf");
  }
}

/** The original string table plus new strings appended (existing offsets unchanged). */
class StringAppender {
  readonly #original: Uint8Array;
  readonly #added: Uint8Array[] = [];
  readonly #offsets = new Map<string, number>();
  #length: number;

  constructor(original: Uint8Array) {
    this.#original = original;
    this.#length = original.byteLength;
  }

  at(offset: number): string {
    const end = this.#original.indexOf(0, offset);
    return new TextDecoder().decode(this.#original.subarray(offset, end < 0 ? undefined : end));
  }

  add(s: string): number {
    const known = this.#offsets.get(s);
    if (known !== undefined) return known;
    const bytes = new TextEncoder().encode(`${s}\0`);
    const off = this.#length;
    this.#added.push(bytes);
    this.#length += bytes.byteLength;
    this.#offsets.set(s, off);
    return off;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    out.set(this.#original);
    let p = this.#original.byteLength;
    for (const b of this.#added) {
      out.set(b, p);
      p += b.byteLength;
    }
    return out;
  }
}
