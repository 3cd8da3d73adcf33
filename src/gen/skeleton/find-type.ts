// Finds the BTF type a user named on the command line (`type event`,
// `event events=struct event`): "struct X", "union X", "enum X", or a plain
// name that may be any of those or a typedef. When it is missing, the message
// says why that usually happens (clang drops types used only through local
// variables), gives the usual fix, and lists similar names.
import type { Btf } from "../../btf/btf.js";
import { BtfError } from "../../btf/errors.js";
import type { BtfKind } from "../../btf/kinds.js";

const PLAIN_KINDS: readonly BtfKind[] = ["STRUCT", "UNION", "ENUM", "ENUM64", "TYPEDEF", "FWD"];
const KEYWORD_KINDS: Readonly<Record<string, readonly BtfKind[]>> = {
  struct: ["STRUCT", "FWD"], union: ["UNION", "FWD"], enum: ["ENUM", "ENUM64"],
};
const MAX_SUGGESTIONS = 5;

/** Named types whose name contains `name` or is contained in it (case-insensitive), for "did you mean". */
function similarNames(btf: Btf, name: string): string[] {
  const want = name.toLowerCase();
  const out = new Set<string>();
  for (let id = btf.firstId; id <= btf.lastId && out.size < MAX_SUGGESTIONS; id++) {
    const kind = btf.kindOf(id);
    if (!PLAIN_KINDS.includes(kind) || kind === "FWD") continue;
    const n = btf.nameOf(id);
    if (n === "") continue;
    const lower = n.toLowerCase();
    if (lower.includes(want) || want.includes(lower)) out.add(kind === "TYPEDEF" ? n : `${kind === "ENUM64" ? "enum" : kind.toLowerCase()} ${n}`);
  }
  return [...out];
}

/**
 * The id of the type `spec` names. A typedef that names the struct of the
 * same name (`typedef struct event event`) is not an ambiguity; the struct
 * wins. BtfError when absent (with the usual fix) or ambiguous (listing the
 * candidates). A forward declaration is returned when that is all there is,
 * so the caller can say it cannot express it.
 */
export function findNamedType(btf: Btf, spec: string): number {
  const trimmed = spec.trim();
  const match = /^(struct|union|enum)\s+(\S+)$/.exec(trimmed);
  const name = match ? match[2]! : trimmed;
  const kinds = match ? KEYWORD_KINDS[match[1]!]! : PLAIN_KINDS;
  let ids = btf.idsByName(name).filter((id) => kinds.includes(btf.kindOf(id)));
  const complete = ids.filter((id) => btf.kindOf(id) !== "FWD");
  if (complete.length > 0) ids = complete;
  if (ids.length > 1) {
    const targets = new Set(ids.map((id) => (btf.kindOf(id) === "TYPEDEF" ? btf.resolve(id).id : id)));
    const nonTypedef = ids.filter((id) => btf.kindOf(id) !== "TYPEDEF");
    if (targets.size === 1 && nonTypedef.length === 1) return nonTypedef[0]!;
    const candidates = ids.map((id) => `${btf.kindOf(id).toLowerCase()} ${name} [${id}]`).join(", ");
    throw new BtfError(`type '${spec}' is ambiguous in the object's BTF: ${candidates}; say which, e.g. 'struct ${name}'`);
  }
  if (ids.length === 1) return ids[0]!;
  const similar = similarNames(btf, name);
  throw new BtfError(
    `type '${spec}' is not in the object's BTF. clang keeps only types that globals, maps or function signatures use; ` +
    `a type used only through local variables (a ring buffer record, say) is dropped. Keep it with a global of its pointer type: ` +
    `\`${match ? `${match[1]} ${name}` : `struct ${name}`} *unused_${name} __attribute__((unused));\`` +
    (similar.length ? `. Similar names: ${similar.join(", ")}` : ""),
  );
}
