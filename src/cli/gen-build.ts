// Stub replaced by the owner of `tsbpf gen build` (issue 11).
import type { Args } from "./args.js";
import type { Context } from "./command.js";
import { UsageError } from "./args.js";

/** Runs `tsbpf gen build`. */
export function run(args: Args, ctx: Context): Promise<number | void> {
  void args;
  void ctx;
  return Promise.reject(new UsageError("gen build is not implemented yet"));
}
