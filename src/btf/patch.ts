// The one BTF patcher: rewrites an object's BTF into what a kernel accepts,
// in place, record by record. Every record keeps its size and place, so type
// ids stay valid, and the string table is only appended to, so string
// offsets stay valid too: .BTF.ext func_info/line_info and map key/value ids
// keep pointing where they did. Two kinds of change, applied in this order:
// - fix-ups computed from the object (DATASEC sizes and offsets, linkage,
//   libbpf's dummy ksym variable; see object/btf-fixup.ts);
// - sanitising for a kernel that lacks some BTF kinds, following libbpf's
//   bpf_object__sanitize_btf (which kernel has which: features/btf-kinds.ts).
import type { Btf } from "./btf.js";
import { BtfError } from "./errors.js";
import { assembleBtf, hostLittleEndian } from "./header.js";
import { RAW } from "./mapped-bytes.js";
import { Kind, infoWord, kindOf, recordWords, vlenOf } from "./kinds.js";
import { BtfStringAppender } from "./string-appender.js";
import type { BtfType } from "./types.js";

/** Which BTF kinds (and kind features) the target kernel's BTF loader accepts. */
export interface BtfKindSupport {
  /** BTF_KIND_FUNC and BTF_KIND_FUNC_PROTO. */
  func: boolean;
  /** BTF_KIND_FUNC with global linkage. */
  globalFunc: boolean;
  /** BTF_KIND_VAR and BTF_KIND_DATASEC. */
  datasec: boolean;
  /** DATASEC names starting with '?' such as "?.data". */
  qmarkDatasec: boolean;
  /** BTF_KIND_FLOAT. */
  float: boolean;
  /** BTF_KIND_DECL_TAG. */
  declTag: boolean;
  /** BTF_KIND_TYPE_TAG. */
  typeTag: boolean;
  /** BTF_KIND_ENUM64 and signed enums (kind_flag on ENUM). */
  enum64: boolean;
}

/** What patchBtf changes. */
export interface BtfPatchOptions {
  /**
   * Records to overwrite, by id. Only what keeps the record's length is
   * written: DATASEC size and entries, VAR type and linkage, FUNC linkage,
   * FUNC_PROTO parameter names (only the name DUMMY_KSYM is ever new).
   */
  readonly replaced?: ReadonlyMap<number, BtfType>;
  /** VARs appended after the last type (libbpf's dummy ksym variable, named DUMMY_KSYM). */
  readonly appended?: readonly BtfType[];
  /**
   * The target kernel's BTF support: kinds it lacks are rewritten into kinds
   * it has (see sanitize below). Omitted: nothing is sanitised.
   */
  readonly supported?: BtfKindSupport;
}

/** Name of libbpf's stand-in VAR for extern functions in `.ksyms` (and of unnamed ksym parameters). */
export const DUMMY_KSYM = "dummy_ksym";
/** Name of the 1-byte int libbpf appends as the member type of ENUM64 stand-in unions. */
export const ENUM64_PLACEHOLDER = "enum64_placeholder";

/** True when BTF for a kernel with `s` needs no sanitising at all. */
export function supportsAllKinds(s: BtfKindSupport): boolean {
  return s.func && s.globalFunc && s.datasec && s.qmarkDatasec && s.float && s.declTag && s.typeTag && s.enum64;
}

/** `btf` (own types only, not split BTF) with the patches written over its records, in the host byte order. */
export function patchBtf(btf: Btf, options: BtfPatchOptions): Uint8Array {
  if (btf.base) throw new BtfError("patchBtf takes an object's BTF, not split BTF");
  const appended = options.appended ?? [];
  // The uncopied records and strings (the public getters copy a read-only mapping): only read, then copied into the result.
  const own = btf[RAW].words;
  const strings = new BtfStringAppender(btf.strings[RAW]);
  // Room for the appended VARs and, when sanitising, ENUM64's placeholder int.
  const words = new Uint32Array(own.length + appended.length * 4 + (options.supported ? 4 : 0));
  words.set(own);
  let length = own.length;
  for (const t of options.replaced?.values() ?? []) replaceRecord(words, btf.recordStart(t.id), t, strings);
  for (const t of appended) {
    if (t.kind !== "VAR") continue;
    words.set([strings.add(t.name), infoWord(Kind.Var, 0), t.type, t.linkageValue], length);
    length += 4;
  }
  if (options.supported && !supportsAllKinds(options.supported)) length = sanitize(words, length, strings, options.supported);
  return assembleBtf(words, length, strings.finish(), { littleEndian: hostLittleEndian, flags: btf.header.flags });
}

/** Writes the length-preserving fields of `t` over its record at word `at`. */
function replaceRecord(words: Uint32Array, at: number, t: BtfType, strings: BtfStringAppender): void {
  switch (t.kind) {
    case "DATASEC":
      words[at + 2] = t.size;
      t.vars.forEach((v, i) => words.set([v.type, v.offset, v.size], at + 3 + i * 3));
      break;
    case "VAR":
      words[at + 2] = t.type;
      words[at + 3] = t.linkageValue;
      break;
    case "FUNC":
      words[at + 1] = ((words[at + 1] as number) & 0xffff_0000) | t.linkageValue;
      break;
    case "FUNC_PROTO":
      t.params.forEach((p, i) => {
        if (p.name === DUMMY_KSYM) words[at + 3 + i * 2] = strings.add(DUMMY_KSYM);
      });
      break;
    default:
      break;
  }
}

/**
 * Rewrites what the kernel does not support in `out[0..length)`, following
 * libbpf's bpf_object__sanitize_btf choices:
 * - no VAR/DATASEC: VAR → 1-byte INT, DATASEC → STRUCT whose members are its
 *   variables (named after them; '.'/'?' in the section name → '_');
 * - no '?' DATASEC names: leading '?' → '_';
 * - no FUNC/FUNC_PROTO: FUNC → TYPEDEF, FUNC_PROTO → 4-byte ENUM with the
 *   parameters as enumerators (unnamed ones named `__param<i>`);
 * - no global FUNC linkage: linkage → static;
 * - no FLOAT: an anonymous empty STRUCT of the same size;
 * - no DECL_TAG: a 1-byte INT (also a tag whose target was rewritten);
 * - no TYPE_TAG: an anonymous CONST;
 * - no ENUM64: ENUM kind_flag (signedness) cleared; each ENUM64 becomes a
 *   UNION of its size whose members (named after the enumerators) are an
 *   appended 1-byte INT "enum64_placeholder".
 * Returns the new length in words (`out` has room for the placeholder).
 */
function sanitize(out: Uint32Array, length: number, strings: BtfStringAppender, support: BtfKindSupport): number {
  // Decisions read the records as they were before sanitising.
  const src = out.slice(0, length);
  const starts: number[] = [0];
  for (let pos = 0; pos < length; pos += recordWords(kindOf(src[pos + 1] as number), vlenOf(src[pos + 1] as number))) starts.push(pos);
  const count = starts.length - 1;
  const placeholderId = count + 1;
  let needPlaceholder = false;
  const kindAt = (id: number): number => (id > 0 && id <= count ? kindOf(src[starts[id]! + 1] as number) : 0);
  const oneByteInt = (at: number): void => {
    // libbpf: 1 byte, as 4 could exceed the original variable. Name kept.
    out.set([infoWord(Kind.Int, 0), 1, 8], at + 1);
  };

  for (let id = 1; id <= count; id++) {
    const at = starts[id]!;
    const kind = kindOf(src[at + 1] as number);
    const vlen = vlenOf(src[at + 1] as number);
    switch (kind) {
      case Kind.Var:
        if (!support.datasec) oneByteInt(at);
        break;
      case Kind.DeclTag: {
        // A tag on a type that becomes something untaggable must go too.
        const target = kindAt(src[at + 2] as number);
        if (!support.declTag || (!support.datasec && target === Kind.Var) || (!support.func && target === Kind.Func)) oneByteInt(at);
        break;
      }
      case Kind.Datasec: {
        const name = strings.at(src[at] as number);
        if (!support.datasec) {
          out[at] = strings.add(name.replace(/[.?]/g, "_"));
          out[at + 1] = infoWord(Kind.Struct, vlen);
          for (let j = 0; j < vlen; j++) {
            const m = at + 3 + j * 3;
            const varType = src[m] as number;
            const varName = varType > 0 && varType <= count ? (src[starts[varType]!] as number) : 0;
            out.set([varName, varType, (src[m + 1] as number) * 8], m);
          }
        } else if (!support.qmarkDatasec && name.startsWith("?")) {
          out[at] = strings.add(`_${name.slice(1)}`);
        }
        break;
      }
      case Kind.FuncProto:
        if (!support.func) {
          out[at + 1] = infoWord(Kind.Enum, vlen);
          out[at + 2] = 4;
          // Params {name, type} become enumerators {name, value}. Unlike
          // libbpf, unnamed params (prototypes of pointers, `...`) get a name:
          // kernels since 5.0 refuse enumerators without a valid one.
          for (let j = 0; j < vlen; j++) {
            const p = at + 3 + j * 2;
            if (src[p] === 0) out[p] = strings.add(`__param${j}`);
          }
        }
        break;
      case Kind.Func:
        if (!support.func) out[at + 1] = infoWord(Kind.Typedef, 0);
        else if (!support.globalFunc) out[at + 1] = infoWord(Kind.Func, 0);
        break;
      case Kind.Float:
        if (!support.float) out.set([0, infoWord(Kind.Struct, 0)], at);
        break;
      case Kind.TypeTag:
        if (!support.typeTag) out.set([0, infoWord(Kind.Const, 0)], at);
        break;
      case Kind.Enum:
        if (!support.enum64) out[at + 1] = infoWord(Kind.Enum, vlen);
        break;
      case Kind.Enum64:
        if (!support.enum64) {
          // Same record size: each 12-byte value becomes a 12-byte member at offset 0.
          needPlaceholder = true;
          out[at + 1] = infoWord(Kind.Union, vlen);
          for (let j = 0; j < vlen; j++) out.set([placeholderId, 0], at + 4 + j * 3);
        }
        break;
      default:
        break;
    }
  }
  if (!needPlaceholder) return length;
  // [placeholderId] int "enum64_placeholder", 1 byte, unsigned, 8 bits.
  out.set([strings.add(ENUM64_PLACEHOLDER), infoWord(Kind.Int, 0), 1, 8], length);
  return length + 4;
}
