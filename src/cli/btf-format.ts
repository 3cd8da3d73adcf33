// Map keys and values rendered through their BTF, the way bpftool's
// btf_dumper does: numbers, booleans, chars, enum names, strings for
// printable char arrays, objects for structs and unions, arrays, data
// sections as {".rodata": [{var: value}, …]}, bitfields as hex. In plain
// text (`is_plain_text`) chars and pointers print bare; in JSON they are
// quoted or decimal, exactly as bpftool prints "formatted".
import type { Btf } from "../btf/btf.js";
import type { BtfType } from "../btf/types.js";
import type { JsonWriter } from "./json-writer.js";

const MAX_DEPTH = 64;

/** Writes the value of BTF type `id` stored at `data` into `w`. */
export function formatBtfValue(w: JsonWriter, btf: Btf, id: number, data: Uint8Array, plainText: boolean): void {
  new BtfValueFormatter(btf, w, plainText).type(id, 0, data, 0);
}

function isPrint(c: number): boolean {
  return c >= 0x20 && c < 0x7f;
}

/** Little-endian unsigned integer of `size` bytes as a bigint. */
function readUnsigned(data: Uint8Array, size: number): bigint {
  let v = 0n;
  for (let i = Math.min(size, data.length) - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[i] ?? 0);
  return v;
}

function readSigned(data: Uint8Array, size: number): bigint {
  return BigInt.asIntN(size * 8, readUnsigned(data, size));
}

class BtfValueFormatter {
  readonly #btf: Btf;
  readonly #w: JsonWriter;
  readonly #plain: boolean;

  constructor(btf: Btf, w: JsonWriter, plainText: boolean) {
    this.#btf = btf;
    this.#w = w;
    this.#plain = plainText;
  }

  /** btf_dumper_do_type: `bitOffset` (0–7) is within the first byte of `data`. */
  type(id: number, bitOffset: number, data: Uint8Array, depth: number): void {
    if (depth > MAX_DEPTH) {
      this.#w.raw("(unknown)");
      return;
    }
    const t = this.#btf.typeById(id);
    switch (t.kind) {
      case "INT": return this.#int(t, bitOffset, data);
      case "STRUCT": case "UNION": return this.#struct(t, data, depth);
      case "ARRAY": return this.#array(t, data, depth);
      case "ENUM": case "ENUM64": return this.#enum(t, data);
      case "PTR": return this.#ptr(data);
      case "FLOAT": return this.#float(t.size, data);
      case "VAR": {
        this.#w.startObject();
        this.#w.name(t.name);
        this.type(t.type, 0, data, depth + 1);
        this.#w.endObject();
        return;
      }
      case "DATASEC": {
        this.#w.startObject();
        this.#w.name(t.name);
        this.#w.startArray();
        for (const v of t.vars) this.type(v.type, 0, data.subarray(v.offset, v.offset + v.size), depth + 1);
        this.#w.endArray();
        this.#w.endObject();
        return;
      }
      case "TYPEDEF": case "VOLATILE": case "CONST": case "RESTRICT": case "TYPE_TAG":
        return this.type(t.type, bitOffset, data, depth + 1);
      case "FWD":
        this.#w.raw("(fwd-kind-invalid)");
        return;
      default:
        this.#w.raw("(unsupported-kind)");
    }
  }

  /** A bitfield of `bits` bits starting `bitOffset` bits into `data`: hex, as btf_int128_print. */
  #bitfield(bits: number, bitOffset: number, data: Uint8Array): void {
    const bytes = Math.ceil((bitOffset + bits) / 8);
    const v = (readUnsigned(data, bytes) >> BigInt(bitOffset)) & ((1n << BigInt(bits)) - 1n);
    const hex = `0x${v.toString(16)}`;
    this.#w.raw(this.#plain ? hex : `"${hex}"`);
  }

  #int(t: Extract<BtfType, { kind: "INT" }>, bitOffset: number, data: Uint8Array): void {
    if (t.bits === 128) {
      this.#bitfield(128, 0, data);
      return;
    }
    const total = bitOffset + t.bitOffset;
    if (total !== 0 || t.bits % 8 !== 0) {
      this.#bitfield(t.bits, total % 8, data.subarray(Math.floor(total / 8)));
      return;
    }
    const size = t.bits / 8;
    if (t.bool) {
      this.#w.raw(readUnsigned(data, size) !== 0n ? "true" : "false");
    } else if (t.char) {
      const c = data[0] ?? 0;
      if (isPrint(c)) this.#w.raw(JSON.stringify(String.fromCharCode(c)));
      else if (this.#plain) this.#w.raw(`0x${c.toString(16)}`);
      else this.#w.raw(`"\\u00${c.toString(16).padStart(2, "0")}"`);
    } else if (t.signed) {
      this.#w.raw(readSigned(data, size).toString());
    } else {
      this.#w.raw(readUnsigned(data, size).toString());
    }
  }

  #ptr(data: Uint8Array): void {
    const v = readUnsigned(data, 8);
    // printf("%p") in plain text ("(nil)" for NULL), "%lu" in JSON.
    if (this.#plain) this.#w.raw(v === 0n ? "(nil)" : `0x${v.toString(16)}`);
    else this.#w.raw(v.toString());
  }

  #float(size: number, data: Uint8Array): void {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const v = size === 4 ? view.getFloat32(0, true) : size === 8 ? view.getFloat64(0, true) : NaN;
    this.#w.raw(Number.isFinite(v) ? v.toFixed(6) : String(v));
  }

  #enum(t: Extract<BtfType, { kind: "ENUM" | "ENUM64" }>, data: Uint8Array): void {
    const raw = t.signed ? readSigned(data, t.size) : readUnsigned(data, t.size);
    for (const e of t.values) {
      const ev = typeof e.value === "bigint" ? e.value : BigInt(e.value);
      if (ev === raw || BigInt.asUintN(t.size * 8, ev) === BigInt.asUintN(t.size * 8, raw)) {
        this.#w.string(e.name);
        return;
      }
    }
    this.#w.raw(readSigned(data, t.size).toString());
  }

  /** A char array holding a NUL-terminated printable string prints as a string (is_str_array). */
  #isString(elemId: number, nelems: number, data: Uint8Array): boolean {
    if (nelems === 0) return false;
    let elem = this.#btf.typeById(elemId);
    while (elem.kind === "VOLATILE" || elem.kind === "CONST" || elem.kind === "RESTRICT" || elem.kind === "TYPE_TAG") {
      elem = this.#btf.typeById(elem.type);
    }
    if (elem.kind !== "INT" || elem.size !== 1 || (!elem.char && elem.name !== "char")) return false;
    for (let i = 0; i < nelems && i < data.length; i++) {
      const c = data[i]!;
      if (c === 0) return true;
      if (c <= 0x1f || c >= 0x7f) return false;
    }
    return false;
  }

  #array(t: Extract<BtfType, { kind: "ARRAY" }>, data: Uint8Array, depth: number): void {
    if (this.#isString(t.type, t.nelems, data)) {
      const end = data.indexOf(0);
      this.#w.string(String.fromCharCode(...data.subarray(0, end)));
      return;
    }
    const elemSize = this.#btf.sizeOf(t.type);
    this.#w.startArray();
    for (let i = 0; i < t.nelems; i++) this.type(t.type, 0, data.subarray(i * elemSize, (i + 1) * elemSize), depth + 1);
    this.#w.endArray();
  }

  #struct(t: Extract<BtfType, { kind: "STRUCT" | "UNION" }>, data: Uint8Array, depth: number): void {
    this.#w.startObject();
    for (const m of t.members) {
      const byteOff = Math.floor(m.bitOffset / 8);
      const bitOff = m.bitOffset % 8;
      this.#w.name(m.name);
      if (m.bitfieldSize) this.#bitfield(m.bitfieldSize, bitOff, data.subarray(byteOff));
      else this.type(m.type, bitOff, data.subarray(byteOff), depth + 1);
    }
    this.#w.endObject();
  }
}
