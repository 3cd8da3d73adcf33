// `tsbpf prog attach|detach PROG ATTACH_TYPE [MAP]`: bpftool's verbs for the
// attachments made with BPF_PROG_ATTACH that outlive the command — sockmap
// and sockhash programs (sk_msg/sk_skb verdicts, stream parser) attached to a
// map, and the flow dissector of the caller's network namespace.
import { Args, UsageError, isPrefix } from "./args.js";
import type { Command, Context } from "./command.js";
import { openOneRef, parseRef, withFds } from "./refs.js";
import { AttachType, attachTypeFromName } from "../program/types.js";
import { progAttach, progDetach } from "../sys/attach.js";
import { BpfError } from "../sys/errors.js";
import type { FD } from "../sys/fd.js";

/** The names bpftool accepted before it took libbpf's, still matched by prefix. */
const TRADITIONAL_NAMES: readonly [string, AttachType][] = [
  ["stream_parser", AttachType.SkSKBStreamParser],
  ["stream_verdict", AttachType.SkSKBStreamVerdict],
  ["skb_verdict", AttachType.SkSKBVerdict],
  ["msg_verdict", AttachType.SkMsgVerdict],
  ["flow_dissector", AttachType.FlowDissector],
];

/** bpftool's parse_attach_type: libbpf's exact name first (sk_msg_verdict …), then a traditional name's prefix. */
export function parseAttachType(word: string): AttachType | undefined {
  return attachTypeFromName(word) ?? TRADITIONAL_NAMES.find(([name]) => isPrefix(word, name))?.[1];
}

const ATTACH_TYPES_HELP = "sk_msg_verdict, sk_skb_verdict, sk_skb_stream_verdict, sk_skb_stream_parser or flow_dissector";

/** The program, the attach type and (except for flow_dissector, which acts on the caller's netns) the map. */
function parseArgs(args: Args): { prog: FD; type: AttachType; map: FD | undefined } {
  const progRef = parseRef(args, "prog");
  const word = args.next(`ATTACH_TYPE (${ATTACH_TYPES_HELP})`);
  const type = parseAttachType(word);
  if (type === undefined) throw new UsageError(`invalid attach/detach type '${word}' (expected ${ATTACH_TYPES_HELP})`, args.topic);
  const mapRef = type === AttachType.FlowDissector ? undefined : parseRef(args, "map");
  args.end();
  const prog = openOneRef("prog", progRef);
  try {
    return { prog, type, map: mapRef ? openOneRef("map", mapRef) : undefined };
  } catch (e) {
    prog.close();
    throw e;
  }
}

function run(args: Args, ctx: Context, attach: boolean): void {
  const { prog, type, map } = parseArgs(args);
  withFds(map ? [prog, map] : [prog], () => {
    // The flow dissector's target is the caller's netns: target_fd must be 0.
    const target = map ? { targetFd: map } : { targetIfindex: 0 };
    try {
      if (attach) progAttach({ ...target, progFd: prog, attachType: type });
      else progDetach({ ...target, progFd: prog, attachType: type });
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      const what = map ? (attach ? "failed prog attach to map" : "failed prog detach from map") : `failed prog ${attach ? "attach" : "detach"}`;
      throw new BpfError(e.code, `${what}: ${e.message}`, { errno: e.errno, cause: e });
    }
  });
  if (ctx.out.json) ctx.out.jsonValue(null);
}

/** `prog attach PROG ATTACH_TYPE [MAP]`. */
export const progAttachCommand: Command = {
  name: "attach",
  synopsis: "attach PROG ATTACH_TYPE [MAP]",
  examples: ["tsbpf prog attach pinned /sys/fs/bpf/verdict sk_skb_stream_verdict pinned /sys/fs/bpf/sockmap"],
  run: (args, ctx) => run(args, ctx, true),
};

/** `prog detach PROG ATTACH_TYPE [MAP]`. */
export const progDetachCommand: Command = {
  name: "detach",
  synopsis: "detach PROG ATTACH_TYPE [MAP]",
  examples: ["tsbpf prog detach pinned /sys/fs/bpf/verdict sk_skb_stream_verdict pinned /sys/fs/bpf/sockmap"],
  run: (args, ctx) => run(args, ctx, false),
};
