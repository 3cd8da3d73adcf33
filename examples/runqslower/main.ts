// runqslower: tasks that waited on a CPU's run queue longer than a threshold,
// from tp_btf scheduler tracepoints (examples/runqslower/runqslower.bpf.o,
// committed), like libbpf-tools' runqslower. The threshold and the filters
// are `.rodata` constants set before load, through the generated skeleton
// (runqslower.skel.ts: `tsbpf gen skeleton`).
//   node dist/examples/runqslower/main.js [MIN_US] [-p PID] [-t TID] [-d SECONDS]
import { attachRawTracepoint } from "../../src/index.js";
import { integerOption, parseCommandLine } from "../common/cli.js";
import { runTool } from "../common/tool.js";
import { traceSkeleton } from "../common/ring-trace.js";
import { RunqslowerSkeleton, type RunqEvent } from "./runqslower.skel.js";

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

/**
 * Attaches each program to its raw tracepoint: BPF trampolines (tp_btf's own
 * attach) are refused on some kernels, the raw tracepoint attach works everywhere.
 */
function attachRaw(skel: RunqslowerSkeleton): { close(): void } {
  const links = [...skel.collection.programs.values()].map((p) => attachRawTracepoint(p));
  return { close: () => links.forEach((l) => l.close()) };
}

async function trace({ minUs, pid, tid, duration }: Options): Promise<void> {
  using skel = RunqslowerSkeleton.open();
  skel.rodata.min_us = BigInt(minUs);
  if (pid !== undefined) skel.rodata.target_tgid = pid;
  if (tid !== undefined) skel.rodata.target_tid = tid;
  skel.load();
  await traceSkeleton({ attach: () => attachRaw(skel) }, skel.events.events, duration, () => {
    process.stdout.write(`${"TIME".padEnd(8)} ${"COMM".padEnd(16)} ${"TID".padStart(7)} ${"LAT(us)".padStart(14)} ${"PREV COMM".padEnd(16)} PREV TID\n`);
    process.stderr.write(`Tracing run queue latency higher than ${minUs} us ${duration ? `for ${duration} s` : "until Ctrl-C"}.\n`);
  }, (e: RunqEvent) => {
    const time = new Date().toTimeString().slice(0, 8);
    process.stdout.write(`${time} ${e.task.padEnd(16)} ${String(e.pid).padStart(7)} ${String(e.delta_us).padStart(14)} ${e.prev_task.padEnd(16)} ${e.prev_pid}\n`);
  });
}

process.exitCode = await runTool({ name: "runqslower", usage: USAGE, parse, run: trace }, process.argv.slice(2));
