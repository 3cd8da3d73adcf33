// `tsbpf link …`: bpftool's link verbs — show/list every BPF link or one
// (`id ID | pinned FILE`), pin one, detach one. What the kernel reports is
// read by the link layer (Link.list / sys/link-info); this file picks the
// links and prints them (link-format.ts).
import { didYouMean } from "./suggest.js";
import { dirname } from "node:path";
import { Args, UsageError } from "./args.js";
import type { Context, ObjectCommands } from "./command.js";
import { linkShowJson, linkShowPlain, type LinkShowExtras } from "./link-format.js";
import { ObjectRefs } from "./pids.js";
import { PinnedPaths } from "./pinned-paths.js";
import { withFds } from "./refs.js";
import { Link } from "../link/link.js";
import { Kallsyms } from "../asm/kallsyms.js";
import { readProgramIdentity } from "../program/info.js";
import { linkInfo, LinkType, type LinkInfo } from "../sys/link-info.js";
import { linkDetach } from "../sys/link.js";
import { fdById, openPinnedFd, pinFd } from "../sys/objects.js";
import { bpfFdKindMismatch } from "../sys/fd-kind.js";
import { InvalidArgumentError, NotFoundError } from "../sys/errors.js";
import { interfaceName } from "../sys/netdev-name.js";
import { requireBpffs } from "../sys/filesystems.js";
import type { FD } from "../sys/fd.js";

const GRAMMAR = `LINK     := { id LINK_ID | pinned FILE }
OPTIONS  := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-f|--bpffs} | {-n|--nomount} }

-f lists the bpffs paths each link is pinned at. 'detach' ends the attachment
even while the link is pinned or held open elsewhere (Linux 5.9).`;

/** A parsed LINK reference. */
export type LinkRef = { readonly by: "id"; readonly id: number } | { readonly by: "pinned"; readonly path: string };

/** Parses `id LINK_ID | pinned FILE` (keywords may be abbreviated, as bpftool allows). */
export function parseLinkRef(args: Args): LinkRef {
  const how = args.next("LINK (id LINK_ID | pinned FILE)");
  if (how.length > 0 && "id".startsWith(how)) return { by: "id", id: args.uint("link id") };
  if (how.length > 0 && "pinned".startsWith(how)) return { by: "pinned", path: args.next("pinned path") };
  throw new UsageError(`expected 'id' or 'pinned' to select a link, got '${how}'${didYouMean(how, ["id", "pinned"])}`, args.topic);
}

/** Opens the link a reference names; a pin that holds another kind of object is an error. */
export function openLinkRef(ref: LinkRef): FD {
  if (ref.by === "id") return fdById("link", ref.id);
  const fd = openPinnedFd(ref.path, "rw", "link");
  const mismatch = bpfFdKindMismatch(fd.raw, "link");
  if (mismatch !== undefined) {
    fd.close();
    throw new InvalidArgumentError(`incorrect object type: ${ref.path} is ${mismatch}, not a BPF link`, "path");
  }
  return fd;
}

/** Everything `show` needs besides each link's info, gathered once per command. */
class ShowContext {
  readonly #refs = new ObjectRefs("link");
  readonly #pins: PinnedPaths | undefined;
  #ksyms: Kallsyms | undefined;

  constructor(withPins: boolean) {
    this.#pins = withPins ? PinnedPaths.scan("link") : undefined;
  }

  extras(info: LinkInfo): LinkShowExtras {
    return {
      progType: info.type === LinkType.TRACING ? programType(info.progId) : undefined,
      // bpftool prints "pinned" only when -f found pins of some link.
      pinned: this.#pins && !this.#pins.empty ? this.#pins.of(info.id) : undefined,
      refs: this.#refs.holders(info.id),
      ifname: interfaceName,
      ksym: (addr) => (this.#ksyms ??= new Kallsyms()).lookup(addr),
    };
  }
}

/** The type of program `id`, or 0 (printed as a number) when it cannot be read. */
function programType(id: number): number {
  try {
    using fd = fdById("prog", id);
    return readProgramIdentity(fd).type;
  } catch (e) {
    if (e instanceof NotFoundError) return 0;
    throw e;
  }
}

function show(args: Args, ctx: Context): void {
  const showCtx = new ShowContext(ctx.options.bpffs);
  const print = (infos: LinkInfo[], single: boolean): void => {
    if (ctx.out.json) {
      const objs = infos.map((i) => linkShowJson(i, showCtx.extras(i)));
      ctx.out.jsonValue(single ? objs[0] : objs);
    } else for (const i of infos) ctx.out.line(linkShowPlain(i, showCtx.extras(i)));
  };
  if (!args.remaining) {
    print(Link.list(), false);
    return;
  }
  const ref = parseLinkRef(args);
  args.end();
  withFds([openLinkRef(ref)], ([fd]) => print([linkInfo(fd!)], true));
}

function pin(args: Args, ctx: Context): void {
  const ref = parseLinkRef(args);
  const path = args.next("FILE (a path in bpffs)");
  args.end();
  requireBpffs(dirname(path), { mount: !ctx.options.nomount });
  withFds([openLinkRef(ref)], ([fd]) => pinFd(fd!, path));
  if (ctx.out.json) ctx.out.jsonValue(null);
}

function detach(args: Args, ctx: Context): void {
  if (!args.remaining) throw new UsageError("link specifier is invalid or missing", args.topic);
  const ref = parseLinkRef(args);
  args.end();
  withFds([openLinkRef(ref)], ([fd]) => linkDetach(fd!));
  if (ctx.out.json) ctx.out.jsonValue(null);
}

/** The `link` object of the CLI. */
export const linkCommands: ObjectCommands = {
  name: "link",
  summary: "list, pin and detach BPF links",
  grammar: GRAMMAR,
  commands: [
    { name: "show", synopsis: "{ show | list } [LINK]", examples: ["tsbpf link show", "tsbpf -f -j link show pinned /sys/fs/bpf/my_link"], run: show },
    { name: "list", synopsis: "{ show | list } [LINK]", examples: ["tsbpf link list pinned /sys/fs/bpf/my_link"], run: show },
    { name: "pin", synopsis: "pin LINK FILE", examples: ["tsbpf link pin pinned /sys/fs/bpf/my_link /sys/fs/bpf/my_link_too"], run: pin },
    { name: "detach", synopsis: "detach LINK", examples: ["tsbpf link detach pinned /sys/fs/bpf/my_link"], run: detach },
  ],
};
