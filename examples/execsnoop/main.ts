// execsnoop: traces execve(2) system-wide and prints one line per call, like
// libbpf-tools' execsnoop (examples/execsnoop/execsnoop.bpf.o, committed; two
// tracepoints attached by their SEC() names, events from a ring buffer).
//   node dist/examples/execsnoop/main.js [-u UID] [-x] [-d SECONDS]
import path from "node:path";
import { fileURLToPath } from "node:url";
import { attachTracepoint, Collection, loadObjectSpec } from "../../src/index.js";
import { integerOption, parseCommandLine } from "../common/cli.js";
import { runTool } from "../common/tool.js";
import { traceEvents } from "../common/ring-trace.js";
import { StructReader } from "../common/struct.js";

const OBJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../examples/execsnoop/execsnoop.bpf.o");
const ARG_LEN = 64;

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
  const spec = loadObjectSpec(OBJECT);
  if (uid !== undefined) spec.variable("target_uid").set(uid);
  spec.variable("failed_only").set(failed);
  const event = new StructReader(spec.btf, "exec_event");
  using objects = Collection.load(spec);
  await traceEvents(objects, attachTracepoint, duration, () => {
    process.stdout.write(`${"PCOMM".padEnd(16)} ${"PID".padStart(7)} ${"PPID".padStart(7)} ${"RET".padStart(3)} ARGS\n`);
    process.stderr.write(`Tracing execve calls ${duration ? `for ${duration} s` : "until Ctrl-C"}.\n`);
  }, (record) => {
    const e = event.at(record);
    const args = e.bytes("args");
    const words: string[] = [];
    for (let i = 0; i < e.u32("args_count"); i++) {
      const slot = args.subarray(i * ARG_LEN, (i + 1) * ARG_LEN);
      const end = slot.indexOf(0);
      words.push(Buffer.from(end < 0 ? slot : slot.subarray(0, end)).toString("utf8"));
    }
    process.stdout.write(`${e.string("comm").padEnd(16)} ${String(e.u32("pid")).padStart(7)} ${String(e.u32("ppid")).padStart(7)} ${String(e.i32("retval")).padStart(3)} ${words.join(" ")}\n`);
  });
}

process.exitCode = await runTool({ name: "execsnoop", usage: USAGE, parse, run: trace }, process.argv.slice(2));
