// Which programs use an extern. An extern the loader cannot resolve is found
// while externs are read, before functions are; the error is only useful if
// it also says where the extern is used, so on that (error) path the
// functions are read with stand-in externs and each program linked to see
// which of them reach it.
import type { BtfExt } from "../btf/ext.js";
import { ElfObject } from "./elf-object.js";
import { ObjectError } from "./errors.js";
import type { ExternSpec } from "./externs.js";
import { readFunctions } from "./functions.js";
import { linkProgram } from "./link.js";
import type { ObjectMapSpec } from "./map-spec.js";
import type { ObjectProgramSpec } from "./program-spec.js";

/** Runs `read` (which reads the externs); an ObjectError about one extern gets the programs that use it added. */
export function namingExternUsers<T>(obj: ElfObject, context: { maps: readonly ObjectMapSpec[]; ext: BtfExt | undefined }, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof ObjectError) || e.symbol === undefined) throw e;
    throw withUsers(e, programsUsing(obj, e.symbol, context));
  }
}

/** `e` with "; used by program 'a', 'b'" appended to its message (unchanged when nobody uses the extern). */
export function withUsers<E extends Error>(e: E, users: readonly string[]): E {
  if (users.length > 0) e.message += `; used by program${users.length > 1 ? "s" : ""} ${users.map((n) => `'${n}'`).join(", ")}`;
  return e;
}

/** Programs of a parsed object whose references include extern `name`. */
export function specProgramsUsing(programs: Iterable<ObjectProgramSpec>, name: string): string[] {
  const out: string[] = [];
  for (const p of programs) if ([...p.references.values()].some((r) => "extern" in r && r.extern === name)) out.push(p.name);
  return out;
}

/** Main programs whose linked code refers to extern `name` (directly or through subprograms). */
export function programsUsing(obj: ElfObject, name: string, context: { maps: readonly ObjectMapSpec[]; ext: BtfExt | undefined }): string[] {
  // Every extern stands in as a kfunc: the kind only matters for loading, and a kfunc reference fits calls and ld_imm64 alike.
  const externs: ExternSpec[] = obj.symbols.filter((s) => ElfObject.isExtern(s)).map((s) => ({
    name: s.name, kind: "kfunc", weak: false, btfId: 0, typeId: undefined, kconfigOffset: undefined, size: undefined,
  }));
  try {
    return readFunctions(obj, { maps: context.maps, externs, ext: context.ext })
      .filter((f) => f.isProgram && [...linkProgram(f, obj.byteOrder === "le").references.values()].some((r) => "extern" in r && r.extern === name))
      .map((f) => f.name);
  } catch {
    // The object has a second problem; the first error stands on its own.
    return [];
  }
}
