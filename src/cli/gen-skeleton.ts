// Stub replaced by the owner of `tsbpf gen skeleton` (issue 11).
import type { Args } from "./args.js";
import type { Context } from "./command.js";
import { UsageError } from "./args.js";

/** Runs `tsbpf gen skeleton`. */
export function run(args: Args, ctx: Context): Promise<number | void> {
  void args;
  void ctx;
  return Promise.reject(new UsageError("gen skeleton is not implemented yet"));
}
