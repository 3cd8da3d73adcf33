// Attr buffers: a small typed view over the C structs passed to bpf(2),
// perf_event_open(2) and friends. Layouts themselves live in layouts.ts.
import { native } from "./native.js";
import { InvalidArgumentError } from "./errors.js";

/** One field of a C struct: byte offset and width. */
export interface FieldDef {
  readonly offset: number;
  readonly size: 1 | 2 | 4 | 8 | 16;
}

/** A C struct layout; `size` is the size passed to the kernel. */
export interface Layout<F extends string = string> {
  readonly name: string;
  readonly size: number;
  readonly fields: { readonly [K in F]: FieldDef };
}

/** Defines a named attr layout of `size` bytes from its fields (offsets, sizes); a field past `size` is an InvalidArgumentError. */
export function defineLayout<F extends string>(
  name: string,
  size: number,
  fields: { readonly [K in F]: FieldDef },
): Layout<F> {
  for (const [field, def] of Object.entries<FieldDef>(fields)) {
    if (def.offset + def.size > size) throw new InvalidArgumentError(`layout ${name}: field ${field} exceeds size ${size}`, field);
  }
  return { name, size, fields };
}

/** Shorthands for field definitions. */
export const u8 = (offset: number): FieldDef => ({ offset, size: 1 });
export const u16 = (offset: number): FieldDef => ({ offset, size: 2 });
export const u32 = (offset: number): FieldDef => ({ offset, size: 4 });
export const u64 = (offset: number): FieldDef => ({ offset, size: 8 });
/** A char[16] name field. */
export const name16 = (offset: number): FieldDef => ({ offset, size: 16 });

/** Allocates zeroed bytes whose address never moves (backed by an off-heap ArrayBuffer). */
export function stableBytes(size: number): Uint8Array {
  return new Uint8Array(new ArrayBuffer(Math.max(size, 1)), 0, size);
}

/** Address of a buffer's first byte as a JS number (user addresses fit in 53 bits). */
export function addressOf(buf: ArrayBufferView | ArrayBuffer): number {
  return Number(native.address(buf));
}

const encoder = new TextEncoder();

/**
 * A reusable, zero-initialised attr buffer for one layout. Its address is
 * computed once, on first use (modules build attrs at import, and importing
 * must not load the native addon), so hot paths pass a plain number to the
 * syscall.
 */
export class Attr<F extends string> {
  readonly layout: Layout<F>;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  #address: number | undefined;

  constructor(layout: Layout<F>, size = layout.size) {
    this.layout = layout;
    this.bytes = stableBytes(size);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, size);
  }

  /** Address of the attr bytes, for the syscall. */
  get address(): number {
    return (this.#address ??= addressOf(this.bytes));
  }

  /** The attr's size in bytes (what the syscall is told). */
  get size(): number {
    return this.bytes.byteLength;
  }

  /** Clears every byte (the kernel requires unused attr bytes to be zero). */
  zero(): this {
    this.bytes.fill(0);
    return this;
  }

  /** Writes an integer field (bigint for 64-bit values beyond 2^53). */
  set(field: F, value: number | bigint | boolean): this {
    const def = this.layout.fields[field];
    const v = typeof value === "boolean" ? (value ? 1 : 0) : value;
    switch (def.size) {
      case 1: this.view.setUint8(def.offset, Number(v)); break;
      case 2: this.view.setUint16(def.offset, Number(v), true); break;
      case 4: this.view.setUint32(def.offset, Number(v) >>> 0, true); break;
      case 8:
        if (typeof v === "bigint") this.view.setBigUint64(def.offset, BigInt.asUintN(64, v), true);
        else setU64(this.view, def.offset, v);
        break;
      default: throw new InvalidArgumentError(`field ${field} is not an integer`, field);
    }
    return this;
  }

  /** Writes a pointer to `buf` (or NULL) into a 64-bit field. */
  setPointer(field: F, buf: ArrayBufferView | ArrayBuffer | null | undefined): this {
    return this.set(field, buf ? addressOf(buf) : 0);
  }

  /** Writes a NUL-padded string into a fixed-size char array field. */
  setString(field: F, s: string): this {
    const def = this.layout.fields[field];
    const b = encoder.encode(s);
    this.bytes.fill(0, def.offset, def.offset + def.size);
    this.bytes.set(b.subarray(0, def.size - 1), def.offset);
    return this;
  }

  /** Reads an integer field of up to 32 bits, or a 64-bit field as a number. */
  get(field: F): number {
    const def = this.layout.fields[field];
    switch (def.size) {
      case 1: return this.view.getUint8(def.offset);
      case 2: return this.view.getUint16(def.offset, true);
      case 4: return this.view.getUint32(def.offset, true);
      case 8: return getU64(this.view, def.offset);
      default: throw new InvalidArgumentError(`field ${field} is not an integer`, field);
    }
  }

  /**
   * The non-zero field at the highest offset. When bpf(2) fails with E2BIG
   * the kernel found non-zero bytes past its own bpf_attr, so this is the
   * field it most likely does not know.
   */
  lastNonZeroField(): string | undefined {
    let best: [string, number] | undefined;
    for (const [name, def] of Object.entries<FieldDef>(this.layout.fields)) {
      const bytes = this.bytes.subarray(def.offset, def.offset + def.size);
      if (bytes.some((b) => b !== 0) && (!best || def.offset > best[1])) best = [name, def.offset];
    }
    return best?.[0];
  }

  /** Reads a 64-bit field exactly. */
  getBig(field: F): bigint {
    return this.view.getBigUint64(this.layout.fields[field].offset, true);
  }
}

/** Writes a non-negative integer < 2^64 as little-endian u64 without BigInt. */
export function setU64(view: DataView, offset: number, v: number): void {
  view.setUint32(offset, v % 0x1_0000_0000, true);
  view.setUint32(offset + 4, Math.floor(v / 0x1_0000_0000), true);
}

/** Reads a little-endian u64 as a number (exact below 2^53). */
export function getU64(view: DataView, offset: number): number {
  return view.getUint32(offset, true) + view.getUint32(offset + 4, true) * 0x1_0000_0000;
}
