// bootstrap: process starts and exits with their lifetimes, like
// libbpf-bootstrap's example (examples/bootstrap/bootstrap.bpf.o, committed).
// The minimum duration is a `.rodata` constant set before load.
//   node dist/examples/bootstrap/main.js [-m MS] [-d SECONDS]
import path from "node:path";
import { fileURLToPath } from "node:url";
import { attachTracepoint, Collection, loadObjectSpec } from "../../src/index.js";
import { integerOption, parseCommandLine } from "../common/cli.js";
import { runTool } from "../common/tool.js";
import { traceEvents } from "../common/ring-trace.js";
import { StructReader } from "../common/struct.js";

const OBJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../examples/bootstrap/bootstrap.bpf.o");

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
  const spec = loadObjectSpec(OBJECT);
  spec.variable("min_duration_ns").set(BigInt(minMs) * 1_000_000n);
  const event = new StructReader(spec.btf, "process_event");
  using objects = Collection.load(spec);
  await traceEvents(objects, attachTracepoint, duration, () => {
    process.stdout.write(`${"TIME".padEnd(8)} ${"EVENT".padEnd(5)} ${"COMM".padEnd(16)} ${"PID".padStart(7)} ${"PPID".padStart(7)} FILENAME/EXIT CODE\n`);
    process.stderr.write(`Tracing process starts and exits ${duration ? `for ${duration} s` : "until Ctrl-C"}.\n`);
  }, (record) => {
    const e = event.at(record);
    const head = `${clock()} ${(e.bytes("exit_event")[0] ? "EXIT" : "EXEC").padEnd(5)} ${e.string("comm").padEnd(16)} ${String(e.u32("pid")).padStart(7)} ${String(e.u32("ppid")).padStart(7)}`;
    const tail = e.bytes("exit_event")[0]
      ? `[${e.u32("exit_code")}]${e.u64("duration_ns") ? ` (${e.u64("duration_ns") / 1_000_000n}ms)` : ""}`
      : e.string("filename");
    process.stdout.write(`${head} ${tail}\n`);
  });
}

process.exitCode = await runTool({ name: "bootstrap", usage: USAGE, parse, run: trace }, process.argv.slice(2));
