// `tsbpf prog …`: bpftool's program verbs.
import { didYouMean } from "./suggest.js";
import { Args, UsageError } from "./args.js";
import type { Context, ObjectCommands } from "./command.js";
import { openOneRef, openRefs, parseRef, withFds } from "./refs.js";
import { progShowInfo } from "./kernel-info.js";
import { progShowJson, progShowPlain } from "./prog-format.js";
import { dumpLoadedProgram, dumpLoadedProgramJson, type LoadedDumpOptions } from "../program/xlated-dump.js";
import { parseTestRunArgs, printTestRunResult } from "./test-run-args.js";
import { pinObject } from "./pin.js";
import { showObjects } from "./show.js";
import { Program } from "../program/index.js";
import { progLoadAllCommand, progLoadCommand } from "./prog-load.js";
import { progAttachCommand, progDetachCommand } from "./prog-attach.js";
import { progTracelogCommand } from "./tracelog.js";

const GRAMMAR = `PROG     := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }
ATTACH_TYPE := { sk_msg_verdict | sk_skb_verdict | sk_skb_stream_verdict | sk_skb_stream_parser | flow_dissector }
MAP      := { id MAP_ID | pinned FILE | name MAP_NAME }: the sockmap/sockhash to attach to (flow_dissector
            takes none: it attaches to the caller's network namespace)
FILE     := a path; for run, '-' is stdin (data_in/ctx_in) or stdout (data_out/ctx_out)
OPTIONS  := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }

'dump xlated' prints the instructions as the verifier left them; 'opcodes'
adds each instruction's bytes, 'linum' the source file, line and column.
Set TSBPF_DISASM=legacy to print newer instructions the way bpftool <= 7.2 does.`;


function show(args: Args, ctx: Context): void {
  showObjects(args, ctx, { kind: "prog", read: progShowInfo, json: progShowJson, plain: progShowPlain });
}

function dump(args: Args, ctx: Context): void {
  const what = args.next("'xlated'");
  if (what === "jited" || (what.length > 0 && "jited".startsWith(what))) {
    throw new UsageError("'dump jited' is not supported yet; use 'dump xlated'", args.topic);
  }
  if (!"xlated".startsWith(what)) throw new UsageError(`expected 'xlated', got '${what}'${didYouMean(what, ["xlated"])}`, args.topic);
  const ref = parseRef(args, "prog");
  let opcodes = false;
  let linum = false;
  while (args.remaining) {
    if (args.accept("opcodes")) opcodes = true;
    else if (args.accept("linum")) linum = true;
    else if (args.peek() === "file" || args.peek() === "visual") throw new UsageError(`'${args.peek()}' is not supported by tsbpf`, args.topic);
    else args.end();
  }
  // Newer instructions print differently in bpftool <= 7.2; TSBPF_DISASM=legacy imitates that.
  const dialect = process.env.TSBPF_DISASM === "legacy" ? "legacy" : "modern";
  const options: LoadedDumpOptions = { opcodes, linum, dialect };
  withFds(openRefs("prog", ref), (fds) => {
    const json: unknown[] = [];
    for (const fd of fds) {
      if (ctx.out.json) json.push(dumpLoadedProgramJson(fd, options));
      else ctx.out.text(dumpLoadedProgram(fd, options));
    }
    if (ctx.out.json) ctx.out.jsonValue(json.length === 1 ? json[0] : json);
  });
}

function run(args: Args, ctx: Context): void {
  const ref = parseRef(args, "prog");
  const request = parseTestRunArgs(args);
  const program = Program.fromFd(openOneRef("prog", ref));
  try {
    printTestRunResult(request, program.testRun(request.options), ctx);
  } finally {
    program.close();
  }
}

/** The `prog` object of the CLI. */
export const progCommands: ObjectCommands = {
  name: "prog",
  summary: "inspect, pin, dump and test-run programs",
  grammar: GRAMMAR,
  commands: [
    { name: "show", synopsis: "{ show | list } [PROG]", examples: ["tsbpf prog show", "tsbpf -j prog show name handle_exec"], run: show },
    { name: "list", synopsis: "{ show | list } [PROG]", examples: ["tsbpf prog list tag 4ee3a97a187fb36c"], run: show },
    {
      name: "dump",
      synopsis: "dump xlated PROG [{ opcodes | linum }]",
      examples: ["tsbpf prog dump xlated pinned /sys/fs/bpf/xdp_prog", "tsbpf prog dump xlated name handle_exec linum"],
      run: dump,
    },
    { name: "pin", synopsis: "pin PROG FILE", examples: ["tsbpf prog pin pinned /sys/fs/bpf/xdp_prog /sys/fs/bpf/xdp_prog_too"], run: (args, ctx) => pinObject(args, ctx, "prog") },
    {
      name: "run",
      synopsis: "run PROG data_in FILE [data_out FILE [data_size_out L]] [ctx_in FILE [ctx_out FILE [ctx_size_out M]]] [repeat N]",
      examples: ["tsbpf prog run pinned /sys/fs/bpf/xdp_prog data_in packet.bin data_out - repeat 1000"],
      run,
    },
    progLoadCommand,
    progLoadAllCommand,
    progAttachCommand,
    progDetachCommand,
    progTracelogCommand,
  ],
};
