// The error of a helper call the verifier would have refused: a map argument
// that is no map (or the wrong kind), a ring buffer record submitted twice, a
// spin lock taken twice, a packet helper in a run without a packet. The kernel
// never runs such a program, so there is no errno to return; the machine
// stops with this fault instead (a VmFaultError, so one catch covers both).
import { VmFaultError } from "../errors.js";
import type { HelperContext } from "../helpers.js";

/** A kernel helper got an argument the verifier would have rejected. */
export class VmHelperArgumentError extends VmFaultError {
  /** The helper, as in C ("bpf_map_lookup_elem"). */
  readonly helper: string;
  /** The argument register (1–5). */
  readonly register: number;
  constructor(index: number, helper: string, register: number, value: bigint, reason: string) {
    super(index, value, 0, "read", undefined, `${helper}: r${register} ${reason}`);
    this.helper = helper;
    this.register = register;
  }
}

/** The error for argument `register` (holding `value`) of `helper`, called at `ctx.index`. */
export function badArgument(ctx: HelperContext, helper: string, register: number, value: bigint, reason: string): VmHelperArgumentError {
  return new VmHelperArgumentError(ctx.index, helper, register, value, reason);
}
