// Identifiers for generated TypeScript: C names become PascalCase type names,
// and a name that TypeScript reserves, that the generated module already uses,
// or that another C type took first gets a `_` suffix — with a note, so the
// user learns why `struct class` is `Class` and `struct Uint8Array` is `Uint8Array_`.

/** Words TypeScript does not accept as a type or binding name (reserved, strict-mode reserved, and the built-in type names). */
const TS_RESERVED = new Set([
  "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else", "enum", "export",
  "extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof", "new", "null", "return", "super",
  "switch", "this", "throw", "true", "try", "typeof", "var", "void", "while", "with",
  "implements", "interface", "let", "package", "private", "protected", "public", "static", "yield", "await",
  "any", "unknown", "never", "number", "bigint", "boolean", "string", "symbol", "object", "undefined", "type", "as",
  "async", "declare", "keyof", "readonly", "infer", "is", "asserts", "satisfies", "namespace", "module", "require",
  "arguments", "eval",
]);

/** True when `name` is a TypeScript reserved word or built-in type name. */
export function isTsReserved(name: string): boolean {
  return TS_RESERVED.has(name);
}

/** A plain identifier (ASCII letters, digits, `_`, `$`; not starting with a digit). */
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `name` as an object key or member name: bare when it is an identifier, else quoted. */
export function propertyKey(name: string): string {
  return IDENTIFIER.test(name) ? name : JSON.stringify(name);
}

/** `process_event` → `ProcessEvent`, `__u64` → `U64`; a name with nothing left after the underscores keeps them. */
export function pascalCase(cName: string): string {
  const parts = cName.split("_").filter((p) => p !== "");
  if (parts.length === 0) return cName === "" ? "Anonymous" : cName;
  const joined = parts.map((p) => p[0]!.toUpperCase() + p.slice(1)).join("");
  return /^[0-9]/.test(joined) ? `T${joined}` : joined;
}

/**
 * The names of one generated module. `reserve` the names the module declares
 * or uses itself first; `declare` then hands out unique type names and
 * records a note for every name that had to change.
 */
export class TsNames {
  readonly #taken = new Map<string, string>();
  readonly #notes: string[] = [];

  /** Names changed and why, in the order they were declared. */
  get notes(): readonly string[] {
    return this.#notes;
  }

  /** Marks `name` as used by the module (`why`: e.g. "the skeleton class", "a global the module uses"). */
  reserve(name: string, why: string): void {
    if (!this.#taken.has(name)) this.#taken.set(name, why);
  }

  /** True when `name` is free (not reserved, not taken). */
  isFree(name: string): boolean {
    return !isTsReserved(name) && !this.#taken.has(name);
  }

  /**
   * A unique identifier for `wanted` (already in the desired case), declared
   * for `what` (e.g. "struct class"). A reserved word or a taken name gets `_`
   * suffixes until it is free, and a note says what happened.
   */
  declare(wanted: string, what: string): string {
    let name = IDENTIFIER.test(wanted) ? wanted : wanted.replace(/[^A-Za-z0-9_$]/g, "_");
    if (/^[0-9]/.test(name)) name = `_${name}`;
    const clash = isTsReserved(name) ? "is a TypeScript reserved word" : this.#taken.has(name) ? `is already ${this.#taken.get(name)!}` : undefined;
    while (!this.isFree(name)) name += "_";
    if (clash !== undefined || name !== wanted) {
      this.#notes.push(`${what}: the name '${wanted}' ${clash ?? "is not a valid identifier"}; declared as '${name}'`);
    }
    this.#taken.set(name, what);
    return name;
  }
}
