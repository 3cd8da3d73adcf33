// VariableSpec: a global variable of a data section, read and written in the
// section's initial bytes before load (how `.rodata` configuration is set).
// Values convert through the one scalar codec (btf/scalar-codec.ts), in the
// object's byte order; the live Variable uses the same codec in host order.
import type { Btf } from "../btf/btf.js";
import { ScalarCodec, type ScalarInput, type ScalarKind, type ScalarValue } from "../btf/scalar-codec.js";
import { BtfCodec } from "../btf/codec/index.js";
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
  /** @internal How values convert (shared with the live Variable built from this spec). */
  readonly codec: ScalarCodec;
  /** @internal The object's BTF (typed read/write; undefined without BTF). */
  readonly btf: Btf | undefined;
  readonly #map: ObjectMapSpec;
  readonly #littleEndian: boolean;
  #typed: BtfCodec | undefined;

  /** @internal Built by ObjectSpec.parse; without `btf` (or with typeId 0) the value is untyped. */
  constructor(init: { name: string; offset: number; size: number; typeId: number; isStatic: boolean; map: ObjectMapSpec; littleEndian: boolean; btf?: Btf | undefined }) {
    this.name = init.name;
    this.sectionName = init.map.sectionName;
    this.offset = init.offset;
    this.size = init.size;
    this.typeId = init.typeId;
    this.isStatic = init.isStatic;
    this.codec = ScalarCodec.of(`variable '${init.name}'`, init.size, init.btf, init.typeId);
    this.btf = init.btf;
    this.#map = init.map;
    this.#littleEndian = init.littleEndian;
  }

  /** True when the program cannot change it at run time (`.rodata*`): set it here, before load. */
  get readOnly(): boolean {
    return this.#map.kind === "rodata";
  }

  /** What the BTF type says the value is (int, char, bool, enum, pointer; untyped without BTF or for non-scalars). */
  get kind(): ScalarKind {
    return this.codec.kind;
  }

  /** Whether the C type is signed: the default of getBigInt/getNumber. */
  get signed(): boolean {
    return this.codec.signed;
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

  /** The value as an integer of the variable's size (1, 2, 4 or 8 bytes); `signed` defaults to the C type's signedness. */
  getBigInt(signed = this.codec.signed): bigint {
    return this.codec.decode(this.#bytes(), this.#littleEndian, signed);
  }

  /** The value as a number (InvalidArgumentError when it is beyond 2^53: use getBigInt). */
  getNumber(signed = this.codec.signed): number {
    return this.codec.decodeNumber(this.#bytes(), this.#littleEndian, signed);
  }

  /** The value as its type reads: a boolean for bool, a bigint for pointers and integers beyond 2^53, else a number. */
  getValue(): ScalarValue {
    return this.codec.decodeValue(this.#bytes(), this.#littleEndian);
  }

  /**
   * The value decoded through its BTF type, in the object's byte order: a
   * struct as an object, an array as an array, char[N] as a string, u64 as a
   * bigint … (the mapping of docs/guides/typed-data.md). InvalidArgumentError
   * for a variable without a BTF type (use get()).
   */
  read<T = unknown>(): T {
    return this.#typedCodec<T>().decode(this.#bytes());
  }

  /**
   * Writes `value` through the variable's BTF type (the inverse of read()):
   * members left out are zero; a value that does not fit is an
   * InvalidArgumentError naming the member, and nothing is written then.
   */
  write<T = unknown>(value: T): void {
    const bytes = this.#typedCodec<T>().encode(value);
    this.#bytes().set(bytes.subarray(0, this.size));
  }

  /** @internal The BtfCodec of the variable's type in `littleEndian` order (InvalidArgumentError without one). */
  typedCodec<T>(littleEndian: boolean): BtfCodec<T> {
    if (!this.btf || this.typeId === 0) {
      throw new InvalidArgumentError(`variable '${this.name}' has no BTF type to decode with (the object has no BTF for it): use get()/set() with bytes`, "typeId");
    }
    return BtfCodec.of<T>(this.btf, this.typeId, { littleEndian });
  }

  #typedCodec<T>(): BtfCodec<T> {
    this.#typed ??= this.typedCodec(this.#littleEndian);
    return this.#typed as BtfCodec<T>;
  }

  /**
   * Writes the variable: bytes of exactly its size, or an integer/boolean that
   * fits its C type, encoded in the object's byte order (1, 2, 4 or 8-byte
   * variables). InvalidArgumentError for anything else; nothing is written then.
   */
  set(value: ScalarInput): void {
    const target = this.#bytes();
    target.set(this.codec.encode(value, this.#littleEndian));
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
      out.set(e.name, new VariableSpec({ ...e, map, littleEndian, btf }));
    }
  }
  return out;
}
