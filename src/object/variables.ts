// VariableSpec: a global variable of a data section, read and written in the
// section's initial bytes before load (how `.rodata` configuration is set).
import type { Btf } from "../btf/btf.js";
import { InvalidArgumentError } from "../sys/errors.js";
import type { ObjectMapSpec } from "./map-spec.js";
import type { ElfObject } from "./elf-object.js";
import { datasecLayout } from "./datasec.js";

/** A global variable of `.data`, `.rodata`, `.bss` (or their custom variants). */
export class VariableSpec {
  /** Variable name (the C identifier). */
  readonly name: string;
  /** Key of the map holding it in ObjectSpec.maps (its section name, e.g. ".rodata"). */
  readonly sectionName: string;
  /** Byte offset in the section. */
  readonly offset: number;
  /** Size in bytes. */
  readonly size: number;
  /** BTF id of the variable's type (0 when the object has no BTF for it). */
  readonly typeId: number;
  /** True for static (file-local) variables. */
  readonly isStatic: boolean;
  readonly #map: ObjectMapSpec;
  readonly #littleEndian: boolean;

  /** @internal Built by ObjectSpec.parse. */
  constructor(init: { name: string; offset: number; size: number; typeId: number; isStatic: boolean; map: ObjectMapSpec; littleEndian: boolean }) {
    this.name = init.name;
    this.sectionName = init.map.sectionName;
    this.offset = init.offset;
    this.size = init.size;
    this.typeId = init.typeId;
    this.isStatic = init.isStatic;
    this.#map = init.map;
    this.#littleEndian = init.littleEndian;
  }

  /** True when the program cannot change it at run time (`.rodata*`): set it here, before load. */
  get readOnly(): boolean {
    return this.#map.kind === "rodata";
  }

  #bytes(): Uint8Array {
    const init = this.#map.initialValue;
    if (!init || init.byteLength < this.offset + this.size) {
      throw new InvalidArgumentError(`variable '${this.name}': the initial value of map '${this.sectionName}' is missing or shorter than ${this.offset + this.size} bytes`, "initialValue");
    }
    return init.subarray(this.offset, this.offset + this.size);
  }

  /** A copy of the variable's current bytes. */
  get(): Uint8Array {
    return this.#bytes().slice();
  }

  /** The value as an integer of the variable's size (1, 2, 4 or 8 bytes). */
  getBigInt(signed = false): bigint {
    const view = this.#intView();
    const le = this.#littleEndian;
    switch (this.size) {
      case 1: return BigInt(signed ? view.getInt8(0) : view.getUint8(0));
      case 2: return BigInt(signed ? view.getInt16(0, le) : view.getUint16(0, le));
      case 4: return BigInt(signed ? view.getInt32(0, le) : view.getUint32(0, le));
      default: return signed ? view.getBigInt64(0, le) : view.getBigUint64(0, le);
    }
  }

  /** The value as a number (InvalidArgumentError when it exceeds 2^53). */
  getNumber(signed = false): number {
    const v = this.getBigInt(signed);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new InvalidArgumentError(`variable '${this.name}': value ${v} does not fit in a number; use getBigInt()`, "value");
    }
    return Number(v);
  }

  /**
   * Writes the variable: bytes of exactly its size, or an integer/boolean
   * encoded in the object's byte order (the variable must be 1, 2, 4 or 8 bytes).
   */
  set(value: Uint8Array | number | bigint | boolean): void {
    const target = this.#bytes();
    if (value instanceof Uint8Array) {
      if (value.byteLength !== this.size) {
        throw new InvalidArgumentError(`variable '${this.name}' is ${this.size} bytes, got ${value.byteLength}`, "value");
      }
      target.set(value);
      return;
    }
    let v: bigint;
    if (typeof value === "boolean") v = value ? 1n : 0n;
    else if (typeof value === "number") {
      if (!Number.isInteger(value)) throw new InvalidArgumentError(`variable '${this.name}': ${value} is not an integer`, "value");
      v = BigInt(value);
    } else v = value;
    const bits = BigInt(this.size * 8);
    if (v < -(1n << (bits - 1n)) || v >= 1n << bits) {
      throw new InvalidArgumentError(`variable '${this.name}': ${v} does not fit in ${this.size} bytes`, "value");
    }
    const view = this.#intView();
    const u = BigInt.asUintN(Number(bits), v);
    const le = this.#littleEndian;
    switch (this.size) {
      case 1: view.setUint8(0, Number(u)); break;
      case 2: view.setUint16(0, Number(u), le); break;
      case 4: view.setUint32(0, Number(u), le); break;
      default: view.setBigUint64(0, u, le);
    }
  }

  #intView(): DataView {
    if (this.size !== 1 && this.size !== 2 && this.size !== 4 && this.size !== 8) {
      throw new InvalidArgumentError(`variable '${this.name}' is ${this.size} bytes; only 1, 2, 4 and 8-byte variables convert to and from numbers`, "value");
    }
    const b = this.#bytes();
    return new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
}

/** Variables of global-data maps: from their BTF DATASEC (offsets fixed up as libbpf does), else from ELF OBJECT symbols. */
export function readVariables(obj: ElfObject, btf: Btf | undefined, maps: readonly ObjectMapSpec[]): Map<string, VariableSpec> {
  const out = new Map<string, VariableSpec>();
  const littleEndian = obj.byteOrder === "le";
  for (const map of maps) {
    if (map.kind !== "data" && map.kind !== "rodata" && map.kind !== "bss") continue;
    const section = obj.sectionByName(map.sectionName);
    if (!section) continue;
    const layout = datasecLayout(obj, btf, section);
    const entries = layout
      ? layout.vars.map((v) => ({ name: v.name, offset: v.offset, size: v.size, typeId: v.typeId, isStatic: v.isStatic }))
      : obj.symbols
        .filter((s) => s.sectionIndex === section.index && s.type === "object")
        .map((s) => ({ name: s.name, offset: Number(s.value), size: Number(s.size), typeId: 0, isStatic: s.binding === "local" }));
    for (const e of entries) {
      if (!e.name || out.has(e.name) || e.size === 0 || e.offset + e.size > map.valueSize) continue;
      out.set(e.name, new VariableSpec({ ...e, map, littleEndian }));
    }
  }
  return out;
}
