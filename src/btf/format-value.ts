// Values by BTF type, the way bpftool's btf_dumper prints a map's key and
// value in `bpftool -j map dump` (the "formatted" object): integers in
// decimal, bitfields and 128-bit integers as "0x…" strings, NUL-terminated
// printable char arrays as strings, enums by enumerator name, pointers as
// numbers, structs/unions as objects keyed by member name (anonymous
// members have the key ""), arrays as arrays, DATASECs as {name: [vars]}.
// The output is JSON *text*: bpftool may repeat a key ("" for several
// anonymous members), which a JavaScript object cannot hold.
import { BtfError } from "./errors.js";
import type { Btf } from "./btf.js";
import type { BtfType } from "./types.js";

/** Options for {@link formatValueJson}. */
export interface FormatValueOptions {
  /**
   * bpftool's plain-text flavour (`map dump` without -j): hex numbers and
   * non-printable chars unquoted, pointers as `%p` (`0x…`, `(nil)`).
   */
  readonly plain?: boolean;
}

/**
 * The JSON text bpftool prints for `bytes` (host byte order, as read from a
 * map) interpreted as BTF type `typeId`. Throws BtfError for kinds bpftool
 * cannot print (FWD, FUNC, FLOAT …) or when `bytes` is shorter than the type.
 */
export function formatValueJson(btf: Btf, typeId: number, bytes: Uint8Array, options: FormatValueOptions = {}): string {
  const size = btf.sizeOf(typeId);
  if (bytes.byteLength < size) throw new BtfError(`value is ${bytes.byteLength} bytes, type [${typeId}] needs ${size}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return new ValueFormatter(btf, view, options.plain ?? false).type(typeId, 0, 0);
}

/** JSON string escaping as bpftool's json_writer does it (only these escapes; other bytes pass through). */
export function jsonwString(s: string): string {
  let out = '"';
  for (const ch of s) {
    switch (ch) {
      case "\t": out += "\\t"; break;
      case "\n": out += "\\n"; break;
      case "\r": out += "\\r"; break;
      case "\f": out += "\\f"; break;
      case "\b": out += "\\b"; break;
      case "\\": out += "\\\\"; break;
      case '"': out += '\\"'; break;
      default: out += ch;
    }
  }
  return `${out}"`;
}

class ValueFormatter {
  readonly #btf: Btf;
  readonly #view: DataView;
  readonly #plain: boolean;

  constructor(btf: Btf, view: DataView, plain: boolean) {
    this.#btf = btf;
    this.#view = view;
    this.#plain = plain;
  }

  /** The value of type `id` at byte `at`, starting `bitOffset` (0–7) bits in. */
  type(id: number, at: number, bitOffset: number): string {
    const t = this.#btf.typeById(id);
    switch (t.kind) {
      case "INT": return this.#int(t, at, bitOffset);
      case "STRUCT": case "UNION": return this.#composite(t.members, t.kindFlag, at);
      case "ARRAY": return this.#array(t.type, t.nelems, at);
      case "ENUM": return this.#enum(t.size, t.values, at, true);
      case "ENUM64": return this.#enum(t.size, t.values, at, false);
      case "PTR": return this.#pointer(at);
      case "TYPEDEF": case "VOLATILE": case "CONST": case "RESTRICT": case "TYPE_TAG":
        return this.type(this.#btf.resolve(id).id, at, bitOffset);
      case "VAR": return `{${jsonwString(t.name)}:${this.type(t.type, at, bitOffset)}}`;
      case "DATASEC":
        return `{${jsonwString(t.name)}:[${t.vars.map((v) => this.type(v.type, at + v.offset, 0)).join(",")}]}`;
      default:
        throw new BtfError(`type [${id}] is ${t.kind}: bpftool cannot format values of this kind`);
    }
  }

  #int(t: Extract<BtfType, { kind: "INT" }>, at: number, bitOffset: number): string {
    const v = this.#view;
    const bits = t.bits;
    if (bitOffset !== 0 || t.bitOffset !== 0 || bits % 8 !== 0) {
      const total = bitOffset + t.bitOffset;
      return this.#bitfield(bits, total % 8, at + (total >> 3));
    }
    if (bits === 128) return this.#hex128(v.getBigUint64(at + 8, true), v.getBigUint64(at, true));
    if (t.bool) return v.getUint8(at) !== 0 ? "true" : "false";
    if (t.char) {
      const c = v.getUint8(at);
      if (c >= 0x20 && c < 0x7f) return jsonwString(String.fromCharCode(c));
      return this.#plain ? `0x${c.toString(16)}` : `"\\u00${c.toString(16).padStart(2, "0")}"`;
    }
    if (t.signed) {
      switch (bits) {
        case 64: return String(v.getBigInt64(at, true));
        case 32: return String(v.getInt32(at, true));
        case 16: return String(v.getInt16(at, true));
        case 8: return String(v.getInt8(at));
      }
    } else {
      switch (bits) {
        case 64: return String(v.getBigUint64(at, true));
        case 32: return String(v.getUint32(at, true));
        case 16: return String(v.getUint16(at, true));
        case 8: return String(v.getUint8(at));
      }
    }
    return this.#bitfield(bits, 0, at);
  }

  /** `nrBits` bits starting `bitOffset` bits into byte `at` (little-endian bitfield), as bpftool's hex string. */
  #bitfield(nrBits: number, bitOffset: number, at: number): string {
    const nBytes = Math.ceil((bitOffset + nrBits) / 8);
    let n = 0n;
    for (let i = nBytes - 1; i >= 0; i--) n = (n << 8n) | BigInt(this.#view.getUint8(at + i));
    n = (n >> BigInt(bitOffset)) & ((1n << BigInt(nrBits)) - 1n);
    return this.#hex128(n >> 64n, n & 0xffff_ffff_ffff_ffffn);
  }

  #hex128(upper: bigint, lower: bigint): string {
    const hex = upper === 0n ? `0x${lower.toString(16)}` : `0x${upper.toString(16)}${lower.toString(16).padStart(16, "0")}`;
    return this.#plain ? hex : `"${hex}"`;
  }

  #composite(members: readonly { name: string; type: number; bitOffset: number; bitfieldSize: number }[], kindFlag: boolean, at: number): string {
    const parts: string[] = [];
    for (const m of members) {
      const byte = at + (m.bitOffset >> 3);
      const bit = m.bitOffset & 7;
      const value = kindFlag && m.bitfieldSize !== 0 ? this.#bitfield(m.bitfieldSize, bit, byte) : this.type(m.type, byte, bit);
      parts.push(`${jsonwString(m.name)}:${value}`);
    }
    return `{${parts.join(",")}}`;
  }

  #array(elemType: number, nelems: number, at: number): string {
    if (this.#isString(elemType, nelems, at)) {
      let s = "";
      for (let i = at; this.#view.getUint8(i) !== 0; i++) s += String.fromCharCode(this.#view.getUint8(i));
      return jsonwString(s);
    }
    const size = this.#btf.sizeOf(elemType);
    const parts: string[] = [];
    for (let i = 0; i < nelems; i++) parts.push(this.type(elemType, at + i * size, 0));
    return `[${parts.join(",")}]`;
  }

  /** bpftool's is_str_array: a 1-byte char-named (or CHAR) int array holding printable ASCII up to a NUL. */
  #isString(elemType: number, nelems: number, at: number): boolean {
    if (nelems === 0) return false;
    let t = this.#btf.typeById(elemType);
    // Qualifiers are skipped, typedefs are not (a typedef of char is not a string).
    while (t.kind === "CONST" || t.kind === "VOLATILE" || t.kind === "RESTRICT" || t.kind === "TYPE_TAG") t = this.#btf.typeById(t.type);
    if (t.kind !== "INT" || t.size !== 1) return false;
    if (!t.char && t.name !== "char") return false;
    for (let i = 0; i < nelems; i++) {
      const c = this.#view.getUint8(at + i);
      if (c === 0) return true;
      if (c <= 0x1f || c >= 0x7f) return false;
    }
    return false;
  }

  /** ENUM values are read signed and compared with the s32 enumerators; ENUM64 values unsigned. */
  #enum(size: number, values: readonly { name: string; value: number | bigint }[], at: number, signed: boolean): string {
    const v = this.#view;
    let value: bigint;
    switch (size) {
      case 8: value = signed ? v.getBigInt64(at, true) : v.getBigUint64(at, true); break;
      case 4: value = BigInt(signed ? v.getInt32(at, true) : v.getUint32(at, true)); break;
      case 2: value = BigInt(signed ? v.getInt16(at, true) : v.getUint16(at, true)); break;
      case 1: value = BigInt(signed ? v.getInt8(at) : v.getUint8(at)); break;
      default: throw new BtfError(`enum of size ${size} cannot be formatted`);
    }
    for (const e of values) {
      // ENUM: btf_enum.val is an s32 whatever the enum's signedness; ENUM64: compared as u64.
      const ev = typeof e.value === "bigint" ? BigInt.asUintN(64, e.value) : BigInt(e.value | 0);
      if (ev === value) return jsonwString(e.name);
    }
    return String(value);
  }

  #pointer(at: number): string {
    const ptrSize = this.#btf.pointerSize;
    const value = ptrSize === 8 ? this.#view.getBigUint64(at, true) : BigInt(this.#view.getUint32(at, true));
    if (!this.#plain) return String(value);
    return value === 0n ? "(nil)" : `0x${value.toString(16)}`;
  }
}

/**
 * Re-indents compact JSON text the way bpftool's json_writer prints with
 * `-p`: four spaces per level, `"key": value`, objects opened on the line of
 * their key or array (`[{`), scalars in arrays kept on one line (`[1,2]`).
 */
export function jsonwPretty(compact: string): string {
  const chunks: string[] = [];
  let out = "";
  let depth = 0;
  let sep = "";
  const eol = (): void => {
    out += `\n${"    ".repeat(depth)}`;
  };
  const eor = (): void => {
    out += sep;
    sep = ",";
  };
  const n = compact.length;
  for (let i = 0; i < n; ) {
    const c = compact[i] as string;
    if (c === "{" || c === "[") {
      eor();
      out += c;
      depth++;
      sep = "";
      i++;
    } else if (c === "}" || c === "]") {
      depth--;
      if (sep !== "") eol();
      out += c;
      sep = ",";
      i++;
    } else if (c === ",") {
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < n && compact[j] !== '"') j += compact[j] === "\\" ? 2 : 1;
      const token = compact.slice(i, j + 1);
      i = j + 1;
      if (compact[i] === ":") {
        eor();
        eol();
        sep = "";
        out += `${token}: `;
        i++;
      } else {
        eor();
        out += token;
      }
    } else if (c === "\n" || c === " ") {
      i++;
    } else {
      let j = i;
      while (j < n && compact[j] !== "," && compact[j] !== "}" && compact[j] !== "]" && compact[j] !== "\n") j++;
      eor();
      out += compact.slice(i, j);
      i = j;
    }
    if (out.length > 1 << 20) {
      chunks.push(out);
      out = "";
    }
  }
  chunks.push(out, "\n");
  return chunks.join("");
}
