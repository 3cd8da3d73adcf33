// Which type a codec is for: an id, or a name as C spells it ("struct
// event", "union u", "enum e") or a bare name ("event", "__u64") that may be a
// struct, union, enum, typedef, int or float. Absence and ambiguity are
// BtfErrors that list what the BTF does have, so a typo is a one-step fix.
import type { Btf } from "../btf.js";
import { BtfError } from "../errors.js";
import type { BtfKind } from "../kinds.js";
import { cTypeName } from "./c-name.js";

const TAGGED: Readonly<Record<string, readonly BtfKind[]>> = {
  struct: ["STRUCT"],
  union: ["UNION"],
  enum: ["ENUM", "ENUM64"],
};
/** Kinds a bare name may denote (not functions, variables or sections). */
const VALUE_KINDS: readonly BtfKind[] = ["STRUCT", "UNION", "ENUM", "ENUM64", "TYPEDEF", "INT", "FLOAT"];
/** Most suggestions an error lists. */
const MAX_SUGGESTIONS = 6;

/** The id of `type` (an id, or a name); BtfError when it is absent, ambiguous or out of range. */
export function resolveTypeArg(btf: Btf, type: number | string): number {
  if (typeof type === "number") {
    if (!Number.isInteger(type) || type < 0 || type > btf.lastId) throw new BtfError(`no type with id ${type} (the last id is ${btf.lastId})`);
    return type;
  }
  const text = type.trim().replace(/\s+/g, " ");
  const tagged = /^(struct|union|enum) (.+)$/.exec(text);
  const name = tagged ? (tagged[2] as string) : text;
  const kinds = tagged ? (TAGGED[tagged[1] as string] as readonly BtfKind[]) : VALUE_KINDS;
  const ids = btf.idsByName(name).filter((id) => kinds.includes(btf.kindOf(id)));
  if (ids.length === 1) return ids[0] as number;
  if (ids.length === 0) {
    const fwd = btf.idsByName(name).some((id) => btf.kindOf(id) === "FWD");
    const hint = fwd ? ` (it is only forward-declared here: its definition is not in this BTF)` : "";
    const similar = similarNames(btf, name, kinds);
    throw new BtfError(`no type '${text}' in this BTF${hint}${similar.length > 0 ? `; similar: ${similar.join(", ")}` : ""}`);
  }
  // `typedef struct event {…} event;`: every candidate is the same type — take the struct itself.
  const resolved = new Set(ids.map((id) => btf.resolve(id).id));
  if (resolved.size === 1) return ids.find((id) => btf.kindOf(id) !== "TYPEDEF") ?? (ids[0] as number);
  const list = ids.slice(0, MAX_SUGGESTIONS).map((id) => `${cTypeName(btf, id)} [${id}]`).join(", ");
  throw new BtfError(`'${text}' is ambiguous: ${ids.length} types match (${list}); pass a type id or a tagged name ("struct ${name}")`);
}

/** Names of value types close to `name` (containment either way, or at most 2 edits), spelled as C does. */
function similarNames(btf: Btf, name: string, kinds: readonly BtfKind[]): string[] {
  const want = name.toLowerCase();
  const out = new Set<string>();
  for (let id = 1; id <= btf.lastId && out.size < MAX_SUGGESTIONS; id++) {
    if (!kinds.includes(btf.kindOf(id))) continue;
    const n = btf.nameOf(id);
    if (n === "") continue;
    const low = n.toLowerCase();
    if ((want.length >= 3 && (low.includes(want) || want.includes(low) && low.length >= 3)) || withinTwoEdits(low, want)) out.add(cTypeName(btf, id));
  }
  return [...out];
}

/** Levenshtein distance ≤ 2 (cheap rejection by length first). */
function withinTwoEdits(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 2 || a.length > 64 || b.length > 64) return false;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return (prev[b.length] as number) <= 2;
}
