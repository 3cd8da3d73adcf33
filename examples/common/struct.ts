// Decoding the C structs a BPF program writes into a ring buffer, at the
// member offsets the object's own BTF gives (so the decoder follows the C).
import type { Btf } from "../../src/index.js";

const text = new TextDecoder();

/** Member offsets (bytes) and the size of struct `name` in `btf`. */
export function structLayout(btf: Btf | undefined, name: string): { offsets: Map<string, number>; sizes: Map<string, number>; size: number } {
  const struct = btf?.typeByName(name, "STRUCT");
  if (!struct) throw new Error(`the object's BTF has no struct ${name}`);
  const offsets = new Map<string, number>();
  const members = struct.members;
  const sizes = new Map<string, number>();
  members.forEach((m, i) => {
    offsets.set(m.name, m.bitOffset / 8);
    const next = i + 1 < members.length ? members[i + 1]!.bitOffset / 8 : struct.size;
    sizes.set(m.name, next - m.bitOffset / 8);
  });
  return { offsets, sizes, size: struct.size };
}

/** A reader of one struct's members from a record. */
export class StructReader {
  readonly #offsets: Map<string, number>;
  readonly #sizes: Map<string, number>;
  readonly size: number;
  #bytes: Uint8Array = new Uint8Array(0);
  #view: DataView = new DataView(new ArrayBuffer(0));

  constructor(btf: Btf | undefined, name: string) {
    const layout = structLayout(btf, name);
    this.#offsets = layout.offsets;
    this.#sizes = layout.sizes;
    this.size = layout.size;
  }

  /** Points the reader at a record (valid until the next call). */
  at(bytes: Uint8Array): this {
    if (bytes.byteLength < this.size) throw new Error(`short record: ${bytes.byteLength} of ${this.size} bytes`);
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return this;
  }

  #offset(member: string): number {
    const o = this.#offsets.get(member);
    if (o === undefined) throw new Error(`no member '${member}'`);
    return o;
  }

  u32(member: string): number {
    return this.#view.getUint32(this.#offset(member), true);
  }

  i32(member: string): number {
    return this.#view.getInt32(this.#offset(member), true);
  }

  u64(member: string): bigint {
    return this.#view.getBigUint64(this.#offset(member), true);
  }

  /** A NUL-terminated char array member. */
  string(member: string): string {
    const start = this.#offset(member);
    const field = this.#bytes.subarray(start, start + this.#sizes.get(member)!);
    const end = field.indexOf(0);
    return text.decode(end < 0 ? field : field.subarray(0, end));
  }

  /** Raw bytes of a member. */
  bytes(member: string): Uint8Array {
    const start = this.#offset(member);
    return this.#bytes.subarray(start, start + this.#sizes.get(member)!);
  }
}
