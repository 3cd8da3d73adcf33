// The attach target a program's SEC() name implies (libbpf's auto-attach):
// `SEC("tracepoint/syscalls/sys_enter_openat")`, `SEC("uprobe/PATH:FUNC")` …
import type { Program } from "../program/program.js";
import { InvalidArgumentError } from "../sys/errors.js";

/**
 * `parse(sectionName)` of `program`; InvalidArgumentError (on `field`) asking
 * for `missing` when the program has no SEC() name or its name gives no target.
 */
export function targetFromSection<T>(program: Program, parse: (sectionName: string) => T | undefined, missing: string, field: string): T {
  const found = program.sectionName === undefined ? undefined : parse(program.sectionName);
  if (found !== undefined) return found;
  const where = program.sectionName === undefined ? "it was not loaded from an object" : `its SEC("${program.sectionName}") names none`;
  throw new InvalidArgumentError(`program '${program.name}': give ${missing} (${where})`, field);
}
