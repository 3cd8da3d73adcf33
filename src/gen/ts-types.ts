// TypeScript declarations for BTF types, following the codec's type mapping
// (docs/guides/typed-data.md): the TS type emitted for a BTF type is exactly
// what BtfCodec decodes it to, so a generated module's interfaces describe the
// values its maps, variables and event readers hand out. Named structs and
// unions become interfaces, enums a const object plus a number (bigint) type,
// anonymous struct/union members are flattened as C accesses them. Types with
// no JS value (void, functions, forward declarations, long double) are
// reported by whyInexpressible, so callers can fall back and say so.
import type { Btf } from "../btf/btf.js";
import { BtfError } from "../btf/errors.js";
import type { BtfEnum, BtfEnum64, BtfInt, BtfMember, BtfType } from "../btf/types.js";
import { pascalCase, propertyKey, type TsNames } from "./ts-names.js";

/** Deepest chain of typedefs/qualifiers or nesting followed (as libbpf's MAX_RESOLVE_DEPTH, generously). */
const MAX_DEPTH = 64;

/** Names of the 1-byte integer types whose arrays are text (the codec's `chars` option). */
const CHAR_NAMES = new Set(["char", "signed char", "unsigned char"]);

/** How a 1-byte element array decodes: text, bytes, or a plain array. */
export type ByteArrayKind = "string" | "bytes" | "array";

/** A struct/union member after flattening anonymous members: its name, type and where it came from. */
export interface FlatMember {
  readonly name: string;
  readonly type: number;
  readonly bitfieldSize: number;
}

/** Skips CONST, VOLATILE, RESTRICT and TYPE_TAG (not typedefs: their names matter for char arrays and type names). */
function skipQualifiers(btf: Btf, id: number): number {
  let cur = id;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const t = btf.typeById(cur);
    if (t.kind !== "CONST" && t.kind !== "VOLATILE" && t.kind !== "RESTRICT" && t.kind !== "TYPE_TAG") return cur;
    cur = t.type;
  }
  throw new BtfError(`type [${id}]: more than ${MAX_DEPTH} qualifiers in a row (a reference cycle?)`);
}

/**
 * What an array of 1-byte integers decodes to: char/signed char/unsigned char
 * as written (or an int with the CHAR encoding) → string; another unsigned
 * 1-byte int such as `__u8` → Uint8Array; signed ones and bools → a plain array.
 * `undefined` when the element is not a 1-byte integer.
 */
export function byteArrayKind(btf: Btf, elementId: number): ByteArrayKind | undefined {
  const written = btf.typeById(skipQualifiers(btf, elementId));
  const resolved = btf.resolve(elementId);
  if (resolved.kind !== "INT" || resolved.size !== 1) return undefined;
  if (resolved.bool) return "array";
  if (resolved.char || CHAR_NAMES.has(written.name)) return "string";
  return resolved.signed ? "array" : "bytes";
}

/**
 * The members of a struct or union as C code accesses them: members of
 * anonymous struct/union members are lifted into the parent, unnamed
 * non-composite members (padding bitfields) are left out. BtfError when two
 * lifted names clash.
 */
export function flatMembers(btf: Btf, id: number): FlatMember[] {
  const out: FlatMember[] = [];
  const seen = new Set<string>();
  const walk = (members: readonly BtfMember[], depth: number): void => {
    if (depth > MAX_DEPTH) throw new BtfError(`${cSpelling(btf, id)}: anonymous members nested more than ${MAX_DEPTH} deep`);
    for (const m of members) {
      if (m.name === "") {
        const inner = btf.resolve(m.type);
        if (inner.kind === "STRUCT" || inner.kind === "UNION") walk(inner.members, depth + 1);
        continue;
      }
      if (seen.has(m.name)) throw new BtfError(`${cSpelling(btf, id)}: member '${m.name}' appears twice once anonymous members are flattened`);
      seen.add(m.name);
      out.push({ name: m.name, type: m.type, bitfieldSize: m.bitfieldSize });
    }
  };
  const t = btf.resolve(id);
  if (t.kind === "STRUCT" || t.kind === "UNION") walk(t.members, 0);
  return out;
}

/** The C spelling of a type, for comments and messages: `struct event`, `__u64`, `char[16]`, `int *`. */
export function cSpelling(btf: Btf, id: number, depth = 0): string {
  const t = btf.typeById(id);
  if (depth > MAX_DEPTH) return `[${id}]`;
  switch (t.kind) {
    case "VOID": return "void";
    case "STRUCT": return t.name ? `struct ${t.name}` : "struct {...}";
    case "UNION": return t.name ? `union ${t.name}` : "union {...}";
    case "ENUM": case "ENUM64": return t.name ? `enum ${t.name}` : "enum {...}";
    case "FWD": return `${t.fwdKind} ${t.name}`;
    case "PTR": return `${cSpelling(btf, t.type, depth + 1)} *`;
    case "ARRAY": return `${cSpelling(btf, t.type, depth + 1)}[${t.nelems}]`;
    case "CONST": return `const ${cSpelling(btf, t.type, depth + 1)}`;
    case "VOLATILE": return `volatile ${cSpelling(btf, t.type, depth + 1)}`;
    case "RESTRICT": case "TYPE_TAG": return cSpelling(btf, t.type, depth + 1);
    case "FUNC_PROTO": return "function";
    default: return t.name || t.kind.toLowerCase();
  }
}

function bigintLiteral(v: bigint): string {
  return `${v}n`;
}

/**
 * Emits TypeScript for the BTF types a module needs. `typeOf` gives the TS
 * type of any expressible type and declares the named structs, unions and
 * enums it reaches (once each, in the order first reached, dependencies
 * first); `source` is every declaration so far. Deterministic: the same
 * calls on the same BTF give the same text.
 */
export class TsTypeEmitter {
  readonly btf: Btf;
  readonly #names: TsNames;
  /** Declared TS name by the id of the struct/union/enum (or typedef) it declares. */
  readonly #declared = new Map<number, string>();
  readonly #declarations: string[] = [];

  constructor(btf: Btf, names: TsNames) {
    this.btf = btf;
    this.#names = names;
  }

  /** Every declaration emitted so far, separated by blank lines. */
  source(): string {
    return this.#declarations.join("\n\n");
  }

  /**
   * Why type `id` has no TS type under the mapping (naming the member path,
   * e.g. `struct event.when: long double has no JS value`), or undefined
   * when it has one.
   */
  whyInexpressible(id: number): string | undefined {
    try {
      this.#check(id, cSpelling(this.btf, id), 0, new Set());
      return undefined;
    } catch (e) {
      if (e instanceof BtfError) return e.message;
      throw e;
    }
  }

  #check(id: number, path: string, depth: number, active: Set<number>): void {
    if (depth > MAX_DEPTH) throw new BtfError(`${path}: nested more than ${MAX_DEPTH} deep`);
    const t = this.btf.resolve(id);
    switch (t.kind) {
      case "INT":
        if (!t.bool && ![1, 2, 4, 8, 16].includes(t.size)) throw new BtfError(`${path}: a ${t.size}-byte integer has no JS value`);
        return;
      case "FLOAT":
        if (t.size !== 4 && t.size !== 8) throw new BtfError(`${path}: a ${t.size}-byte float (long double) has no JS value`);
        return;
      case "PTR": case "ENUM": case "ENUM64":
        return;
      case "ARRAY":
        if (byteArrayKind(this.btf, t.type) !== undefined) return;
        this.#check(t.type, `${path}[]`, depth + 1, active);
        return;
      case "STRUCT": case "UNION": {
        if (active.has(t.id)) throw new BtfError(`${path}: ${cSpelling(this.btf, t.id)} contains itself`);
        active.add(t.id);
        for (const m of flatMembers(this.btf, t.id)) {
          const where = `${path}.${m.name}`;
          if (m.bitfieldSize > 0) {
            const base = this.btf.resolve(m.type);
            if (base.kind !== "INT" && base.kind !== "ENUM" && base.kind !== "ENUM64") throw new BtfError(`${where}: a bitfield of ${base.kind.toLowerCase()} has no JS value`);
            continue;
          }
          this.#check(m.type, where, depth + 1, active);
        }
        active.delete(t.id);
        return;
      }
      case "VOID": throw new BtfError(`${path}: void has no JS value`);
      case "FWD": throw new BtfError(`${path}: ${t.fwdKind} ${t.name} is only declared (a forward declaration), so its layout is unknown`);
      default: throw new BtfError(`${path}: a ${t.kind.toLowerCase()} has no JS value`);
    }
  }

  /** The TS type of `id` (declaring the named types it reaches). BtfError when inexpressible: ask whyInexpressible first. */
  typeOf(id: number): string {
    const why = this.whyInexpressible(id);
    if (why !== undefined) throw new BtfError(why);
    return this.#typeOf(id);
  }

  /**
   * Declares a named struct, union, enum or typedef (`type TYPE` of the CLI)
   * and returns its TS name. A typedef of a named type declares that type; a
   * typedef of a scalar becomes `export type Name = number` etc.
   */
  declare(id: number): string {
    const why = this.whyInexpressible(id);
    if (why !== undefined) throw new BtfError(why);
    const written = this.btf.typeById(skipQualifiers(this.btf, id));
    if (written.kind === "TYPEDEF") {
      const target = this.btf.typeById(skipQualifiers(this.btf, written.type));
      if (this.#isComposite(target) || target.kind === "TYPEDEF") return this.#typeOf(written.id);
      const known = this.#declared.get(written.id);
      if (known !== undefined) return known;
      const name = this.#names.declare(pascalCase(written.name), `typedef ${written.name}`);
      this.#declared.set(written.id, name);
      this.#declarations.push(`/** typedef ${written.name} (${cSpelling(this.btf, written.type)}). */\nexport type ${name} = ${this.#typeOf(written.type)};`);
      return name;
    }
    return this.#typeOf(id);
  }

  #isComposite(t: BtfType): boolean {
    return t.kind === "STRUCT" || t.kind === "UNION" || t.kind === "ENUM" || t.kind === "ENUM64";
  }

  /** The type after qualifiers and typedefs, but remembering the nearest typedef name (it names an anonymous struct/union/enum). */
  #named(id: number): { type: BtfType; typedefName: string | undefined } {
    let cur = id;
    let typedefName: string | undefined;
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      const t = this.btf.typeById(cur);
      switch (t.kind) {
        case "TYPEDEF":
          typedefName ??= t.name;
          cur = t.type;
          break;
        case "CONST": case "VOLATILE": case "RESTRICT": case "TYPE_TAG":
          cur = t.type;
          break;
        default:
          return { type: t, typedefName: t.name === "" ? typedefName : undefined };
      }
    }
    throw new BtfError(`type [${id}]: more than ${MAX_DEPTH} typedefs/qualifiers in a row (a reference cycle?)`);
  }

  #typeOf(id: number): string {
    const { type: t, typedefName } = this.#named(id);
    switch (t.kind) {
      case "INT": return intType(t);
      case "FLOAT": return "number";
      case "PTR": return "bigint";
      case "ENUM": case "ENUM64":
        if (t.name === "" && typedefName === undefined) return t.kind === "ENUM64" ? "bigint" : "number";
        return this.#declareEnum(t, typedefName);
      case "ARRAY": {
        const kind = byteArrayKind(this.btf, t.type);
        if (kind === "string") return "string";
        if (kind === "bytes") return "Uint8Array";
        return `${this.#typeOf(t.type)}[]`;
      }
      case "STRUCT": case "UNION":
        if (t.name === "" && typedefName === undefined) return this.#body(t.id, "");
        return this.#declareComposite(t.id, t.kind, t.name || typedefName!, t.name === "");
      default:
        throw new BtfError(`${cSpelling(this.btf, id)} has no JS value`);
    }
  }

  /** `{ a: number; … }` for a struct/union, indented for `indent`. */
  #body(id: number, indent: string): string {
    const members = flatMembers(this.btf, id);
    if (members.length === 0) return "{}";
    const lines = members.map((m) => {
      const tsType = m.bitfieldSize > 0 ? (this.btf.sizeOf(m.type) === 8 ? "bigint" : "number") : this.#typeOf(m.type);
      const cType = cSpelling(this.btf, m.type) + (m.bitfieldSize > 0 ? ` :${m.bitfieldSize}` : "");
      return `${indent}  ${propertyKey(m.name)}: ${tsType.replace(/\n/g, `\n${indent}  `)}; // ${cType}`;
    });
    return `{\n${lines.join("\n")}\n${indent}}`;
  }

  #declareComposite(id: number, kind: "STRUCT" | "UNION", cName: string, viaTypedef: boolean): string {
    const known = this.#declared.get(id);
    if (known !== undefined) return known;
    const what = viaTypedef ? `typedef ${cName} (${kind.toLowerCase()})` : `${kind.toLowerCase()} ${cName}`;
    const name = this.#names.declare(pascalCase(cName), what);
    this.#declared.set(id, name);
    const size = this.btf.sizeOf(id);
    const union = kind === "UNION" ? " Decoding gives every member; encoding takes exactly one." : "";
    this.#declarations.push(`/** ${what} (${size} bytes).${union} */\nexport interface ${name} ${this.#body(id, "")}`);
    return name;
  }

  #declareEnum(t: BtfEnum | BtfEnum64, typedefName: string | undefined): string {
    const known = this.#declared.get(t.id);
    if (known !== undefined) return known;
    const cName = t.name || typedefName!;
    const what = t.name ? `enum ${cName}` : `typedef ${cName} (enum)`;
    const name = this.#names.declare(pascalCase(cName), what);
    this.#declared.set(t.id, name);
    const big = t.kind === "ENUM64";
    const entries = t.values.map((v) => `  ${propertyKey(v.name)}: ${typeof v.value === "bigint" ? bigintLiteral(v.value) : String(v.value)},`);
    const valueType = big ? "bigint" : "number";
    this.#declarations.push(
      `/** ${what} (${t.size} bytes): its enumerators. */\nexport const ${name} = {\n${entries.join("\n")}\n} as const;\n` +
      `/** A value of ${what}: a ${valueType}, since the program may store values the enum does not name. */\nexport type ${name} = ${valueType};`,
    );
    return name;
  }
}

function intType(t: BtfInt): string {
  if (t.bool) return "boolean";
  return t.size >= 8 ? "bigint" : "number";
}
