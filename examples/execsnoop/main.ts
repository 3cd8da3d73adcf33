// execsnoop: traces execve(2) system-wide and prints one line per call, like
// libbpf-tools' execsnoop (examples/execsnoop/execsnoop.bpf.o, committed; two
// tracepoints attached by their SEC() names, events from a ring buffer), through
// its generated skeleton (execsnoop.skel.ts: `tsbpf gen skeleton`).
//   node dist/examples/execsnoop/main.js [-u UID] [-x] [-d SECONDS]
import { integerOption, parseCommandLine } from "../common/cli.js";
import { runTool } from "../common/tool.js";
import { traceSkeleton } from "../common/ring-trace.js";
import { ExecsnoopSkeleton, type ExecEvent } from "./execsnoop.skel.js";

const USAGE = `Usage: execsnoop [-u UID] [-x] [-d SECONDS]
Trace execve(2) calls, with eBPF (needs root).

  -u, --uid UID         only this user
  -x, --failed          only failed calls
  -d, --duration SECS   trace for SECS seconds (default: until Ctrl-C)
  -h, --help            this text`;

interface Options {
  uid?: number;
  failed: boolean;
  duration: number;
}

function parse(argv: readonly string[]): Options | undefined {
  const values = parseCommandLine("execsnoop", USAGE, argv, {
    uid: { type: "string", short: "u" }, failed: { type: "boolean", short: "x", default: false },
  });
  if (!values) return undefined;
  const uid = integerOption("execsnoop", "-u", values.uid, 0, 2 ** 32 - 2);
  return { ...(uid !== undefined ? { uid } : {}), failed: values.failed === true, duration: integerOption("execsnoop", "-d", values.duration) ?? 0 };
}

async function trace({ uid, failed, duration }: Options): Promise<void> {
  using skel = ExecsnoopSkeleton.open();
  if (uid !== undefined) skel.rodata.target_uid = uid;
  skel.rodata.failed_only = failed;
  skel.load();
  await traceSkeleton(skel, skel.events.events, duration, () => {
    process.stdout.write(`${"PCOMM".padEnd(16)} ${"PID".padStart(7)} ${"PPID".padStart(7)} ${"RET".padStart(3)} ARGS\n`);
    process.stderr.write(`Tracing execve calls ${duration ? `for ${duration} s` : "until Ctrl-C"}.\n`);
  }, (e: ExecEvent) => {
    const args = e.args.slice(0, e.args_count).join(" ");
    process.stdout.write(`${e.comm.padEnd(16)} ${String(e.pid).padStart(7)} ${String(e.ppid).padStart(7)} ${String(e.retval).padStart(3)} ${args}\n`);
  });
}

process.exitCode = await runTool({ name: "execsnoop", usage: USAGE, parse, run: trace }, process.argv.slice(2));
