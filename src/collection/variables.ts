// Variable: a global variable of a loaded collection, read and written in
// place through the mmap of its data map (shared with the running programs,
// no syscall per access), or through map lookup/update when not mmapable.
// Values convert through the spec's codec (btf/scalar-codec.ts) in host byte
// order, the order the kernel keeps them in.
import { endianness } from "node:os";
import type { Map as BpfMap } from "../map.js";
import type { MapMemory } from "../map/mmap.js";
import type { VariableSpec } from "../object/variables.js";
import type { ScalarCodec, ScalarInput, ScalarKind, ScalarValue } from "../btf/scalar-codec.js";
import { ClosedError, InvalidArgumentError } from "../sys/errors.js";
import type { BtfCodec } from "../btf/codec/index.js";

const ZERO_KEY = new Uint8Array(4);
const HOST_LITTLE_ENDIAN = endianness() === "LE";

/** A live global variable (`.data`, `.bss`: read/write; `.rodata`: read-only after load). */
export class Variable {
  /** The C name. */
  readonly name: string;
  /** Byte offset in its data map's value. */
  readonly offset: number;
  /** Size in bytes. */
  readonly size: number;
  /** True for `.rodata` variables (frozen at load). */
  readonly readOnly: boolean;
  /** Key of its data map in Collection.maps (the section name, e.g. ".data"). */
  readonly sectionName: string;
  /** BTF id of the variable's type in the object's BTF (0 when untyped). */
  readonly typeId: number;
  readonly #map: BpfMap;
  readonly #memory: MapMemory | undefined;
  readonly #codec: ScalarCodec;
  readonly #spec: VariableSpec;
  #typed: BtfCodec | undefined;

  /** @internal Built by Collection.load. */
  constructor(spec: VariableSpec, map: BpfMap, memory: MapMemory | undefined) {
    this.name = spec.name;
    this.offset = spec.offset;
    this.size = spec.size;
    this.readOnly = spec.readOnly;
    this.sectionName = spec.sectionName;
    this.typeId = spec.typeId;
    this.#codec = spec.codec;
    this.#spec = spec;
    this.#map = map;
    this.#memory = memory;
  }

  /** True when reads/writes go through shared memory (no syscall). */
  get mapped(): boolean {
    return this.#memory !== undefined;
  }

  /** The mapped memory, or undefined when not mmapable; ClosedError once the collection is closed. */
  #open(): MapMemory | undefined {
    if (this.#memory?.closed || this.#map.fd.closed) throw new ClosedError(`the collection of variable '${this.name}'`);
    return this.#memory;
  }

  /** A copy of the current bytes. */
  get(): Uint8Array {
    const memory = this.#open();
    if (memory) return memory.read(this.offset, this.size);
    return this.#map.lookup(ZERO_KEY).slice(this.offset, this.offset + this.size);
  }

  /**
   * A DataView over the variable in the mapped memory (aliases kernel memory;
   * undefined when not mmapable). For `.rodata` variables, whose pages are
   * mapped read-only, a view of a copy: writing there changes nothing.
   */
  view(): DataView | undefined {
    const memory = this.#open();
    return memory ? new DataView(memory.buffer, this.offset, this.size) : undefined;
  }

  /** What the BTF type says the value is (int, char, bool, enum, pointer; untyped without BTF or for non-scalars). */
  get kind(): ScalarKind {
    return this.#codec.kind;
  }

  /** Whether the C type is signed: the default of getBigInt/getNumber. */
  get signed(): boolean {
    return this.#codec.signed;
  }

  /** The value as an integer of the variable's size (1, 2, 4 or 8 bytes); `signed` defaults to the C type's signedness. */
  getBigInt(signed = this.#codec.signed): bigint {
    return this.#codec.decode(this.get(), HOST_LITTLE_ENDIAN, signed);
  }

  /** The value as a number (InvalidArgumentError when it is beyond 2^53: use getBigInt). */
  getNumber(signed = this.#codec.signed): number {
    return this.#codec.decodeNumber(this.get(), HOST_LITTLE_ENDIAN, signed);
  }

  /** The value as its type reads: a boolean for bool, a bigint for pointers and integers beyond 2^53, else a number. */
  getValue(): ScalarValue {
    return this.#codec.decodeValue(this.get(), HOST_LITTLE_ENDIAN);
  }

  /**
   * Writes bytes of exactly the variable's size, or an integer/boolean that fits
   * its C type (host byte order), where the programs see it at once. `.rodata`
   * variables refuse; InvalidArgumentError for a value that does not fit, and
   * nothing is written then.
   */
  set(value: ScalarInput): void {
    this.#checkWritable();
    this.#store(this.#codec.encode(value, HOST_LITTLE_ENDIAN));
  }

  /**
   * The value decoded through its BTF type (host byte order), read in place
   * from the mapped memory: a struct as an object, an array as an array,
   * char[N] as a string, u64 as a bigint … (docs/guides/typed-data.md).
   * InvalidArgumentError for a variable without a BTF type (use get()).
   */
  read<T = unknown>(): T {
    const codec = this.#typedCodec<T>();
    const memory = this.#open();
    if (memory) return codec.decode(memory.bytes, this.offset, this.size);
    return codec.decode(this.get());
  }

  /**
   * Writes `value` through the variable's BTF type, where the programs see
   * it at once (members left out are zero). `.rodata` variables refuse (write
   * them on the VariableSpec before load); a value that does not fit is an
   * InvalidArgumentError naming the member, and nothing is written then.
   */
  write<T = unknown>(value: T): void {
    this.#checkWritable();
    this.#store(this.#typedCodec<T>().encode(value).subarray(0, this.size));
  }

  #typedCodec<T>(): BtfCodec<T> {
    this.#typed ??= this.#spec.typedCodec(HOST_LITTLE_ENDIAN);
    return this.#typed as BtfCodec<T>;
  }

  #checkWritable(): void {
    if (this.readOnly) throw new InvalidArgumentError(`variable '${this.name}' is in .rodata, frozen at load: set it on the ObjectSpec before loading`, "value");
  }

  /** Writes the variable's bytes (exactly its size) to the mapping, or with a map update. */
  #store(bytes: Uint8Array): void {
    const memory = this.#open();
    if (memory) {
      memory.bytes.set(bytes, this.offset);
      return;
    }
    const whole = this.#map.lookup(ZERO_KEY);
    whole.set(bytes, this.offset);
    this.#map.update(ZERO_KEY, whole);
  }
}
