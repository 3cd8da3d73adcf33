// `map show` and `prog show`: list every object of a kind (skipping ones
// that vanish while listing) or the ones a reference names, as bpftool does
// (one JSON object for a single match, an array otherwise); with -f, the
// bpffs paths each is pinned at.
import type { Args } from "./args.js";
import type { Context } from "./command.js";
import { openRefs, parseRef, withFds } from "./refs.js";
import { ObjectRefs, type ObjectRef } from "./pids.js";
import { PinnedPaths } from "./pinned-paths.js";
import { allIds, fdById } from "../sys/objects.js";
import { NotFoundError } from "../sys/errors.js";
import type { FD } from "../sys/fd.js";

/** How one kind of object is read and printed by `show`. */
export interface ShowFormat<I extends { readonly id: number }> {
  readonly kind: "map" | "prog";
  /** Reads what `show` prints about the object behind `fd`. */
  read(fd: FD): I;
  json(info: I, holders: readonly ObjectRef[], pinned?: readonly string[]): Record<string, unknown>;
  plain(info: I, holders: readonly ObjectRef[], pinned?: readonly string[]): string;
}

/** Runs `<kind> show [REF]`. */
export function showObjects<I extends { readonly id: number }>(args: Args, ctx: Context, format: ShowFormat<I>): void {
  const refs = new ObjectRefs(format.kind);
  // -f: bpftool prints "pinned" only when some object of the kind is pinned somewhere.
  const pins = ctx.options.bpffs ? PinnedPaths.scan(format.kind) : undefined;
  const pinned = (id: number): readonly string[] | undefined => (pins && !pins.empty ? pins.of(id) : undefined);
  if (!args.remaining) {
    const all: Record<string, unknown>[] = [];
    for (const id of allIds(format.kind)) {
      let fd: FD;
      try {
        fd = fdById(format.kind, id);
      } catch (e) {
        if (e instanceof NotFoundError) continue; // gone while listing
        throw e;
      }
      withFds([fd], () => {
        const info = format.read(fd);
        if (ctx.out.json) all.push(format.json(info, refs.holders(info.id), pinned(info.id)));
        else ctx.out.line(format.plain(info, refs.holders(info.id), pinned(info.id)));
      });
    }
    if (ctx.out.json) ctx.out.jsonValue(all);
    return;
  }
  const ref = parseRef(args, format.kind);
  args.end();
  withFds(openRefs(format.kind, ref), (fds) => {
    const infos = fds.map((fd) => format.read(fd));
    if (ctx.out.json) {
      const objs = infos.map((i) => format.json(i, refs.holders(i.id), pinned(i.id)));
      ctx.out.jsonValue(objs.length === 1 ? objs[0] : objs);
    } else for (const i of infos) ctx.out.line(format.plain(i, refs.holders(i.id), pinned(i.id)));
  });
}
