// A type rendered on one line the way bpftool's btf_dumper_type_only does
// (the function signatures printed above each function of `bpftool prog
// dump xlated`): "int handle(struct ctx * ctx)", "const char *", "u8[16]".
import type { Btf } from "./btf.js";
import { BtfError } from "./errors.js";

/** bpftool sizes its signature buffer at 1024 bytes and prints nothing when it overflows. */
const SIGNATURE_LIMIT = 1024;

/**
 * Type `typeId` of `btf` (typically a FUNC) as bpftool prints it above each
 * function of a dump. Empty when bpftool would print nothing (kinds it
 * cannot render, broken references, signatures of 1024 bytes or more).
 */
export function typeSignature(btf: Btf, typeId: number): string {
  try {
    const s = typeOnly(btf, typeId);
    return s.length >= SIGNATURE_LIMIT ? "" : s;
  } catch {
    return "";
  }
}

function typeOnly(btf: Btf, id: number): string {
  if (id === 0) return "void ";
  const t = btf.typeById(id);
  switch (t.kind) {
    case "INT": case "TYPEDEF": case "FLOAT": return `${t.name} `;
    case "STRUCT": return `struct ${t.name} `;
    case "UNION": return `union ${t.name} `;
    case "ENUM": case "ENUM64": return `enum ${t.name} `;
    // nelems prints through "%d", as bpftool does.
    case "ARRAY": return `${typeOnly(btf, t.type)}[${t.nelems | 0}]`;
    case "PTR": return `${typeOnly(btf, t.type)}* `;
    case "FWD": return `${t.fwdKind} ${t.name} `;
    case "VOLATILE": return `volatile ${typeOnly(btf, t.type)}`;
    case "CONST": return `const ${typeOnly(btf, t.type)}`;
    case "RESTRICT": return `restrict ${typeOnly(btf, t.type)}`;
    case "FUNC_PROTO": return funcSignature(btf, t.returnType, t.params, undefined);
    case "FUNC": {
      const proto = btf.typeOfKind(t.type, "FUNC_PROTO");
      return funcSignature(btf, proto.returnType, proto.params, t.name);
    }
    case "VAR": return `${t.linkageValue === 0 ? "static " : ""}${typeOnly(btf, t.type)} ${t.name}`;
    case "DATASEC": return `section ("${t.name}") `;
    default: throw new BtfError(`${t.kind} is not printable`);
  }
}

function funcSignature(btf: Btf, returnType: number, params: readonly { name: string; type: number }[], name: string | undefined): string {
  let s = typeOnly(btf, returnType) + (name === undefined ? "(" : `${name}(`);
  params.forEach((p, i) => {
    if (i) s += ", ";
    if (p.type === 0) {
      s += "...";
      return;
    }
    s += typeOnly(btf, p.type);
    if (p.name) s += p.name;
    else if (s.endsWith(" ")) s = s.slice(0, -1); // unnamed parameter: no dangling space
  });
  return `${s})`;
}
