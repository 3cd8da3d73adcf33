// Decodes one type record (host-order u32 words) into a model object.
// Referenced ids are checked against the last valid id, so consumers of the
// model never see a dangling id.
import { BtfError } from "./errors.js";
import { BtfKindId as K, kindFlagOf, kindNames, kindOf, vlenOf } from "./kinds.js";
import type { StringTable } from "./strings.js";
import type { BtfMember, BtfType, FuncLinkage, VarLinkage } from "./types.js";

const linkages: readonly FuncLinkage[] = ["static", "global", "extern"];

/** What decoding needs from the owning Btf. */
export interface DecodeContext {
  readonly strings: StringTable;
  /** Highest valid type id. */
  readonly lastId: number;
}

/** Decodes the type with `id` whose record starts at word `at`. */
export function decodeType(ctx: DecodeContext, w: Uint32Array, id: number, at: number): BtfType {
  const info = w[at + 1] as number;
  const kind = kindOf(info);
  const vlen = vlenOf(info);
  const kindFlag = kindFlagOf(info);
  const name = ctx.strings.get(w[at] as number);
  const sizeOrType = w[at + 2] as number;
  const p = at + 3;
  const last = ctx.lastId;
  const strings = ctx.strings;
  // Inlined bound check of referenced ids; the slow path builds the message.
  const ref = (t: number, what: string): number => (t <= last ? t : badRef(id, kind, name, what, t, last));
  const str = (off: number): string => strings.get(off);
  switch (kind) {
    case K.INT: {
      const enc = w[p] as number;
      return {
        id, kind: "INT", name, kindFlag, size: sizeOrType,
        signed: (enc & 0x0100_0000) !== 0, char: (enc & 0x0200_0000) !== 0, bool: (enc & 0x0400_0000) !== 0,
        bitOffset: (enc >>> 16) & 0xff, bits: enc & 0xff,
      };
    }
    case K.PTR: return { id, kind: "PTR", name, kindFlag, type: ref(sizeOrType, "pointee") };
    case K.TYPEDEF: return { id, kind: "TYPEDEF", name, kindFlag, type: ref(sizeOrType, "target") };
    case K.VOLATILE: return { id, kind: "VOLATILE", name, kindFlag, type: ref(sizeOrType, "target") };
    case K.CONST: return { id, kind: "CONST", name, kindFlag, type: ref(sizeOrType, "target") };
    case K.RESTRICT: return { id, kind: "RESTRICT", name, kindFlag, type: ref(sizeOrType, "target") };
    case K.TYPE_TAG: return { id, kind: "TYPE_TAG", name, kindFlag, type: ref(sizeOrType, "target") };
    case K.ARRAY:
      return {
        id, kind: "ARRAY", name, kindFlag,
        type: ref(w[p] as number, "element type"), indexType: ref(w[p + 1] as number, "index type"), nelems: w[p + 2] as number,
      };
    case K.STRUCT:
    case K.UNION: {
      const members: BtfMember[] = [];
      for (let i = 0; i < vlen; i++) {
        const m = p + i * 3;
        const off = w[m + 2] as number;
        members.push({
          name: str(w[m] as number), type: ref(w[m + 1] as number, "member"),
          bitOffset: kindFlag ? off & 0xff_ffff : off, bitfieldSize: kindFlag ? off >>> 24 : 0,
        });
      }
      return { id, kind: kind === K.STRUCT ? "STRUCT" : "UNION", name, kindFlag, size: sizeOrType, members };
    }
    case K.ENUM: {
      const values: { name: string; value: number }[] = [];
      for (let i = 0; i < vlen; i++) {
        const v = w[p + i * 2 + 1] as number;
        values.push({ name: str(w[p + i * 2] as number), value: kindFlag ? v | 0 : v });
      }
      return { id, kind: "ENUM", name, kindFlag, size: sizeOrType, signed: kindFlag, values };
    }
    case K.ENUM64: {
      const values: { name: string; value: bigint }[] = [];
      for (let i = 0; i < vlen; i++) {
        const e = p + i * 3;
        const u = (BigInt(w[e + 2] as number) << 32n) | BigInt(w[e + 1] as number);
        values.push({ name: str(w[e] as number), value: kindFlag ? BigInt.asIntN(64, u) : u });
      }
      return { id, kind: "ENUM64", name, kindFlag, size: sizeOrType, signed: kindFlag, values };
    }
    case K.FWD: return { id, kind: "FWD", name, kindFlag, fwdKind: kindFlag ? "union" : "struct" };
    case K.FUNC:
      return {
        id, kind: "FUNC", name, kindFlag, type: ref(sizeOrType, "prototype"),
        linkage: linkages[vlen] ?? "extern", linkageValue: vlen,
      };
    case K.FUNC_PROTO: {
      const params: { name: string; type: number }[] = [];
      for (let i = 0; i < vlen; i++) {
        params.push({ name: str(w[p + i * 2] as number), type: ref(w[p + i * 2 + 1] as number, "parameter") });
      }
      return { id, kind: "FUNC_PROTO", name, kindFlag, returnType: ref(sizeOrType, "return type"), params };
    }
    case K.VAR: {
      const l = w[p] as number;
      return {
        id, kind: "VAR", name, kindFlag, type: ref(sizeOrType, "variable type"),
        linkage: (linkages[l] ?? "extern") as VarLinkage, linkageValue: l,
      };
    }
    case K.DATASEC: {
      const vars: { type: number; offset: number; size: number }[] = [];
      for (let i = 0; i < vlen; i++) {
        const v = p + i * 3;
        vars.push({ type: ref(w[v] as number, "variable"), offset: w[v + 1] as number, size: w[v + 2] as number });
      }
      return { id, kind: "DATASEC", name, kindFlag, size: sizeOrType, vars };
    }
    case K.FLOAT: return { id, kind: "FLOAT", name, kindFlag, size: sizeOrType };
    case K.DECL_TAG:
      return { id, kind: "DECL_TAG", name, kindFlag, type: ref(sizeOrType, "tagged type"), componentIndex: (w[p] as number) | 0 };
    default:
      throw new BtfError(`type [${id}] has unknown kind ${kind}`);
  }
}

function badRef(id: number, kind: number, name: string, what: string, t: number, last: number): never {
  throw new BtfError(`type [${id}] ${kindNames[kind]} '${name}': ${what} refers to type ${t}, past the last type ${last}`);
}
