// How the codec names a type in its `name` and in error messages: the C
// spelling a user wrote ("struct event", "__u64", "char[16]", "const char *"),
// not a BTF id. Bounded walk: malformed BTF (a reference cycle) still gets a name.
import type { Btf } from "../btf.js";

/** Deepest reference chain spelled out before giving up with "…". */
const MAX_NAME_DEPTH = 32;

/** The C spelling of type `id` ("struct event", "char[16]", "int *"); never throws. */
export function cTypeName(btf: Btf, id: number): string {
  try {
    return spell(btf, id, 0);
  } catch {
    // Only reached on BTF too broken to spell (an id out of range): the id still identifies it.
    return `type [${id}]`;
  }
}

function spell(btf: Btf, id: number, depth: number): string {
  if (depth > MAX_NAME_DEPTH) return "…";
  const t = btf.typeById(id);
  const anon = (tag: string): string => `${tag} ${t.name === "" ? "(anon)" : t.name}`;
  switch (t.kind) {
    case "VOID": return "void";
    case "INT": case "FLOAT": case "TYPEDEF": case "FUNC": case "VAR": case "DATASEC":
      return t.name === "" ? `(anon ${t.kind.toLowerCase()})` : t.name;
    case "STRUCT": return anon("struct");
    case "UNION": return anon("union");
    case "ENUM": case "ENUM64": return anon("enum");
    case "FWD": return anon(t.fwdKind);
    case "PTR": {
      const target = btf.kindOf(t.type) === "FUNC_PROTO" ? "(function)" : spell(btf, t.type, depth + 1);
      return target.endsWith("*") ? `${target}*` : `${target} *`;
    }
    case "ARRAY": {
      // Dimensions outermost first: int[2][3] is an array of 2 arrays of 3 ints.
      let dims = `[${t.nelems}]`;
      let elem = t.type;
      for (let d = depth; d <= MAX_NAME_DEPTH; d++) {
        const e = btf.typeById(elem);
        if (e.kind !== "ARRAY") break;
        dims += `[${e.nelems}]`;
        elem = e.type;
      }
      return `${spell(btf, elem, depth + 1)}${dims}`;
    }
    case "CONST": return `const ${spell(btf, t.type, depth + 1)}`;
    case "VOLATILE": return `volatile ${spell(btf, t.type, depth + 1)}`;
    case "RESTRICT": return `${spell(btf, t.type, depth + 1)} restrict`;
    case "TYPE_TAG": return spell(btf, t.type, depth + 1);
    case "FUNC_PROTO": return "(function)";
    case "DECL_TAG": return `(decl tag '${t.name}')`;
  }
}
