// `map pin` and `prog pin`: pin the one object a reference names at a path
// in bpffs, as bpftool does (JSON output is `null`).
import type { Args } from "./args.js";
import type { Context } from "./command.js";
import { openOneRef, parseRef, withFds } from "./refs.js";
import { dirname } from "node:path";
import { pinFd } from "../sys/objects.js";
import { requireBpffs } from "../sys/filesystems.js";

/** Runs `<kind> pin REF FILE`. */
export function pinObject(args: Args, ctx: Context, kind: "map" | "prog"): void {
  const ref = parseRef(args, kind);
  const path = args.next("FILE (a path in bpffs)");
  args.end();
  // As bpftool: bpffs is mounted at /sys/fs/bpf first when it is absent (and allowed); elsewhere it must be bpffs.
  requireBpffs(dirname(path), { mount: !ctx.options.nomount });
  withFds([openOneRef(kind, ref)], ([fd]) => pinFd(fd!, path));
  if (ctx.out.json) ctx.out.jsonValue(null);
}
