// Encoder: model types → raw BTF bytes. Output is deterministic: types in the
// given order, strings deduplicated in order of first use. For split BTF,
// type ids and string offsets continue from the base, and strings the base
// already has are referenced there (as libbpf does).
import { BtfError } from "./errors.js";
import type { Btf } from "./btf.js";
import { BtfKindId, infoWord } from "./kinds.js";
import { assembleBtf } from "./header.js";
import { BtfStringAppender } from "./string-appender.js";
import type { BtfType, BtfTypeInput } from "./types.js";
import { RAW } from "./mapped-bytes.js";

/** Options of encodeBtf. */
export interface BtfEncodeOptions {
  /** Encode split BTF on top of this base: the first type gets id `base.lastId + 1`. */
  base?: Btf;
  /** Byte order of the output; default little-endian. */
  littleEndian?: boolean;
}

const linkageValue = { static: 0, global: 1, extern: 2 } as const;
const baseStrings = new WeakMap<Btf, Map<string, number>>();

/** Encodes types (in id order, without void) into a raw BTF blob. Throws BtfError for values BTF cannot hold. */
export function encodeBtf(types: Iterable<BtfType | BtfTypeInput>, options: BtfEncodeOptions = {}): Uint8Array {
  const base = options.base;
  // Without a base, the section starts with the empty string at offset 0.
  const strings = base
    ? new BtfStringAppender(new Uint8Array(0), { start: base.strings.end, known: stringsOf(base) })
    : new BtfStringAppender(new Uint8Array(1));
  const w = new WordWriter();
  for (const t of types) encodeType(t, w, strings);
  return assembleBtf(w.words, w.length, strings.finish(), { littleEndian: options.littleEndian ?? true });
}

function encodeType(t: BtfType | BtfTypeInput, w: WordWriter, s: BtfStringAppender): void {
  const name = s.add(t.name);
  const head = (kind: number, vlen: number, kindFlag: boolean, sizeOrType: number): void => {
    if (vlen > 0xffff) throw new BtfError(`${t.kind} '${t.name}' has ${vlen} entries; BTF allows at most 65535`);
    w.push(name, infoWord(kind, vlen, kindFlag), u32(sizeOrType, t));
  };
  switch (t.kind) {
    case "VOID":
      throw new BtfError("void (id 0) is implicit and cannot be encoded");
    case "INT":
      head(BtfKindId.INT, 0, t.kindFlag, t.size);
      w.push(((t.signed ? 1 : 0) | (t.char ? 2 : 0) | (t.bool ? 4 : 0)) << 24 | (t.bitOffset & 0xff) << 16 | (t.bits & 0xff));
      return;
    case "PTR": head(BtfKindId.PTR, 0, t.kindFlag, t.type); return;
    case "TYPEDEF": head(BtfKindId.TYPEDEF, 0, t.kindFlag, t.type); return;
    case "VOLATILE": head(BtfKindId.VOLATILE, 0, t.kindFlag, t.type); return;
    case "CONST": head(BtfKindId.CONST, 0, t.kindFlag, t.type); return;
    case "RESTRICT": head(BtfKindId.RESTRICT, 0, t.kindFlag, t.type); return;
    case "TYPE_TAG": head(BtfKindId.TYPE_TAG, 0, t.kindFlag, t.type); return;
    case "ARRAY":
      head(BtfKindId.ARRAY, 0, t.kindFlag, 0);
      w.push(u32(t.type, t), u32(t.indexType, t), u32(t.nelems, t));
      return;
    case "STRUCT":
    case "UNION": {
      const bitfields = t.kindFlag || t.members.some((m) => m.bitfieldSize !== 0);
      head(t.kind === "STRUCT" ? BtfKindId.STRUCT : BtfKindId.UNION, t.members.length, bitfields, t.size);
      for (const m of t.members) {
        if (bitfields && (m.bitOffset > 0xff_ffff || m.bitfieldSize > 0xff)) {
          throw new BtfError(`member '${m.name}' of '${t.name}': bit offset ${m.bitOffset} or bitfield size ${m.bitfieldSize} does not fit`);
        }
        w.push(s.add(m.name), u32(m.type, t), bitfields ? (m.bitfieldSize << 24) | m.bitOffset : u32(m.bitOffset, t));
      }
      return;
    }
    case "ENUM":
      head(BtfKindId.ENUM, t.values.length, t.signed, t.size);
      for (const v of t.values) w.push(s.add(v.name), v.value >>> 0);
      return;
    case "ENUM64":
      head(BtfKindId.ENUM64, t.values.length, t.signed, t.size);
      for (const v of t.values) {
        const u = BigInt.asUintN(64, v.value);
        w.push(s.add(v.name), Number(u & 0xffff_ffffn), Number(u >> 32n));
      }
      return;
    case "FWD": head(BtfKindId.FWD, 0, t.fwdKind === "union", 0); return;
    case "FUNC": head(BtfKindId.FUNC, linkageOf(t), t.kindFlag, t.type); return;
    case "FUNC_PROTO":
      head(BtfKindId.FUNC_PROTO, t.params.length, t.kindFlag, t.returnType);
      for (const p of t.params) w.push(s.add(p.name), u32(p.type, t));
      return;
    case "VAR":
      head(BtfKindId.VAR, 0, t.kindFlag, t.type);
      w.push(linkageOf(t));
      return;
    case "DATASEC":
      head(BtfKindId.DATASEC, t.vars.length, t.kindFlag, t.size);
      for (const v of t.vars) w.push(u32(v.type, t), u32(v.offset, t), u32(v.size, t));
      return;
    case "FLOAT": head(BtfKindId.FLOAT, 0, t.kindFlag, t.size); return;
    case "DECL_TAG":
      head(BtfKindId.DECL_TAG, 0, t.kindFlag, t.type);
      w.push(t.componentIndex >>> 0);
      return;
    default:
      throw new BtfError(`cannot encode unknown kind ${(t as { kind: string }).kind}`);
  }
}

/** The linkage name wins, except for values newer than this library (kept as the raw number). */
function linkageOf(t: { linkage: keyof typeof linkageValue; linkageValue?: number }): number {
  return t.linkageValue !== undefined && t.linkageValue > 2 ? t.linkageValue : linkageValue[t.linkage];
}

function u32(v: number, t: { kind: string; name: string }): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new BtfError(`${t.kind} '${t.name}': value ${v} does not fit in 32 bits`);
  return v;
}

/** A growable host-order u32 buffer. */
class WordWriter {
  words = new Uint32Array(1024);
  length = 0;
  push(...values: number[]): void {
    if (this.length + values.length > this.words.length) {
      const bigger = new Uint32Array(this.words.length * 2 + values.length);
      bigger.set(this.words);
      this.words = bigger;
    }
    for (const v of values) this.words[this.length++] = v;
  }
}

/** Every string of a BTF (and its bases), first offset wins; built once per base. */
function stringsOf(btf: Btf): Map<string, number> {
  let map = baseStrings.get(btf);
  if (map) return map;
  map = btf.base ? new Map(stringsOf(btf.base)) : new Map<string, number>();
  const bytes = btf.strings[RAW];
  const decoder = new TextDecoder();
  let p = 0;
  while (p < bytes.byteLength) {
    const end = bytes.indexOf(0, p);
    if (end < 0) break;
    const s = decoder.decode(bytes.subarray(p, end));
    if (!map.has(s)) map.set(s, btf.strings.start + p);
    p = end + 1;
  }
  baseStrings.set(btf, map);
  return map;
}
