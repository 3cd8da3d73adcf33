// Programs that run on the sockets of a sockmap or sockhash: sk_msg (sees
// what a socket sends), sk_skb stream parser / stream verdict and sk_skb
// verdict (see what it receives). They attach to the map, not to a socket:
// a sockmap BPF link (Linux 6.10), or BPF_PROG_ATTACH to the map fd on older
// kernels (Linux 4.14), undone with BPF_PROG_DETACH.
import type { Program } from "../program/program.js";
import { AttachType, ProgramType, attachTypeName } from "../program/types.js";
import { sectionType } from "../object/section-types.js";
import type { BpfMap } from "../map.js";
import { MapType } from "../map/types.js";
import { linkCreate } from "../sys/link.js";
import { progAttach, progDetach } from "../sys/attach.js";
import { BusyError, ClosedError, InvalidArgumentError, NotFoundError } from "../sys/errors.js";
import type { FD } from "../sys/fd.js";
import { Link } from "./link.js";
import { HeldProgram } from "./held-program.js";
import { linkOrProgAttach, type AttachMethod } from "./link-or-attach.js";
import { checkAttachable } from "./program-check.js";

/** Options of {@link attachSockmap}. */
export interface SockmapOptions {
  /** The hook; default: from the SEC() name ("sk_msg", "sk_skb/stream_parser", "sk_skb/stream_verdict", "sk_skb/verdict"). */
  attachType?: AttachType;
  /** "auto" (default): a sockmap BPF link, or BPF_PROG_ATTACH where the kernel has none (before 6.10); "link" / "attach" force one. */
  method?: AttachMethod;
}

const hooks: ReadonlyMap<AttachType, ProgramType> = new Map([
  [AttachType.SkMsgVerdict, ProgramType.SkMsg],
  [AttachType.SkSKBStreamParser, ProgramType.SkSKB],
  [AttachType.SkSKBStreamVerdict, ProgramType.SkSKB],
  [AttachType.SkSKBVerdict, ProgramType.SkSKB],
]);

/** The sockmap attach type a SEC() name implies, or undefined (plain "sk_skb" names none). */
export function sockmapOfSection(sectionName: string): AttachType | undefined {
  const t = sectionType(sectionName.replace(/^\?/, ""))?.expectedAttachType;
  return t !== undefined && hooks.has(t) ? t : undefined;
}

function resolveAttachType(program: Program, given: AttachType | undefined, where: string): AttachType {
  const attachType = given ?? (program.sectionName === undefined ? undefined : sockmapOfSection(program.sectionName));
  if (attachType === undefined) {
    const why = program.sectionName === undefined ? "it was not loaded from an object" : `its SEC("${program.sectionName}") names none`;
    throw new InvalidArgumentError(`program '${program.name}': give attachType, the ${where} hook to attach to (${why})`, "attachType");
  }
  const type = hooks.get(attachType);
  if (type === undefined) throw new InvalidArgumentError(`attach type ${attachTypeName(attachType)} is not a sockmap hook (sk_msg_verdict, sk_skb_stream_parser, sk_skb_stream_verdict, sk_skb_verdict)`, "attachType");
  checkAttachable(program, [type], `${attachTypeName(attachType)} of ${where}`, "a program of that type");
  return attachType;
}

/**
 * Attaches an sk_msg or sk_skb program to a sockmap or sockhash: it runs for
 * the sockets in the map. Errors: InvalidArgumentError for a map of another
 * type or a program that does not fit the hook, ClosedError for a closed
 * program or map, BusyError when the hook of that map already has a program
 * (BPF_PROG_ATTACH replaces it instead). Nothing stays attached on failure.
 */
export function attachSockmap(program: Program, map: BpfMap, options: SockmapOptions = {}): Link {
  const where = `${map.type === MapType.Sockhash ? "sockhash" : "sockmap"} '${map.name}'`;
  checkAttachable(program, [ProgramType.SkMsg, ProgramType.SkSKB], `the ${where}`, "an sk_msg or sk_skb program (SEC(\"sk_msg\"), SEC(\"sk_skb/…\"))");
  if (map.fd.closed) throw new ClosedError(`map '${map.name}' (to attach '${program.name}' to)`);
  if (map.type !== MapType.Sockmap && map.type !== MapType.Sockhash) {
    throw new InvalidArgumentError(`cannot attach '${program.name}' to map '${map.name}': it is not a sockmap or sockhash`, "map");
  }
  const attachType = resolveAttachType(program, options.attachType, where);
  const target = `${attachTypeName(attachType)} on ${where}`;
  const method = options.method ?? "auto";
  return linkOrProgAttach(
    method,
    () => new Link({ link: linkCreate({ progFd: program.fd, targetFd: map.fd, attachType }), target }),
    () => attachWithProgAttach(program, map.fd.dup(), attachType, target),
  );
}

/** BPF_PROG_ATTACH to the map fd; the Link keeps its own map and program fds to detach (and update) later. */
function attachWithProgAttach(program: Program, mapFd: FD, attachType: AttachType, target: string): Link {
  let held: HeldProgram;
  try {
    held = HeldProgram.attach(program, (progFd) => progAttach({ targetFd: mapFd, progFd, attachType }));
  } catch (e) {
    mapFd.close();
    throw e;
  }
  return new Link({
    target,
    others: [mapFd],
    detach: () => {
      try {
        progDetach({ targetFd: mapFd, progFd: held.fd, attachType });
      } catch (e) {
        // ENOENT: replaced or detached elsewhere; EBUSY: a sockmap link has taken the hook over since. Either way ours is gone.
        if (!(e instanceof NotFoundError) && !(e instanceof BusyError)) throw e;
      }
    },
    // Attaching another program to the same hook of the map replaces the one there.
    update: (next) => {
      checkAttachable(next, [hooks.get(attachType)!], target, "a program of that type");
      held.replace(next, (progFd) => progAttach({ targetFd: mapFd, progFd, attachType }));
    },
    release: () => held.close(),
  });
}
