// Object references on the command line, as bpftool writes them:
//   MAP  := { id MAP_ID | pinned FILE | name MAP_NAME }
//   PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }
// `name` and `tag` may match several objects; verbs that act on one object
// insist on exactly one.
import { didYouMean } from "./suggest.js";
import { Args, UsageError } from "./args.js";
import { allIds, fdById, openPinnedFd, type ObjectKind } from "../sys/objects.js";
import { BpfError, NotFoundError } from "../sys/errors.js";
import type { FD } from "../sys/fd.js";
import { mapShowInfo, progShowInfo } from "./kernel-info.js";

/** A parsed reference, before it is opened. */
export type ObjectRef =
  | { readonly by: "id"; readonly id: number }
  | { readonly by: "pinned"; readonly path: string }
  | { readonly by: "name"; readonly name: string }
  | { readonly by: "tag"; readonly tag: string };

/** True when the next word starts a reference. */
export function startsRef(args: Args, kind: "map" | "prog"): boolean {
  const w = args.peek();
  if (w === undefined) return false;
  return ["id", "pinned", "name", ...(kind === "prog" ? ["tag"] : [])].includes(w);
}

/** Parses `id N | pinned PATH | name NAME [| tag TAG]`. */
export function parseRef(args: Args, kind: "map" | "prog"): ObjectRef {
  const upper = kind.toUpperCase();
  const how = args.next(`${upper} (id ID | pinned FILE | name NAME${kind === "prog" ? " | tag TAG" : ""})`);
  switch (how) {
    case "id": return { by: "id", id: args.uint(`${kind} id`) };
    case "pinned": return { by: "pinned", path: args.next("pinned path") };
    case "name": return { by: "name", name: args.next(`${kind} name`) };
    case "tag":
      if (kind === "prog") {
        const tag = args.next("program tag").toLowerCase().replace(/[: ]/g, "");
        if (!/^[0-9a-f]{16}$/.test(tag)) throw new UsageError(`a program tag is 8 bytes in hex, got '${tag}'`, args.topic);
        return { by: "tag", tag };
      }
  }
  const choices = kind === "prog" ? "'id', 'pinned', 'tag' or 'name'" : "'id', 'pinned' or 'name'";
  throw new UsageError(`expected ${choices} to select a ${kind}, got '${how}'${didYouMean(how, ["id", "pinned", "name", ...(kind === "prog" ? ["tag"] : [])])}`, args.topic);
}

function describeRef(ref: ObjectRef): string {
  switch (ref.by) {
    case "id": return `id ${ref.id}`;
    case "pinned": return `pinned ${ref.path}`;
    case "name": return `name ${ref.name}`;
    case "tag": return `tag ${ref.tag}`;
  }
}

function matches(kind: ObjectKind, fd: FD, ref: ObjectRef): boolean {
  if (kind === "map") return ref.by === "name" && mapShowInfo(fd).name === ref.name;
  const info = progShowInfo(fd);
  // Match the full name (from BTF) as well as the kernel's 15-character one.
  return ref.by === "name" ? info.name === ref.name || info.kernelName === ref.name : ref.by === "tag" && info.tag === ref.tag;
}

/** Opens every object the reference selects (caller closes them). */
export function openRefs(kind: "map" | "prog", ref: ObjectRef): FD[] {
  if (ref.by === "id") return [fdById(kind, ref.id)];
  if (ref.by === "pinned") return [openPinnedFd(ref.path, "rw", kind)];
  const found: FD[] = [];
  for (const id of allIds(kind)) {
    let fd: FD;
    try {
      fd = fdById(kind, id);
    } catch (e) {
      if (e instanceof NotFoundError) continue; // went away while we listed
      throw e;
    }
    let keep = false;
    try {
      keep = matches(kind, fd, ref);
    } finally {
      if (!keep) fd.close();
    }
    if (keep) found.push(fd);
  }
  if (found.length === 0) throw new NotFoundError(`no ${kind} with ${describeRef(ref)}`);
  return found;
}

/** Opens exactly one object; `name`/`tag` matching several is an error. */
export function openOneRef(kind: "map" | "prog", ref: ObjectRef): FD {
  const fds = openRefs(kind, ref);
  if (fds.length > 1) {
    for (const fd of fds) fd.close();
    throw new UsageError(`${fds.length} ${kind}s have ${describeRef(ref)}; select one with 'id'`);
  }
  const fd = fds[0];
  if (!fd) throw new BpfError("NOT_FOUND", `no ${kind} with ${describeRef(ref)}`);
  return fd;
}

/** Runs `body` on opened objects and closes them all afterwards, even on error. */
export function withFds<T>(fds: FD[], body: (fds: FD[]) => T): T {
  try {
    return body(fds);
  } finally {
    for (const fd of fds) fd.close();
  }
}
