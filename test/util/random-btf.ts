// Random, well-formed BTF for the codec's property test: every scalar kind,
// then arrays, char and byte arrays, structs (with bitfields, anonymous
// struct/union members and flexible array members), unions and typedefs,
// each laid out as a C compiler would (natural alignment, bitfields packed
// within their base type's storage unit). Member names are unique across the
// whole BTF, so flattening anonymous members never clashes.
import { Btf } from "../../src/btf/btf.js";
import { encodeBtf } from "../../src/btf/encode.js";
import type { BtfMember, BtfTypeInput } from "../../src/btf/types.js";
import type { Rng } from "../fuzz/mutate.js";

interface Info {
  readonly size: number;
  readonly align: number;
  /** An integer, enum or bool of these bytes: may be a bitfield's base. */
  readonly bitfieldBase: boolean;
  /** A struct with a flexible array member (only usable as a root). */
  readonly flexible: boolean;
  readonly composite: boolean;
}

/** A random BTF and the ids of its types (every type is a value type the codec can express). */
export interface RandomBtf {
  readonly btf: Btf;
  readonly ids: readonly number[];
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Builds about `count` composite types on top of the scalars. */
export function randomBtf(rng: Rng, count: number, littleEndian = true): RandomBtf {
  const types: BtfTypeInput[] = [];
  const info: Info[] = [];
  let names = 0;
  const add = (t: BtfTypeInput, i: Info): number => {
    types.push(t);
    info.push(i);
    return types.length;
  };
  const scalar = (size: number, bitfieldBase = true): Info => ({ size, align: Math.min(size, 8), bitfieldBase, flexible: false, composite: false });
  const int = (name: string, size: number, signed: boolean, extra: { char?: boolean; bool?: boolean } = {}): number =>
    add({ kind: "INT", name, kindFlag: false, size, signed, char: extra.char ?? false, bool: extra.bool ?? false, bitOffset: 0, bits: size * 8 }, scalar(size));
  const u32 = int("unsigned int", 4, false);
  const scalars = [
    int("unsigned char", 1, false), int("signed char", 1, true), int("unsigned short", 2, false), int("short", 2, true), u32,
    int("int", 4, true), int("long long unsigned int", 8, false), int("long long int", 8, true),
    int("unsigned __int128", 16, false), int("__int128", 16, true), int("_Bool", 1, false, { bool: true }),
    add({ kind: "FLOAT", name: "float", kindFlag: false, size: 4 }, scalar(4, false)),
    add({ kind: "FLOAT", name: "double", kindFlag: false, size: 8 }, scalar(8, false)),
    add({ kind: "ENUM", name: "e1", kindFlag: true, size: 4, signed: true, values: [{ name: "E1_NEG", value: -3 }, { name: "E1_POS", value: 9 }] }, scalar(4)),
    add({ kind: "ENUM", name: "e2", kindFlag: false, size: 2, signed: false, values: [{ name: "E2_A", value: 1 }] }, scalar(2)),
    add({ kind: "ENUM64", name: "e3", kindFlag: false, size: 8, signed: false, values: [{ name: "E3_BIG", value: 0x1_0000_0000n }] }, scalar(8)),
    add({ kind: "PTR", name: "", kindFlag: false, type: 0 }, scalar(8, false)),
    // `long` tells the Btf its pointer size.
    int("long", 8, true),
  ];
  const char = int("char", 1, true);
  const u8 = add({ kind: "TYPEDEF", name: "__u8", kindFlag: false, type: scalars[0] as number }, scalar(1));
  const pool: number[] = [...scalars, char, u8];
  const usable = (): number => {
    for (;;) {
      const id = rng.pick(pool);
      if (!(info[id - 1] as Info).flexible) return id;
    }
  };

  for (let k = 0; k < count; k++) {
    switch (rng.below(7)) {
      case 0: { // array of any type (0..4 elements; multi-dimensional when the element is an array)
        const elem = usable();
        const e = info[elem - 1] as Info;
        const nelems = rng.below(5);
        pool.push(add({ kind: "ARRAY", name: "", kindFlag: false, type: elem, indexType: u32, nelems }, { ...e, size: e.size * nelems, bitfieldBase: false, composite: false }));
        break;
      }
      case 1: { // char[N] or __u8[N]
        const nelems = 1 + rng.below(24);
        pool.push(add({ kind: "ARRAY", name: "", kindFlag: false, type: rng.below(2) ? char : u8, indexType: u32, nelems }, { size: nelems, align: 1, bitfieldBase: false, flexible: false, composite: false }));
        break;
      }
      case 2: { // typedef or const of something
        const target = usable();
        const t = rng.below(2) ? { kind: "TYPEDEF" as const, name: `t${names++}`, kindFlag: false, type: target } : { kind: "CONST" as const, name: "", kindFlag: false, type: target };
        pool.push(add(t, info[target - 1] as Info));
        break;
      }
      default: { // struct or union
        const union = rng.below(4) === 0;
        const anonymous = rng.below(4) === 0;
        const n = 1 + rng.below(6);
        const members: BtfMember[] = [];
        let bit = 0;
        let maxAlign = 1;
        let size = 0;
        for (let i = 0; i < n; i++) {
          let type = usable();
          let ti = info[type - 1] as Info;
          // Anonymous members: only anonymous composites, which is what flattening needs.
          const name = `m${names++}`;
          let bitfieldSize = 0;
          if (ti.bitfieldBase && rng.below(3) === 0) bitfieldSize = 1 + rng.below(ti.size * 8);
          const flexibleHere = !union && i === n - 1 && rng.below(6) === 0;
          if (flexibleHere) {
            const elem = type;
            const arr = add({ kind: "ARRAY", name: "", kindFlag: false, type: elem, indexType: u32, nelems: 0 }, { ...ti, size: 0, bitfieldBase: false, composite: false });
            type = arr;
            ti = info[arr - 1] as Info;
            bitfieldSize = 0;
          }
          maxAlign = Math.max(maxAlign, ti.align);
          let offset: number;
          if (union) offset = 0;
          else if (bitfieldSize > 0) {
            const unit = ti.size * 8;
            if (Math.floor(bit / unit) !== Math.floor((bit + bitfieldSize - 1) / unit)) bit = alignUp(bit, unit);
            offset = bit;
            bit += bitfieldSize;
          } else {
            bit = alignUp(bit, ti.align * 8);
            offset = bit;
            bit += ti.size * 8;
          }
          size = Math.max(size, union ? (bitfieldSize > 0 ? Math.ceil(bitfieldSize / 8) : ti.size) : Math.ceil(bit / 8));
          const anonMember = ti.composite && !flexibleHere && bitfieldSize === 0 && rng.below(3) === 0;
          members.push({ name: anonMember ? "" : name, type, bitOffset: offset, bitfieldSize });
          if (flexibleHere) break;
        }
        const last = members[members.length - 1];
        const flexible = !union && last !== undefined && isZeroLengthArray(types, last.type);
        size = alignUp(size, maxAlign);
        const id = add(
          { kind: union ? "UNION" : "STRUCT", name: anonymous ? "" : `s${names++}`, kindFlag: true, size, members },
          { size, align: maxAlign, bitfieldBase: false, flexible, composite: true },
        );
        pool.push(id);
      }
    }
  }
  const btf = new Btf(encodeBtf(types, { littleEndian }));
  return { btf, ids: pool };
}

/** Whether `id` is (through typedefs and qualifiers) an array of 0 elements: as a struct's last member, a flexible array member. */
function isZeroLengthArray(types: readonly BtfTypeInput[], id: number): boolean {
  for (let t = types[id - 1]; t !== undefined; t = types[(t as { type: number }).type - 1]) {
    if (t.kind === "ARRAY") return t.nelems === 0;
    if (t.kind !== "TYPEDEF" && t.kind !== "CONST") return false;
  }
  return false;
}
