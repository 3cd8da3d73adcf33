// The typed error of struct_ops loading: the object's struct does not fit the
// kernel's (missing struct, a member the kernel lacks set to non-zero, sizes
// or kinds that differ), naming the map and, where there is one, the member.
import { IncompatibleError } from "../sys/errors.js";

/** A struct_ops map of the object does not match the kernel's struct. */
export class StructOpsError extends IncompatibleError {
  /** The struct_ops map (C variable name). */
  readonly map: string;
  /** The member at fault, when one is. */
  readonly member: string | undefined;
  constructor(map: string, message: string, member?: string) {
    super(`struct_ops '${map}'${member === undefined ? "" : ` member '${member}'`}: ${message}`);
    this.map = map;
    this.member = member;
  }
}
