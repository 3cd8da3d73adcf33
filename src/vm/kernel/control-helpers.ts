// Control helpers: bpf_loop runs a callback subprogram of the calling
// program (through HelperContext.callFunction, on the next stack frame and
// within the same instruction budget); bpf_spin_lock/unlock check the
// locking discipline the verifier enforces. One thread runs the program, so
// a lock is never contended: taking one that is held, or releasing one that
// is not, is a program the verifier would refuse, reported as a
// VmHelperArgumentError (which also forgets every held lock, so the next run
// starts clean).
import { E2BIG, EINVAL } from "../../sys/errno.js";
import type { HelperContext, VmHelperTable } from "../helpers.js";
import { bytesAt, u32 } from "./access.js";
import { badArgument } from "./errors.js";
import type { VmKernel } from "./state.js";

/** The most iterations bpf_loop accepts (BPF_MAX_LOOPS). */
export const BPF_MAX_LOOPS = 1 << 23;
/** sizeof(struct bpf_spin_lock). */
const SPIN_LOCK_SIZE = 4;

/** loop, spin_lock and spin_unlock. */
export function controlHelpers(_kernel: VmKernel): VmHelperTable {
  const held = new Set<bigint>();
  const lockError = (ctx: HelperContext, helper: string, address: bigint, reason: string): Error => {
    held.clear();
    return badArgument(ctx, helper, 1, address, reason);
  };
  return {
    // The callback gets (index, callback_ctx) and returns 0 to go on, 1 to stop; the result is the number of calls.
    loop: (ctx, r1, r2, r3, r4) => {
      if (r4 !== 0n) return -EINVAL;
      const count = u32(r1);
      if (count > BPF_MAX_LOOPS) return -E2BIG;
      for (let i = 0; i < count; i++) {
        if (ctx.callFunction(r2, [BigInt(i), r3]) !== 0n) return i + 1;
      }
      return count;
    },
    spin_lock: (ctx, r1) => {
      bytesAt(ctx, r1, SPIN_LOCK_SIZE, "write");
      if (held.has(r1)) throw lockError(ctx, "bpf_spin_lock", r1, "is a lock already held: the program would deadlock (the verifier refuses a second lock)");
      held.add(r1);
      return 0;
    },
    spin_unlock: (ctx, r1) => {
      bytesAt(ctx, r1, SPIN_LOCK_SIZE, "write");
      if (!held.delete(r1)) throw lockError(ctx, "bpf_spin_unlock", r1, "is a lock the program does not hold");
      return 0;
    },
  };
}
