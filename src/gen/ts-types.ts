// TypeScript declarations for BTF types. They are written from the codec's
// shapes (btf/codec/shape.ts: the one place the type mapping is decided), so
// the TS type emitted for a BTF type is exactly what BtfCodec decodes it to
// and the generated interfaces describe the values a module's maps, variables
// and event readers hand out. Named structs and unions become interfaces (a
// typedef names an anonymous one), enums a const object plus a number/bigint
// type; anonymous struct/union members are flattened as the codec does. What
// the codec cannot express is reported by whyInexpressible with its member path.
import type { Btf } from "../btf/btf.js";
import { BtfError } from "../btf/errors.js";
import { cTypeName } from "../btf/codec/c-name.js";
import { shapeOf, type CompositeShape, type EnumShape, type Field, type Shape } from "../btf/codec/shape.js";
import { pascalCase, propertyKey, type TsNames } from "./ts-names.js";

/** `const volatile struct x` → `struct x`: the spelling of the type a shape names, without qualifiers. */
function unqualified(spelling: string): string {
  return spelling.replace(/^((const|volatile) )+/, "");
}

/**
 * The C name a declared struct/union/enum goes by: its own name, else the
 * typedef it was reached through (`typedef struct {…} config_t`), else
 * undefined (anonymous: declared inline).
 */
function declaredCName(btf: Btf, shape: CompositeShape | EnumShape): { cName: string; what: string } | undefined {
  const own = btf.nameOf(shape.typeId);
  const kind = shape.kind === "enum" ? "enum" : shape.kind;
  if (own !== "") return { cName: own, what: `${kind} ${own}` };
  const spelled = unqualified(shape.name);
  if (spelled === "" || spelled.includes("(anon)") || spelled.includes(" ")) return undefined;
  return { cName: spelled, what: `typedef ${spelled} (${kind})` };
}

function bigintLiteral(v: bigint): string {
  return `${v}n`;
}

/**
 * Emits TypeScript for the BTF types a module needs. `typeOf` gives the TS
 * type of any expressible type and declares the named structs, unions and
 * enums it reaches (once each, dependencies first); `source` is every
 * declaration so far. Deterministic: the same calls on the same BTF give the
 * same text.
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
   * Why type `id` has no TS type under the mapping (the codec's reason, with
   * the member path: `struct event.when: long double is a 16-byte float …`),
   * or undefined when it has one.
   */
  whyInexpressible(id: number): string | undefined {
    try {
      shapeOf(this.btf, id);
      return undefined;
    } catch (e) {
      if (e instanceof BtfError) return e.message;
      throw e;
    }
  }

  /** The TS type of `id`, declaring the named types it reaches. BtfError when inexpressible (see whyInexpressible). */
  typeOf(id: number): string {
    return this.#tsOf(shapeOf(this.btf, id));
  }

  /**
   * Declares a type asked for by name (`type TYPE`) and returns its TS
   * name: a struct, union or enum as typeOf does; a typedef of anything else
   * becomes `export type Name = number` (etc.).
   */
  declare(id: number): string {
    const shape = shapeOf(this.btf, id);
    const written = this.btf.typeById(id);
    const composite = shape.kind === "struct" || shape.kind === "union" || shape.kind === "enum";
    if (written.kind !== "TYPEDEF" || composite) return this.#tsOf(shape);
    const known = this.#declared.get(id);
    if (known !== undefined) return known;
    const name = this.#names.declare(pascalCase(written.name), `typedef ${written.name}`);
    this.#declared.set(id, name);
    this.#declarations.push(`/** typedef ${written.name} (${cTypeName(this.btf, written.type)}). */\nexport type ${name} = ${this.#tsOf(shape)};`);
    return name;
  }

  #tsOf(s: Shape): string {
    switch (s.kind) {
      case "int": return s.bigint ? "bigint" : "number";
      case "bool": return "boolean";
      case "float": return "number";
      case "pointer": return "bigint";
      case "string": return "string";
      case "bytes": return "Uint8Array";
      case "array": return `${this.#tsOf(s.element)}[]`;
      case "enum": return declaredCName(this.btf, s) ? this.#declareEnum(s) : s.bigint ? "bigint" : "number";
      case "struct": case "union": return declaredCName(this.btf, s) ? this.#declareComposite(s) : this.#body(s, "");
    }
  }

  #fieldType(f: Field): string {
    if (f.bits !== undefined) return f.shape.size >= 8 ? "bigint" : "number";
    const t = this.#tsOf(f.shape);
    return f.flexible ? `${t}[]` : t;
  }

  /** `{ a: number; … }` for a struct/union, indented by `indent`. */
  #body(s: CompositeShape, indent: string): string {
    if (s.fields.length === 0) return "{}";
    const lines = s.fields.map((f) => {
      const cType = f.flexible ? `${f.shape.name}[]` : f.shape.name;
      const comment = f.bits !== undefined ? `${cType} :${f.bits}` : cType;
      return `${indent}  ${propertyKey(f.name)}: ${this.#fieldType(f).replace(/\n/g, `\n${indent}  `)}; // ${comment}`;
    });
    return `{\n${lines.join("\n")}\n${indent}}`;
  }

  #declareComposite(s: CompositeShape): string {
    const known = this.#declared.get(s.typeId);
    if (known !== undefined) return known;
    const { cName, what } = declaredCName(this.btf, s)!;
    const name = this.#names.declare(pascalCase(cName), what);
    this.#declared.set(s.typeId, name);
    const union = s.kind === "union" ? " Decoding gives every member; encoding takes exactly one." : "";
    const body = this.#body(s, "");
    this.#declarations.push(`/** ${what} (${s.size} bytes).${union} */\nexport interface ${name} ${body}`);
    return name;
  }

  #declareEnum(s: EnumShape): string {
    const known = this.#declared.get(s.typeId);
    if (known !== undefined) return known;
    const { cName, what } = declaredCName(this.btf, s)!;
    const name = this.#names.declare(pascalCase(cName), what);
    this.#declared.set(s.typeId, name);
    const valueType = s.bigint ? "bigint" : "number";
    const literal = (v: number | bigint): string => (s.bigint ? bigintLiteral(BigInt(v)) : String(v));
    const entries = s.values.map((v) => `  ${propertyKey(v.name)}: ${literal(v.value)},`);
    this.#declarations.push(
      `/** ${what} (${s.size} bytes): its enumerators. */\nexport const ${name} = {\n${entries.join("\n")}\n} as const;\n` +
      `/** A value of ${what}: a ${valueType}, since the program may store values the enum does not name. */\nexport type ${name} = ${valueType};`,
    );
    return name;
  }
}
