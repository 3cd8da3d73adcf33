// The first check of every attach function: the program is open and of a
// type the hook runs. Both errors name the program and the target, so a
// failed attach says what was being attached where.
import type { Program } from "../program/program.js";
import { programTypeName, type ProgramType } from "../program/types.js";
import { ClosedError, InvalidArgumentError } from "../sys/errors.js";

/**
 * Throws ClosedError for a closed `program`, InvalidArgumentError (field
 * "program") when its type is not one of `types`. `what` names the hook and
 * its target ("cgroup_inet_egress on cgroup /sys/fs/cgroup/x"), `needs` the
 * expected programs in words ("a cgroup_skb program (SEC(\"cgroup_skb/egress\"))").
 */
export function checkAttachable(program: Program, types: readonly ProgramType[], what: string, needs: string): void {
  if (program.closed) throw new ClosedError(`program '${program.name}' (to attach to ${what})`);
  if (!types.includes(program.type)) {
    throw new InvalidArgumentError(
      `cannot attach program '${program.name}' to ${what}: it is a ${programTypeName(program.type)} program; ${what} needs ${needs}`,
      "program",
    );
  }
}
