// Stub replaced by the owner of `tsbpf gen min-core-btf` (issue 11).
import type { Args } from "./args.js";
import type { Context } from "./command.js";
import { UsageError } from "./args.js";

/** Runs `tsbpf gen min-core-btf`. */
export function run(args: Args, ctx: Context): Promise<number | void> {
  void args;
  void ctx;
  return Promise.reject(new UsageError("gen min-core-btf is not implemented yet"));
}
