// bootstrap: process starts and exits with their lifetimes, like
// libbpf-bootstrap's example (examples/bootstrap/bootstrap.bpf.o, committed),
// through its generated skeleton (bootstrap.skel.ts: `tsbpf gen skeleton`).
// The minimum duration is a `.rodata` constant set before load.
//   node dist/examples/bootstrap/main.js [-m MS] [-d SECONDS]
import { integerOption, parseCommandLine } from "../common/cli.js";
import { runTool } from "../common/tool.js";
import { traceSkeleton } from "../common/ring-trace.js";
import { BootstrapSkeleton, type ProcessEvent } from "./bootstrap.skel.js";

const USAGE = `Usage: bootstrap [-m MS] [-d SECONDS]
Trace process starts and exits, with eBPF (needs root).

  -m, --min-duration MS   only exits of processes that lived at least MS milliseconds (no start events)
  -d, --duration SECS     trace for SECS seconds (default: until Ctrl-C)
  -h, --help              this text`;

interface Options {
  minMs: number;
  duration: number;
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

function parse(argv: readonly string[]): Options | undefined {
  const values = parseCommandLine("bootstrap", USAGE, argv, { "min-duration": { type: "string", short: "m" } });
  if (!values) return undefined;
  return { minMs: integerOption("bootstrap", "-m", values["min-duration"]) ?? 0, duration: integerOption("bootstrap", "-d", values.duration) ?? 0 };
}

async function trace({ minMs, duration }: Options): Promise<void> {
  using skel = BootstrapSkeleton.open();
  skel.rodata.min_duration_ns = BigInt(minMs) * 1_000_000n;
  skel.load();
  await traceSkeleton(skel, skel.events.events, duration, () => {
    process.stdout.write(`${"TIME".padEnd(8)} ${"EVENT".padEnd(5)} ${"COMM".padEnd(16)} ${"PID".padStart(7)} ${"PPID".padStart(7)} FILENAME/EXIT CODE\n`);
    process.stderr.write(`Tracing process starts and exits ${duration ? `for ${duration} s` : "until Ctrl-C"}.\n`);
  }, (e: ProcessEvent) => {
    const head = `${clock()} ${(e.exit_event ? "EXIT" : "EXEC").padEnd(5)} ${e.comm.padEnd(16)} ${String(e.pid).padStart(7)} ${String(e.ppid).padStart(7)}`;
    const tail = e.exit_event ? `[${e.exit_code}]${e.duration_ns ? ` (${e.duration_ns / 1_000_000n}ms)` : ""}` : e.filename;
    process.stdout.write(`${head} ${tail}\n`);
  });
}

process.exitCode = await runTool({ name: "bootstrap", usage: USAGE, parse, run: trace }, process.argv.slice(2));
