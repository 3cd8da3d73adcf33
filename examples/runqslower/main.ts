// runqslower: tasks that waited on a CPU's run queue longer than a threshold,
// from tp_btf scheduler tracepoints (examples/runqslower/runqslower.bpf.o,
// committed), like libbpf-tools' runqslower. The threshold and the filters
// are `.rodata` constants set before load.
//   node dist/examples/runqslower/main.js [MIN_US] [-p PID] [-t TID] [-d SECONDS]
import path from "node:path";
import { fileURLToPath } from "node:url";
import { attachRawTracepoint, Collection, loadObjectSpec } from "../../src/index.js";
import { integerOption, parseCommandLine } from "../common/cli.js";
import { runTool } from "../common/tool.js";
import { traceEvents } from "../common/ring-trace.js";
import { StructReader } from "../common/struct.js";

const OBJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../examples/runqslower/runqslower.bpf.o");

const USAGE = `Usage: runqslower [-m MIN_US] [-p PID] [-t TID] [-d SECONDS]
Trace tasks that waited on a run queue longer than MIN_US microseconds, with eBPF (needs root).

  -m, --min-us MIN_US   threshold in microseconds (default 10000; 0 shows every switch)
  -p, --pid PID         only this process
  -t, --tid TID         only this thread
  -d, --duration SECS   trace for SECS seconds (default: until Ctrl-C)
  -h, --help            this text`;

interface Options {
  minUs: number;
  pid?: number;
  tid?: number;
  duration: number;
}

function parse(argv: readonly string[]): Options | undefined {
  const values = parseCommandLine("runqslower", USAGE, argv, {
    "min-us": { type: "string", short: "m" }, pid: { type: "string", short: "p" }, tid: { type: "string", short: "t" },
  });
  if (!values) return undefined;
  const minUs = integerOption("runqslower", "-m", values["min-us"]) ?? 10_000;
  const pid = integerOption("runqslower", "-p", values.pid);
  const tid = integerOption("runqslower", "-t", values.tid);
  const duration = integerOption("runqslower", "-d", values.duration) ?? 0;
  return { minUs, ...(pid !== undefined ? { pid } : {}), ...(tid !== undefined ? { tid } : {}), duration };
}

async function trace({ minUs, pid, tid, duration }: Options): Promise<void> {
  const spec = loadObjectSpec(OBJECT);
  spec.variable("min_us").set(BigInt(minUs));
  if (pid !== undefined) spec.variable("target_tgid").set(pid);
  if (tid !== undefined) spec.variable("target_tid").set(tid);
  const event = new StructReader(spec.btf, "runq_event");
  using objects = Collection.load(spec);
  await traceEvents(objects, attachRawTracepoint, duration, () => {
    process.stdout.write(`${"TIME".padEnd(8)} ${"COMM".padEnd(16)} ${"TID".padStart(7)} ${"LAT(us)".padStart(14)} ${"PREV COMM".padEnd(16)} PREV TID\n`);
    process.stderr.write(`Tracing run queue latency higher than ${minUs} us ${duration ? `for ${duration} s` : "until Ctrl-C"}.\n`);
  }, (record) => {
    const e = event.at(record);
    const time = new Date().toTimeString().slice(0, 8);
    process.stdout.write(`${time} ${e.string("task").padEnd(16)} ${String(e.u32("pid")).padStart(7)} ${String(e.u64("delta_us")).padStart(14)} ${e.string("prev_task").padEnd(16)} ${e.u32("prev_pid")}\n`);
  });
}

process.exitCode = await runTool({ name: "runqslower", usage: USAGE, parse, run: trace }, process.argv.slice(2));
