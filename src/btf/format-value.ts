// Values by BTF type, the way bpftool's btf_dumper prints a map's key and
// value (`bpftool map dump` on a map with BTF, and the "formatted" object of
// `bpftool -j map dump`): integers in decimal, bitfields and 128-bit
// integers as "0x…" strings, NUL-terminated printable char arrays as
// strings, enums by enumerator name, pointers as numbers, structs/unions as
// objects keyed by member name (anonymous members have the key ""), arrays
// as arrays, DATASECs as {name: [vars]}. The output is JSON *text*: bpftool
// may repeat a key ("" for several anonymous members), which a JavaScript
// object cannot hold. This is the one formatter: the CLI writes through it
// into its output document, library users get the text.
import { BtfError } from "./errors.js";
import { JsonWriter, jsonwString } from "./json-writer.js";
import type { Btf } from "./btf.js";
import type { BtfType } from "./types.js";

export { jsonwPretty, jsonwString } from "./json-writer.js";

/** Options for {@link formatValueJson} and {@link writeBtfValue}. */
export interface FormatValueOptions {
  /**
   * bpftool's plain-text flavour (`map dump` without -j): hex numbers and
   * non-printable chars unquoted, pointers as `%p` (`0x…`, `(nil)`).
   */
  readonly plain?: boolean;
  /**
   * Print what bpftool prints in-band for values it cannot format
   * (`(fwd-kind-invalid)`, `(unsupported-kind)`, `(unknown)` past 64 levels
   * of nesting) and floats as `%f`, instead of throwing BtfError. The CLI
   * uses this so one odd member does not hide a whole dump.
   */
  readonly markers?: boolean;
  /**
   * bpftool's `prog_id_as_func_ptr` (struct_ops values, where the kernel
   * reports each function pointer as the id of the program behind it): a
   * pointer to a FUNC_PROTO whose value fits in 32 bits is printed as the
   * string this returns (given the prototype's type id and the id), or as a
   * plain pointer when it returns undefined.
   */
  readonly funcPointer?: (protoTypeId: number, progId: number) => string | undefined;
}

/** Nesting deeper than this is malformed BTF (a type containing itself). */
const MAX_DEPTH = 64;

/**
 * The JSON text bpftool prints for `bytes` (host byte order, as read from a
 * map) interpreted as BTF type `typeId`. Throws BtfError for kinds bpftool
 * cannot print (FWD, FUNC, FLOAT …) or when `bytes` is shorter than the type.
 */
export function formatValueJson(btf: Btf, typeId: number, bytes: Uint8Array, options: FormatValueOptions = {}): string {
  const w = new JsonWriter(false);
  writeBtfValue(w, btf, typeId, bytes, options);
  return w.text;
}

/**
 * Writes the value of BTF type `typeId` stored in `bytes` into `w` at its
 * current position (e.g. after `w.name("value")`), so it takes the
 * surrounding document's layout (compact or bpftool's `-p`). Same rules
 * and errors as {@link formatValueJson}.
 */
export function writeBtfValue(w: JsonWriter, btf: Btf, typeId: number, bytes: Uint8Array, options: FormatValueOptions = {}): void {
  const size = btf.sizeOf(typeId);
  if (bytes.byteLength < size) throw new BtfError(`value is ${bytes.byteLength} bytes, type [${typeId}] needs ${size}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  new ValueFormatter(btf, view, w, options).type(typeId, 0, 0, 0);
}

class ValueFormatter {
  readonly #btf: Btf;
  readonly #view: DataView;
  readonly #w: JsonWriter;
  readonly #plain: boolean;
  readonly #markers: boolean;
  readonly #funcPointer: FormatValueOptions["funcPointer"];
  /**
   * Members and elements left to print. Arrays of zero-size types cost no
   * value bytes, so sizes alone do not bound the output: a few hundred bytes
   * of BTF could otherwise ask for 2^32 × 2^32 … elements.
   */
  #budget: number;

  constructor(btf: Btf, view: DataView, w: JsonWriter, options: FormatValueOptions) {
    this.#btf = btf;
    this.#view = view;
    this.#budget = 8 * view.byteLength + 4096;
    this.#w = w;
    this.#plain = options.plain ?? false;
    this.#markers = options.markers ?? false;
    this.#funcPointer = options.funcPointer;
  }

  /** The value of type `id` at byte `at`, starting `bitOffset` (0–7) bits in. */
  type(id: number, at: number, bitOffset: number, depth: number): void {
    if (depth > MAX_DEPTH) return this.#unprintable("(unknown)", `type [${id}] is nested more than ${MAX_DEPTH} levels deep`);
    const t = this.#btf.typeById(id);
    const w = this.#w;
    switch (t.kind) {
      case "INT": return this.#int(t, at, bitOffset);
      case "STRUCT": case "UNION": return this.#composite(id, t.members, t.kindFlag, at, depth);
      case "ARRAY": return this.#array(t.type, t.nelems, at, depth);
      case "ENUM": return this.#enum(t.size, t.values, at, true);
      case "ENUM64": return this.#enum(t.size, t.values, at, false);
      case "PTR": return this.#pointer(at, t.type);
      case "TYPEDEF": case "VOLATILE": case "CONST": case "RESTRICT": case "TYPE_TAG":
        return this.type(t.type, at, bitOffset, depth + 1);
      case "VAR":
        w.startObject();
        w.name(t.name);
        this.type(t.type, at, bitOffset, depth + 1);
        w.endObject();
        return;
      case "DATASEC":
        w.startObject();
        w.name(t.name);
        w.startArray();
        for (const v of t.vars) {
          this.#spend(id);
          this.#within(id, `var [${v.type}]`, at + v.offset, this.#btf.sizeOf(v.type));
          this.type(v.type, at + v.offset, 0, depth + 1);
        }
        w.endArray();
        w.endObject();
        return;
      case "FLOAT":
        if (this.#markers) return this.#float(t.size, at);
        break;
      case "FWD":
        return this.#unprintable("(fwd-kind-invalid)", `type [${id}] is FWD: bpftool cannot format values of this kind`);
      default:
        break;
    }
    this.#unprintable("(unsupported-kind)", `type [${id}] is ${t.kind}: bpftool cannot format values of this kind`);
  }

  /** bpftool's in-band marker with `markers`, otherwise a BtfError. */
  #unprintable(marker: string, message: string): void {
    if (!this.#markers) throw new BtfError(message);
    this.#w.raw(marker);
  }

  #int(t: Extract<BtfType, { kind: "INT" }>, at: number, bitOffset: number): void {
    const v = this.#view;
    const w = this.#w;
    const bits = t.bits;
    if (bitOffset !== 0 || t.bitOffset !== 0 || bits % 8 !== 0) {
      const total = bitOffset + t.bitOffset;
      return this.#bitfield(bits, total % 8, at + (total >> 3));
    }
    // An INT of more bits than its size (malformed BTF) would read past the value.
    if (at + bits / 8 > v.byteLength) throw new BtfError(`INT '${t.name}' [${t.id}] of ${bits} bits at byte ${at} runs past the ${v.byteLength}-byte value`);
    if (bits === 128) return this.#hex128(v.getBigUint64(at + 8, true), v.getBigUint64(at, true));
    if (t.bool) return w.raw(v.getUint8(at) !== 0 ? "true" : "false");
    if (t.char) {
      const c = v.getUint8(at);
      if (c >= 0x20 && c < 0x7f) return w.raw(jsonwString(String.fromCharCode(c)));
      return w.raw(this.#plain ? `0x${c.toString(16)}` : `"\\u00${c.toString(16).padStart(2, "0")}"`);
    }
    if (t.signed) {
      switch (bits) {
        case 64: return w.raw(String(v.getBigInt64(at, true)));
        case 32: return w.raw(String(v.getInt32(at, true)));
        case 16: return w.raw(String(v.getInt16(at, true)));
        case 8: return w.raw(String(v.getInt8(at)));
      }
    } else {
      switch (bits) {
        case 64: return w.raw(String(v.getBigUint64(at, true)));
        case 32: return w.raw(String(v.getUint32(at, true)));
        case 16: return w.raw(String(v.getUint16(at, true)));
        case 8: return w.raw(String(v.getUint8(at)));
      }
    }
    this.#bitfield(bits, 0, at);
  }

  /** `nrBits` bits starting `bitOffset` bits into byte `at` (little-endian bitfield), as bpftool's hex string. */
  #bitfield(nrBits: number, bitOffset: number, at: number): void {
    const nBytes = Math.ceil((bitOffset + nrBits) / 8);
    // An INT whose offset or bit count exceeds its size (malformed BTF) would read past the value.
    if (at + nBytes > this.#view.byteLength) throw new BtfError(`a ${nrBits}-bit field ${bitOffset} bits into byte ${at} runs past the ${this.#view.byteLength}-byte value`);
    let n = 0n;
    for (let i = nBytes - 1; i >= 0; i--) n = (n << 8n) | BigInt(this.#view.getUint8(at + i));
    n = (n >> BigInt(bitOffset)) & ((1n << BigInt(nrBits)) - 1n);
    this.#hex128(n >> 64n, n & 0xffff_ffff_ffff_ffffn);
  }

  #hex128(upper: bigint, lower: bigint): void {
    const hex = upper === 0n ? `0x${lower.toString(16)}` : `0x${upper.toString(16)}${lower.toString(16).padStart(16, "0")}`;
    this.#w.raw(this.#plain ? hex : `"${hex}"`);
  }

  #composite(id: number, members: readonly { name: string; type: number; bitOffset: number; bitfieldSize: number }[], kindFlag: boolean, at: number, depth: number): void {
    const w = this.#w;
    w.startObject();
    for (const m of members) {
      this.#spend(id);
      const byte = at + Math.floor(m.bitOffset / 8);
      const bit = m.bitOffset & 7;
      const bitfield = kindFlag && m.bitfieldSize !== 0;
      this.#within(id, m.name, byte, bitfield ? Math.ceil((bit + m.bitfieldSize) / 8) : this.#btf.sizeOf(m.type));
      w.name(m.name);
      if (bitfield) this.#bitfield(m.bitfieldSize, bit, byte);
      else this.type(m.type, byte, bit, depth + 1);
    }
    w.endObject();
  }

  /** BtfError unless `size` bytes at `at` (member `name` of type `id`) lie within the value. */
  #within(id: number, name: string, at: number, size: number): void {
    if (at + size > this.#view.byteLength) {
      throw new BtfError(`type [${id}] '${this.#btf.typeById(id).name}': member '${name}' at byte ${at} (${size} bytes) lies outside the ${this.#view.byteLength}-byte value`);
    }
  }

  /** One more member or element printed; BtfError once the value expands past any real one. */
  #spend(id: number): void {
    if (--this.#budget < 0) {
      throw new BtfError(`type [${id}] '${this.#btf.typeById(id).name}' expands to more members and elements than its ${this.#view.byteLength}-byte value can hold`);
    }
  }

  #array(elemType: number, nelems: number, at: number, depth: number): void {
    const w = this.#w;
    if (this.#isString(elemType, nelems, at)) {
      let s = "";
      for (let i = at; this.#view.getUint8(i) !== 0; i++) s += String.fromCharCode(this.#view.getUint8(i));
      return w.string(s);
    }
    const size = this.#btf.sizeOf(elemType);
    w.startArray();
    for (let i = 0; i < nelems; i++) {
      this.#spend(elemType);
      this.type(elemType, at + i * size, 0, depth + 1);
    }
    w.endArray();
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
  #enum(size: number, values: readonly { name: string; value: number | bigint }[], at: number, signed: boolean): void {
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
      if (ev === value) return this.#w.string(e.name);
    }
    // No enumerator: bpftool's jsonw_int, a signed 64-bit print (an unsigned ENUM64 above 2^63 prints negative).
    this.#w.raw(String(BigInt.asIntN(64, value)));
  }

  #pointer(at: number, target: number): void {
    const ptrSize = this.#btf.pointerSize;
    const value = ptrSize === 8 ? this.#view.getBigUint64(at, true) : BigInt(this.#view.getUint32(at, true));
    if (this.#funcPointer && value <= 0xffff_ffffn && target !== 0 && this.#btf.typeById(target).kind === "FUNC_PROTO") {
      const text = this.#funcPointer(target, Number(value));
      if (text !== undefined) return this.#w.string(text);
    }
    // printf("%p") in plain text ("(nil)" for NULL), "%lu" in JSON.
    if (!this.#plain) return this.#w.raw(String(value));
    this.#w.raw(value === 0n ? "(nil)" : `0x${value.toString(16)}`);
  }

  /** Floats as printf's "%f" (only with `markers`: bpftool itself has no float printer). */
  #float(size: number, at: number): void {
    const v = size === 4 ? this.#view.getFloat32(at, true) : size === 8 ? this.#view.getFloat64(at, true) : NaN;
    this.#w.raw(Number.isFinite(v) ? v.toFixed(6) : String(v));
  }
}
