// C text for single types: declarators (`int (*f[4])(void *)`), struct,
// union and enum bodies, forward declarations and typedefs, printed the way
// libbpf's btf_dump prints them (bpftool's output is reproduced byte for
// byte). Works on the raw view and writes bytes: this runs for every
// member of every type in vmlinux.
import type { ByteSink } from "./byte-sink.js";
import type { LayoutCache } from "./layout-cache.js";
import type { TypeNames } from "./naming.js";
import { writeBitPadding } from "./padding.js";
import { Kind, type RawView } from "./raw-view.js";
import { describeRawType } from "./validate.js";
import { BtfError } from "../errors.js";

/** Padding one dump may print at least, whatever the size of its BTF. */
const MIN_PADDING_LIMIT_BYTES = 1 << 20;

/** Prints declarations of BTF types as C. */
export class CDeclarations {
  readonly #raw: RawView;
  readonly #names: TypeNames;
  readonly #layout: LayoutCache;
  readonly #out: ByteSink;
  /**
   * The declarator chain being printed: ids from the outermost type inwards.
   * Nested declarators (function parameters) stack their frames on top.
   */
  #stack = new Int32Array(256);
  /** Per type id: whether its declarator prefix is cached (see typeDecl). */
  readonly #simple: Uint8Array;
  /** Cached prefixes live in one arena: [#prefixAt[id], +#prefixLen[id]). */
  #arena = new Uint8Array(1 << 16);
  #arenaUsed = 0;
  readonly #prefixAt: Int32Array;
  readonly #prefixLen: Int32Array;
  #top = 0;
  readonly #paddingLimitBytes: number;
  #paddingBudgetBits: number;

  constructor(raw: RawView, names: TypeNames, layout: LayoutCache, out: ByteSink) {
    this.#raw = raw;
    this.#names = names;
    this.#layout = layout;
    this.#out = out;
    this.#simple = new Uint8Array(raw.lastId + 1);
    this.#prefixAt = new Int32Array(raw.lastId + 1);
    this.#prefixLen = new Int32Array(raw.lastId + 1);
    this.#paddingLimitBytes = Math.max(MIN_PADDING_LIMIT_BYTES, 16 * raw.byteLength);
    this.#paddingBudgetBits = this.#paddingLimitBytes * 8;
  }

  /** The de-duplicated tag name (struct/union/enum/fwd); nothing for anonymous types. */
  #tagName(id: number): void {
    const off = this.#raw.nameOff(id);
    if (off === 0) return;
    const out = this.#out;
    out.name(off);
    const dups = this.#names.tagSuffix(id);
    if (dups > 1) {
      out.text("___");
      out.uint(dups);
    }
  }

  /** The de-duplicated typedef name. */
  identName(id: number): void {
    const off = this.#raw.nameOff(id);
    if (off === 0) return;
    const out = this.#out;
    out.name(off);
    const dups = this.#names.identSuffix(id);
    if (dups > 1) {
      out.text("___");
      out.uint(dups);
    }
  }

  /** `struct name` / `union name`. */
  structFwd(id: number): void {
    this.#out.text((this.#raw.kinds[id] as number) === Kind.Struct ? "struct" : "union");
    if (this.#raw.nameOff(id) !== 0) this.#out.byte(32);
    this.#tagName(id);
  }

  /** `struct name` / `union name` for a FWD type (kind_flag: union). */
  fwdDef(id: number): void {
    this.#out.text(this.#raw.kflag(id) ? "union " : "struct ");
    this.#tagName(id);
  }

  /** `typedef <declaration of the target as name>`. */
  typedefDef(id: number, lvl: number): void {
    const raw = this.#raw;
    const target = raw.sizeOrType(id);
    // Old GCC emits __gnuc_va_list as a typedef of void; make it valid C.
    if (target === 0 && raw.equals(raw.nameOff(id), "__gnuc_va_list")) {
      this.#out.text("typedef __builtin_va_list __gnuc_va_list");
      return;
    }
    // Claim the typedef's own name before the names inside its declaration, as libbpf does.
    this.#names.identSuffix(id);
    this.#out.text("typedef ");
    this.typeDecl(target, id, NameSource.Typedef, lvl);
  }

  /** The whole body of a struct or union, with padding members and the packed attribute. */
  structDef(id: number, lvl: number): void {
    const raw = this.#raw;
    const layout = this.#layout;
    const out = this.#out;
    const w = raw.words;
    const isStruct = (raw.kinds[id] as number) === Kind.Struct;
    const size = raw.sizeOrType(id);
    const at = raw.body(id);
    const n = raw.vlen(id);
    const kflag = raw.kflag(id);
    const align = layout.alignOf(id);
    const packed = isStruct && this.#isPacked(id);
    out.text(isStruct ? "struct" : "union");
    if (raw.nameOff(id) !== 0) out.byte(32);
    this.#tagName(id);
    out.text(" {");
    const ptrSize = layout.pointerSize;
    let off = 0;
    let prevBitfield = false;
    for (let i = 0; i < n; i++) {
      const m = at + i * 3;
      const type = w[m + 1] as number;
      const rawOff = w[m + 2] as number;
      const bitfield = kflag ? rawOff >>> 24 : 0;
      const bitOff = kflag ? rawOff & 0xff_ffff : rawOff;
      // Most members follow the previous one directly: skip the padding (and alignment) work then.
      if (off < bitOff) {
        this.#spendPadding(id, bitOff - off);
        writeBitPadding(out, ptrSize, off, bitOff, packed ? 1 : layout.alignOf(type), prevBitfield && bitfield !== 0, lvl + 1);
      }
      const nameOff = w[m] as number;
      if (this.#simple[type] === Simple.Cached && nameOff !== 0) {
        // The common case in one call: newline, indent, cached type prefix, name.
        const space = (raw.kinds[type] as number) === Kind.Ptr ? 0 : 32;
        out.declLine(lvl + 1, this.#arena, this.#prefixAt[type] as number, this.#prefixLen[type] as number, space, nameOff);
      } else {
        out.byte(10);
        out.tabs(lvl + 1);
        this.typeDecl(type, m, NameSource.Member, lvl + 1);
      }
      if (bitfield !== 0) {
        out.text(": ");
        out.uint(bitfield);
        off = bitOff + bitfield;
        prevBitfield = true;
      } else {
        off = bitOff + layout.sizeOf(type) * 8;
        prevBitfield = false;
      }
      out.byte(59);
    }
    if (isStruct && off < size * 8) this.#spendPadding(id, size * 8 - off);
    if (isStruct) writeBitPadding(out, ptrSize, off, size * 8, align, false, lvl + 1);
    // `struct empty {}` stays on one line.
    if (n !== 0 || size !== 0) {
      out.byte(10);
      out.tabs(lvl);
    }
    out.byte(125);
    if (packed) out.text(" __attribute__((packed))");
  }

  /**
   * Padding lines cost ~1 output byte per struct byte: a struct that claims
   * 4 GiB would print gigabytes. Real headers pad little (vmlinux: a few
   * KiB), so one dump may pad at most max(1 MiB, 16 × the BTF's size).
   */
  #spendPadding(id: number, bits: number): void {
    this.#paddingBudgetBits -= bits;
    if (this.#paddingBudgetBits < 0) {
      throw new BtfError(
        `type ${describeRawType(this.#raw, id)}: ${Math.ceil(bits / 8)} bytes of padding take the dump past its limit ` +
          `(${this.#paddingLimitBytes} bytes of padding for ${this.#raw.byteLength} bytes of BTF): the BTF claims sizes its members do not fill`,
      );
    }
  }

  /** libbpf's btf_is_struct_packed: a member off its natural alignment, or a size that is not a multiple of it. */
  #isPacked(id: number): boolean {
    const raw = this.#raw;
    const w = raw.words;
    const at = raw.body(id);
    const n = raw.vlen(id);
    const kflag = raw.kflag(id);
    let maxAlign = 1;
    for (let i = 0; i < n; i++) {
      const align = this.#layout.alignOf(w[at + i * 3 + 1] as number);
      const off = w[at + i * 3 + 2] as number;
      // The raw offset word is compared, as libbpf does (bitfields are skipped anyway).
      if (align !== 0 && (!kflag || off >>> 24 === 0) && off % (8 * align) !== 0) return true;
      maxAlign = Math.max(align, maxAlign);
    }
    return raw.sizeOrType(id) % maxAlign !== 0;
  }

  /** `enum name`. */
  enumFwd(id: number): void {
    this.#out.text("enum ");
    this.#tagName(id);
  }

  /** `enum name { A = 1, … }` (ENUM64 values carry a ULL/LL suffix). */
  enumDef(id: number, lvl: number): void {
    const raw = this.#raw;
    const out = this.#out;
    const w = raw.words;
    out.text("enum");
    if (raw.nameOff(id) !== 0) out.byte(32);
    this.#tagName(id);
    const n = raw.vlen(id);
    if (n === 0) return;
    out.text(" {");
    const is64 = (raw.kinds[id] as number) === Kind.Enum64;
    const signed = raw.kflag(id);
    const at = raw.body(id);
    const idents = this.#names.idents;
    for (let i = 0; i < n; i++) {
      const e = at + i * (is64 ? 3 : 2);
      const nameOff = w[e] as number;
      out.byte(10);
      out.tabs(lvl + 1);
      out.name(nameOff);
      // Enumerators share the identifier namespace with typedefs.
      const dups = idents.claim(nameOff);
      if (dups > 1) {
        out.text("___");
        out.uint(dups);
      }
      out.text(" = ");
      if (!is64) {
        const v = w[e + 1] as number;
        if (signed) out.int(v | 0);
        else out.uint(v);
      } else {
        const lo = w[e + 1] as number;
        const hi = w[e + 2] as number;
        const v = hi * 0x1_0000_0000 + lo;
        if ((!signed || hi >>> 31 === 0) && v <= Number.MAX_SAFE_INTEGER) {
          out.uint(v);
        } else {
          const u = (BigInt(hi) << 32n) | BigInt(lo);
          out.text(String(signed ? BigInt.asIntN(64, u) : u));
        }
        out.text(signed ? "LL" : "ULL");
      }
      out.byte(44);
    }
    out.byte(10);
    out.tabs(lvl);
    out.byte(125);
  }

  /**
   * A declaration with type `id` of the name found at `nameRef` (see
   * NameSource): a member, parameter or typedef name, or none (abstract).
   */
  typeDecl(id: number, nameRef: number, source: NameSource, lvl: number): void {
    const raw = this.#raw;
    // Most declarations are `<qualified base type> <pointers> name`: their text
    // before the name never changes once names are resolved, so it is cached.
    const simple = this.#simple[id];
    if (simple === Simple.Cached) {
      this.#out.bytesFrom(this.#arena, this.#prefixAt[id] as number, this.#prefixLen[id] as number);
      this.#name(nameRef, source, (raw.kinds[id] as number) === Kind.Ptr);
      return;
    }
    if (simple === Simple.Unknown) {
      if (this.#isSimple(id)) {
        const mark = this.#out.mark();
        // Printed once the ordinary way (marked Complex meanwhile), then remembered.
        this.#simple[id] = Simple.Complex;
        this.typeDecl(id, 0, NameSource.None, lvl);
        this.#remember(id, mark);
        this.#name(nameRef, source, (raw.kinds[id] as number) === Kind.Ptr);
        return;
      }
      this.#simple[id] = Simple.Complex;
    }
    const w = raw.words;
    const start = this.#top;
    for (;;) {
      this.#push(id);
      if (id === 0) break;
      const kind = raw.kinds[id] as number;
      if (kind === Kind.Ptr || kind === Kind.Volatile || kind === Kind.Const || kind === Kind.Restrict || kind === Kind.TypeTag || kind === Kind.FuncProto) {
        id = raw.sizeOrType(id);
      } else if (kind === Kind.Array) {
        id = w[raw.body(id)] as number;
      } else {
        break;
      }
    }
    this.#chain({ start, cnt: this.#top - start }, nameRef, source, lvl);
    this.#top = start;
  }

  /** Stores what was printed since `mark` as the prefix of `id`. */
  #remember(id: number, mark: number): void {
    const len = this.#out.mark() - mark;
    if (this.#arenaUsed + len > this.#arena.length) {
      const bigger = new Uint8Array(Math.max(this.#arena.length * 2, this.#arenaUsed + len));
      bigger.set(this.#arena.subarray(0, this.#arenaUsed));
      this.#arena = bigger;
    }
    const n = this.#out.copySince(mark, this.#arena, this.#arenaUsed);
    if (n < 0) return;
    this.#prefixAt[id] = this.#arenaUsed;
    this.#prefixLen[id] = n;
    this.#arenaUsed += n;
    this.#simple[id] = Simple.Cached;
  }

  /** Pointers and qualifiers over a named (or plain) type: no arrays, function prototypes, type tags or inline definitions. */
  #isSimple(id: number): boolean {
    const raw = this.#raw;
    for (;;) {
      if (id === 0) return true;
      const kind = raw.kinds[id] as number;
      switch (kind) {
        case Kind.Ptr: case Kind.Const: case Kind.Volatile: case Kind.Restrict:
          id = raw.sizeOrType(id);
          continue;
        case Kind.Int: case Kind.Float: case Kind.Typedef: case Kind.Fwd:
          return true;
        case Kind.Struct: case Kind.Union: case Kind.Enum: case Kind.Enum64:
          return raw.nameOff(id) !== 0;
        default:
          return false;
      }
    }
  }

  #push(id: number): void {
    if (this.#top === this.#stack.length) {
      const bigger = new Int32Array(this.#stack.length * 2);
      bigger.set(this.#stack);
      this.#stack = bigger;
    }
    this.#stack[this.#top++] = id;
  }

  #topKind(f: Frame): number {
    return this.#raw.kinds[this.#stack[f.start + f.cnt - 1] as number] as number;
  }

  /** Prints leading qualifiers (`const volatile `) that sit right above a base type. */
  #mods(f: Frame): void {
    const out = this.#out;
    while (f.cnt > 0) {
      const k = this.#topKind(f);
      if (k === Kind.Volatile) out.text("volatile ");
      else if (k === Kind.Const) out.text("const ");
      else if (k === Kind.Restrict) out.text("restrict ");
      else return;
      f.cnt--;
    }
  }

  /** Drops qualifiers on arrays and function prototypes (GCC quirks that mean nothing in C). */
  #dropMods(f: Frame): void {
    while (f.cnt > 0) {
      const k = this.#topKind(f);
      if (k !== Kind.Volatile && k !== Kind.Const && k !== Kind.Restrict && k !== Kind.TypeTag) return;
      f.cnt--;
    }
  }

  #hasName(nameRef: number, source: NameSource): boolean {
    return source !== NameSource.None && this.#nameOffOf(nameRef, source) !== 0;
  }

  #nameOffOf(nameRef: number, source: NameSource): number {
    return source === NameSource.Typedef ? this.#raw.nameOff(nameRef) : (this.#raw.words[nameRef] as number);
  }

  /** The declared name, separated by a space unless it follows a `*`. */
  #name(nameRef: number, source: NameSource, lastWasPtr: boolean): void {
    if (!this.#hasName(nameRef, source)) return;
    if (!lastWasPtr) this.#out.byte(32);
    if (source === NameSource.Typedef) this.identName(nameRef);
    else this.#out.name(this.#raw.words[nameRef] as number);
  }

  /** Prints the declarator chain of one frame, innermost base type first. */
  #chain(f: Frame, nameRef: number, source: NameSource, lvl: number): void {
    const raw = this.#raw;
    const out = this.#out;
    const stack = this.#stack;
    // No space before a lone `*` (`int (*f)(void)`), so start as if after a pointer.
    let lastWasPtr = true;
    while (f.cnt > 0) {
      const id = stack[f.start + --f.cnt] as number;
      if (id === 0) {
        this.#mods(f);
        out.text("void");
        lastWasPtr = false;
        continue;
      }
      const kind = raw.kinds[id] as number;
      switch (kind) {
        case Kind.Int:
        case Kind.Float:
          this.#mods(f);
          out.name(raw.nameOff(id));
          break;
        case Kind.Struct:
        case Kind.Union:
          this.#mods(f);
          // Anonymous structs and unions are defined inline.
          if (raw.nameOff(id) === 0) this.structDef(id, lvl);
          else this.structFwd(id);
          break;
        case Kind.Enum:
        case Kind.Enum64:
          this.#mods(f);
          if (raw.nameOff(id) === 0) this.enumDef(id, lvl);
          else this.enumFwd(id);
          break;
        case Kind.Fwd:
          this.#mods(f);
          this.fwdDef(id);
          break;
        case Kind.Typedef:
          this.#mods(f);
          this.identName(id);
          break;
        case Kind.Ptr:
          out.text(lastWasPtr ? "*" : " *");
          break;
        case Kind.Volatile:
          out.text(" volatile");
          break;
        case Kind.Const:
          out.text(" const");
          break;
        case Kind.Restrict:
          out.text(" restrict");
          break;
        case Kind.TypeTag:
          this.#mods(f);
          out.text(' __attribute__((btf_type_tag("');
          out.name(raw.nameOff(id));
          out.text('")))');
          break;
        case Kind.Array: {
          const nelems = raw.words[raw.body(id) + 2] as number;
          this.#dropMods(f);
          if (f.cnt === 0) {
            this.#name(nameRef, source, lastWasPtr);
            out.byte(91);
            out.uint(nelems);
            out.byte(93);
            return;
          }
          const multidim = this.#topKind(f) === Kind.Array;
          if (this.#hasName(nameRef, source) && !lastWasPtr) out.byte(32);
          if (!multidim) out.byte(40);
          this.#chain(f, nameRef, source, lvl);
          if (!multidim) out.byte(41);
          out.byte(91);
          out.uint(nelems);
          out.byte(93);
          return;
        }
        case Kind.FuncProto: {
          this.#dropMods(f);
          if (f.cnt > 0) {
            out.text(" (");
            this.#chain(f, nameRef, source, lvl);
            out.byte(41);
          } else {
            this.#name(nameRef, source, lastWasPtr);
          }
          out.byte(40);
          const n = raw.vlen(id);
          const at = raw.body(id);
          const w = raw.words;
          // Clang encodes `f()` as a single void parameter: print `(void)`.
          if (n === 0 || (n === 1 && w[at + 1] === 0)) {
            out.text("void)");
            return;
          }
          for (let i = 0; i < n; i++) {
            if (i > 0) out.text(", ");
            const p = at + i * 2;
            // A trailing void parameter is `...`.
            if (i === n - 1 && w[p + 1] === 0) {
              out.text("...");
              break;
            }
            this.typeDecl(w[p + 1] as number, p, NameSource.Member, lvl);
          }
          out.byte(41);
          return;
        }
        default:
          // Kinds that cannot appear in a declarator (VAR, FUNC, …) print nothing, as in libbpf.
          return;
      }
      lastWasPtr = kind === Kind.Ptr;
    }
    this.#name(nameRef, source, lastWasPtr);
  }
}

/** Where a declarator's name comes from (avoids decoding names into strings). */
export const enum NameSource {
  /** No name: an abstract declarator. */
  None = 0,
  /** `nameRef` is a word index whose word is a string offset (member or parameter records). */
  Member = 1,
  /** `nameRef` is a typedef's id: its de-duplicated identifier. */
  Typedef = 2,
}

const enum Simple {
  Unknown = 0,
  Cached = 1,
  Complex = 2,
}

/** One function's view of the shared declarator stack. */
interface Frame {
  readonly start: number;
  cnt: number;
}
