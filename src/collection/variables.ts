// Variable: a global variable of a loaded collection, read and written in
// place through the mmap of its data map (shared with the running programs,
// no syscall per access), or through map lookup/update when not mmapable.
import type { Map as BpfMap } from "../map.js";
import type { MapMemory } from "../map/mmap.js";
import type { VariableSpec } from "../object/variables.js";
import { ClosedError, InvalidArgumentError } from "../sys/errors.js";
import { describeValue } from "../sys/arguments.js";

const ZERO_KEY = new Uint8Array(4);

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
  readonly #map: BpfMap;
  readonly #memory: MapMemory | undefined;

  /** @internal Built by Collection.load. */
  constructor(spec: VariableSpec, map: BpfMap, memory: MapMemory | undefined) {
    this.name = spec.name;
    this.offset = spec.offset;
    this.size = spec.size;
    this.readOnly = spec.readOnly;
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

  /** The value as an unsigned (or signed) little-endian integer of the variable's size. */
  getBigInt(signed = false): bigint {
    const b = this.get();
    let v = 0n;
    for (let i = b.byteLength - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    return signed ? BigInt.asIntN(this.size * 8, v) : v;
  }

  /** The value as a number (InvalidArgumentError above 2^53). */
  getNumber(signed = false): number {
    const v = this.getBigInt(signed);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new InvalidArgumentError(`variable '${this.name}': ${v} does not fit in a number; use getBigInt()`, "value");
    }
    return Number(v);
  }

  /** Writes bytes of exactly the variable's size, or an integer (little-endian). `.rodata` variables refuse. */
  set(value: Uint8Array | number | bigint | boolean): void {
    if (this.readOnly) throw new InvalidArgumentError(`variable '${this.name}' is in .rodata, frozen at load: set it on the ObjectSpec before loading`, "value");
    const memory = this.#open();
    let bytes: Uint8Array;
    if (typeof value === "number" && !Number.isInteger(value)) {
      throw new InvalidArgumentError(`variable '${this.name}': ${value} is not an integer`, "value");
    }
    if (value instanceof Uint8Array) {
      if (value.byteLength !== this.size) throw new InvalidArgumentError(`variable '${this.name}' is ${this.size} bytes, got ${value.byteLength}`, "value");
      bytes = value;
    } else if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") {
      const v = typeof value === "boolean" ? (value ? 1n : 0n) : BigInt(value);
      const bits = BigInt(this.size * 8);
      if (this.size > 8 || v < -(1n << (bits - 1n)) || v >= 1n << bits) throw new InvalidArgumentError(`variable '${this.name}': ${v} does not fit in ${this.size} bytes`, "value");
      let u = BigInt.asUintN(Number(bits), v);
      bytes = new Uint8Array(this.size);
      for (let i = 0; i < this.size; i++, u >>= 8n) bytes[i] = Number(u & 0xffn);
    } else {
      throw new InvalidArgumentError(`variable '${this.name}': expected a Uint8Array of ${this.size} bytes, an integer, a bigint or a boolean (got ${describeValue(value)})`, "value");
    }
    if (memory) {
      memory.bytes.set(bytes, this.offset);
      return;
    }
    const whole = this.#map.lookup(ZERO_KEY);
    whole.set(bytes, this.offset);
    this.#map.update(ZERO_KEY, whole);
  }
}
