// Just enough BTF to annotate a disassembly: the string table (source lines
// and file names of line info) and function signatures in bpftool's
// btf_dumper_type_only style. The full BTF model lives in src/btf; this stays
// here so the disassembler has no dependency on it (and works on any blob).
import { InvalidArgumentError } from "../sys/errors.js";

const BTF_MAGIC = 0xeb9f;

const enum Kind {
  UNKN = 0, INT = 1, PTR = 2, ARRAY = 3, STRUCT = 4, UNION = 5, ENUM = 6, FWD = 7, TYPEDEF = 8, VOLATILE = 9,
  CONST = 10, RESTRICT = 11, FUNC = 12, FUNC_PROTO = 13, VAR = 14, DATASEC = 15, FLOAT = 16, DECL_TAG = 17,
  TYPE_TAG = 18, ENUM64 = 19,
}

/** Bytes that follow the 12-byte common header, per kind and vlen. */
function extraBytes(kind: number, vlen: number): number {
  switch (kind) {
    case Kind.INT: case Kind.VAR: case Kind.DECL_TAG: return 4;
    case Kind.ARRAY: return 12;
    case Kind.STRUCT: case Kind.UNION: case Kind.DATASEC: case Kind.ENUM64: return 12 * vlen;
    case Kind.ENUM: case Kind.FUNC_PROTO: return 8 * vlen;
    default: return 0;
  }
}

/** bpftool sizes its signature buffer at 1024 bytes and prints nothing when it overflows. */
const SIGNATURE_LIMIT = 1024;

/** A minimal, read-only view of one standalone BTF blob (e.g. a program's BTF). */
export class BtfLite {
  readonly #view: DataView;
  readonly #strOff: number;
  readonly #strLen: number;
  /** Byte offset of each type record; index = type id (0 = void, unused). */
  readonly #typeOffsets: number[] = [0];
  readonly #decoder = new TextDecoder();

  /** Parses the header and indexes type records; throws InvalidArgumentError for bytes that are not BTF. */
  constructor(bytes: Uint8Array) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const v = this.#view;
    if (bytes.byteLength < 24 || v.getUint16(0, true) !== BTF_MAGIC) {
      throw new InvalidArgumentError("not a little-endian BTF blob (bad magic)", "btf");
    }
    const hdrLen = v.getUint32(4, true);
    const typeOff = hdrLen + v.getUint32(8, true);
    const typeLen = v.getUint32(12, true);
    this.#strOff = hdrLen + v.getUint32(16, true);
    this.#strLen = v.getUint32(20, true);
    if (typeOff + typeLen > bytes.byteLength || this.#strOff + this.#strLen > bytes.byteLength) {
      throw new InvalidArgumentError("BTF sections exceed the blob", "btf");
    }
    for (let pos = typeOff; pos < typeOff + typeLen;) {
      this.#typeOffsets.push(pos);
      const info = v.getUint32(pos + 4, true);
      pos += 12 + extraBytes((info >>> 24) & 0x1f, info & 0xffff);
    }
  }

  /** Number of types, including void. */
  get typeCount(): number {
    return this.#typeOffsets.length;
  }

  /** The NUL-terminated string at `offset` of the string section, or undefined when out of range. */
  name(offset: number): string | undefined {
    if (offset >= this.#strLen) return undefined;
    const bytes = new Uint8Array(this.#view.buffer, this.#view.byteOffset + this.#strOff + offset, this.#strLen - offset);
    const end = bytes.indexOf(0);
    return this.#decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
  }

  /**
   * A type (typically a FUNC) rendered as bpftool renders it above each
   * function of a dump: "int handle(struct ctx * ctx)". Empty when bpftool
   * would print nothing (unknown kinds, overlong signatures).
   */
  signature(typeId: number): string {
    try {
      const s = this.#typeOnly(typeId);
      return s.length >= SIGNATURE_LIMIT ? "" : s;
    } catch {
      return "";
    }
  }

  #typeOnly(id: number): string {
    if (id === 0) return "void ";
    const pos = this.#typeOffsets[id];
    if (pos === undefined) throw new RangeError(`no BTF type ${id}`);
    const v = this.#view;
    const nameOff = v.getUint32(pos, true);
    const info = v.getUint32(pos + 4, true);
    const ref = v.getUint32(pos + 8, true);
    const name = (): string => this.name(nameOff) ?? "(null)";
    switch ((info >>> 24) & 0x1f) {
      case Kind.INT: case Kind.TYPEDEF: case Kind.FLOAT: return `${name()} `;
      case Kind.STRUCT: return `struct ${name()} `;
      case Kind.UNION: return `union ${name()} `;
      case Kind.ENUM: case Kind.ENUM64: return `enum ${name()} `;
      case Kind.ARRAY: return `${this.#typeOnly(v.getUint32(pos + 12, true))}[${v.getInt32(pos + 20, true)}]`;
      case Kind.PTR: return `${this.#typeOnly(ref)}* `;
      case Kind.FWD: return `${info >>> 31 ? "union" : "struct"} ${name()} `;
      case Kind.VOLATILE: return `volatile ${this.#typeOnly(ref)}`;
      case Kind.CONST: return `const ${this.#typeOnly(ref)}`;
      case Kind.RESTRICT: return `restrict ${this.#typeOnly(ref)}`;
      case Kind.FUNC_PROTO: return this.#func(pos, undefined);
      case Kind.FUNC: {
        const proto = this.#typeOffsets[ref];
        if (proto === undefined) throw new RangeError(`no BTF type ${ref}`);
        return this.#func(proto, name());
      }
      case Kind.VAR: return `${v.getUint32(pos + 12, true) === 0 ? "static " : ""}${this.#typeOnly(ref)} ${name()}`;
      case Kind.DATASEC: return `section ("${name()}") `;
      default: throw new RangeError("kind not printable");
    }
  }

  #func(protoPos: number, funcName: string | undefined): string {
    const v = this.#view;
    const info = v.getUint32(protoPos + 4, true);
    let s = this.#typeOnly(v.getUint32(protoPos + 8, true)) + (funcName === undefined ? "(" : `${funcName}(`);
    const vlen = info & 0xffff;
    for (let i = 0; i < vlen; i++) {
      const paramName = v.getUint32(protoPos + 12 + 8 * i, true);
      const paramType = v.getUint32(protoPos + 16 + 8 * i, true);
      if (i) s += ", ";
      if (paramType === 0) {
        s += "...";
        continue;
      }
      s += this.#typeOnly(paramType);
      if (paramName) s += this.name(paramName) ?? "(null)";
      else if (s.endsWith(" ")) s = s.slice(0, -1); // unnamed parameter: no dangling space
    }
    return `${s})`;
  }
}
