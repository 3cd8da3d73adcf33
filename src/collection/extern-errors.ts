// Extern failures at load time (a ksym the kernel lacks, a kconfig value it
// does not set) name the programs that use the extern, so the reader knows
// what to leave out or fix.
import type { ObjectSpec } from "../object/object-spec.js";
import { specProgramsUsing, withUsers } from "../object/extern-users.js";
import { BpfError } from "../sys/errors.js";

/** Runs one extern-resolving step; its BpfError about an extern of `spec` gets that extern's users appended. */
export function externStepNamingUsers<T>(spec: ObjectSpec, step: () => T): T {
  try {
    return step();
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    // Every extern error quotes the extern's name.
    const name = [...spec.externs.keys()].find((n) => e.message.includes(`'${n}'`));
    throw name === undefined ? e : withUsers(e, specProgramsUsing(spec.programs.values(), name));
  }
}
