// Helpers the machine can call (BPF_CALL with src 0): a table from helper id
// to a TypeScript function, given by the test or the runtime. Keys may be
// ids or names in any of the asm layer's spellings ("map_lookup_elem",
// "bpf_map_lookup_elem", "BPF_FUNC_map_lookup_elem").
import { helperId } from "../asm/helpers.js";
import type { AddressSpace } from "./memory.js";
import type { VmProgram } from "./program.js";

/** What a helper sees besides its arguments. */
export interface HelperContext {
  /** The machine's memory: read and write program pointers through it (faults are typed). */
  readonly memory: AddressSpace;
  /** Slot index of the call instruction. */
  readonly index: number;
  /**
   * Runs the subprogram at a code address (an ld_imm64 PseudoLd.FUNC value,
   * e.g. bpf_loop's callback) with r1–r5 = `args`, on a fresh stack frame;
   * returns its r0. Counts against the same instruction budget.
   */
  callFunction(codeAddress: bigint, args: readonly bigint[]): bigint;
  /**
   * Makes the calling frame continue in `target` once the helper returns
   * (bpf_tail_call): the target runs from its first instruction with r1 =
   * the helper's r1, and the frame exits with its r0. False when the run
   * has used up its 33 tail calls (then nothing happens).
   */
  tailCall(target: VmProgram): boolean;
}

/** A helper: r1–r5 in (unsigned 64-bit), r0 out (wrapped to 64 bits). */
export type VmHelper = (ctx: HelperContext, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint | number;

/** Helpers by id or name. */
export type VmHelperTable = Readonly<Record<string | number, VmHelper>>;

/** The table keyed by helper id; throws InvalidArgumentError for an unknown name. */
export function helpersById(table: VmHelperTable | undefined): Map<number, VmHelper> {
  const out = new Map<number, VmHelper>();
  for (const [key, fn] of Object.entries(table ?? {})) out.set(/^\d+$/.test(key) ? Number(key) : helperId(key), fn);
  return out;
}
