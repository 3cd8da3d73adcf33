// Emission of top-level C definitions in dependency order (libbpf's
// btf_dump_emit_type): before a struct is printed, the types its members
// use get their definitions or, when only used through a pointer, forward
// declarations; typedefs double as forward declarations for pointer uses.
import type { ByteSink } from "./byte-sink.js";
import { CDeclarations } from "./declarations.js";
import { LayoutCache } from "./layout-cache.js";
import { TypeNames } from "./naming.js";
import { DefinitionOrder } from "./ordering.js";
import { Kind, type RawView } from "./raw-view.js";
import { CTypeValidator } from "./validate.js";

const enum Emit {
  NotEmitted = 0,
  Emitting = 1,
  Emitted = 2,
}

// libbpf adds these when a compiler-builtin type name appears as a plain int
// (arm64 NEON polynomial types), so that headers using them compile.
const MISSING_ALIASES: ReadonlyMap<string, string> = new Map([
  ["__Poly8_t", "unsigned char"],
  ["__Poly16_t", "unsigned short"],
  ["__Poly64_t", "unsigned long long"],
  ["__Poly128_t", "unsigned __int128"],
]);

/** Prints complete C definitions for BTF types, each at most once. */
export class CDefinitionEmitter {
  readonly #raw: RawView;
  readonly #out: ByteSink;
  readonly #decl: CDeclarations;
  readonly #order: DefinitionOrder;
  readonly #state: Uint8Array;
  readonly #fwdEmitted: Uint8Array;
  readonly #validator: CTypeValidator;

  constructor(raw: RawView, out: ByteSink) {
    this.#raw = raw;
    this.#out = out;
    const layout = new LayoutCache(raw);
    this.#validator = new CTypeValidator(raw, layout);
    this.#decl = new CDeclarations(raw, new TypeNames(raw), layout, out);
    this.#order = new DefinitionOrder(raw);
    this.#state = new Uint8Array(raw.lastId + 1);
    this.#state[0] = Emit.Emitted;
    this.#fwdEmitted = new Uint8Array(raw.lastId + 1);
  }

  /** Prints `id` and whatever it needs that was not printed yet (btf_dump__dump_type). */
  dumpType(id: number): void {
    // Malformed BTF would recurse without end or print gigabytes of padding below.
    this.#validator.check(id);
    for (const q of this.#order.queueFor(id)) this.#emit(q, 0);
  }

  /** `__builtin_va_list` is the compiler's own; redefining it breaks compilation. */
  #isBuiltin(id: number): boolean {
    const off = this.#raw.nameOff(id);
    return off !== 0 && this.#raw.equals(off, "__builtin_va_list");
  }

  #end(): void {
    this.#out.text(";\n\n");
  }

  /** `contId` is the struct being defined around this use (0 at top level). */
  #emit(id: number, contId: number): void {
    const state = this.#state;
    if (state[id] === Emit.Emitted) return;
    const raw = this.#raw;
    const kind = raw.kinds[id] as number;
    const decl = this.#decl;
    if (state[id] === Emit.Emitting) {
      // A cycle: we are inside this type's own definition.
      if (this.#fwdEmitted[id]) return;
      if (kind === Kind.Struct || kind === Kind.Union) {
        // A struct referring to itself needs no forward declaration; an anonymous one cannot have one.
        if (id === contId || raw.nameOff(id) === 0) return;
        decl.structFwd(id);
        this.#end();
        this.#fwdEmitted[id] = 1;
      } else if (kind === Kind.Typedef) {
        // Printed now for uses through pointers; it cannot be embedded yet.
        if (!this.#isBuiltin(id)) {
          decl.typedefDef(id, 0);
          this.#end();
        }
        this.#fwdEmitted[id] = 1;
      }
      return;
    }
    switch (kind) {
      case Kind.Int: {
        const off = raw.nameOff(id);
        const alias = off === 0 ? undefined : MISSING_ALIASES.get(raw.key(off));
        if (alias !== undefined) this.#out.text(`typedef ${alias} ${raw.text(off)};\n\n`);
        state[id] = Emit.Emitted;
        break;
      }
      case Kind.Enum:
      case Kind.Enum64:
        if (contId === 0) {
          decl.enumDef(id, 0);
          this.#end();
        }
        state[id] = Emit.Emitted;
        break;
      case Kind.Ptr:
      case Kind.Volatile:
      case Kind.Const:
      case Kind.Restrict:
      case Kind.TypeTag:
        this.#emit(raw.sizeOrType(id), contId);
        break;
      case Kind.Array:
        this.#emit(raw.words[raw.body(id)] as number, contId);
        break;
      case Kind.Fwd:
        decl.fwdDef(id);
        this.#end();
        state[id] = Emit.Emitted;
        break;
      case Kind.Typedef:
        state[id] = Emit.Emitting;
        this.#emit(raw.sizeOrType(id), id);
        // Unless a cycle already forced it out early, print the typedef now.
        if (!this.#fwdEmitted[id] && !this.#isBuiltin(id)) {
          decl.typedefDef(id, 0);
          this.#end();
        }
        state[id] = Emit.Emitted;
        break;
      case Kind.Struct:
      case Kind.Union: {
        state[id] = Emit.Emitting;
        const topLevel = contId === 0;
        const named = raw.nameOff(id) !== 0;
        // A top-level or anonymous (inline) definition prints every member,
        // so member types must be ready; otherwise a forward declaration is enough.
        if (topLevel || !named) {
          const inner = named ? id : contId;
          const w = raw.words;
          const at = raw.body(id);
          const n = raw.vlen(id);
          for (let i = 0; i < n; i++) this.#emit(w[at + i * 3 + 1] as number, inner);
        } else if (!this.#fwdEmitted[id] && id !== contId) {
          decl.structFwd(id);
          this.#end();
          this.#fwdEmitted[id] = 1;
        }
        if (topLevel) {
          decl.structDef(id, 0);
          this.#end();
          state[id] = Emit.Emitted;
        } else {
          state[id] = Emit.NotEmitted;
        }
        break;
      }
      case Kind.FuncProto: {
        this.#emit(raw.sizeOrType(id), contId);
        const w = raw.words;
        const at = raw.body(id);
        const n = raw.vlen(id);
        for (let i = 0; i < n; i++) this.#emit(w[at + i * 2 + 1] as number, contId);
        break;
      }
      default:
        break;
    }
  }
}
