// A small builder for synthetic target BTF: declare kernel-like types in a
// few lines, encode them with tsbpf's encoder, and get both the parsed Btf
// and the raw bytes (written to a file, they are libbpf's btf_custom_path).
import { encodeBtf } from "../../../src/btf/encode.js";
import { Btf } from "../../../src/btf/btf.js";
import type { BtfTypeInput } from "../../../src/btf/types.js";

/** A member as written in a test: name, type id, bit offset and optional bitfield width. */
export type MemberSpec = [name: string, type: number, bitOffset: number, bitfieldSize?: number];

/** Builds a type list; each method returns the new type's id. */
export class TargetBtfBuilder {
  readonly types: BtfTypeInput[] = [];

  add(t: BtfTypeInput): number {
    this.types.push(t);
    return this.types.length;
  }

  int(name: string, size: number, signed: boolean): number {
    return this.add({ kind: "INT", name, kindFlag: false, size, signed, char: false, bool: false, bitOffset: 0, bits: size * 8 });
  }

  ptr(type: number): number {
    return this.add({ kind: "PTR", name: "", kindFlag: false, type });
  }

  typedef(name: string, type: number): number {
    return this.add({ kind: "TYPEDEF", name, kindFlag: false, type });
  }

  array(type: number, nelems: number, indexType: number): number {
    return this.add({ kind: "ARRAY", name: "", kindFlag: false, type, indexType, nelems });
  }

  struct(name: string, size: number, members: MemberSpec[], kind: "STRUCT" | "UNION" = "STRUCT"): number {
    return this.add({
      kind, name, kindFlag: members.some((m) => (m[3] ?? 0) > 0), size,
      members: members.map(([n, type, bitOffset, bitfieldSize]) => ({ name: n, type, bitOffset, bitfieldSize: bitfieldSize ?? 0 })),
    });
  }

  enum(name: string, values: [string, number][], signed = false, size = 4): number {
    return this.add({ kind: "ENUM", name, kindFlag: signed, size, signed, values: values.map(([n, value]) => ({ name: n, value })) });
  }

  enum64(name: string, values: [string, bigint][], signed = false): number {
    return this.add({ kind: "ENUM64", name, kindFlag: signed, size: 8, signed, values: values.map(([n, value]) => ({ name: n, value })) });
  }

  /** Raw BTF bytes and the parsed Btf. */
  build(): { bytes: Uint8Array; btf: Btf } {
    const bytes = encodeBtf(this.types);
    return { bytes, btf: new Btf(bytes) };
  }
}
