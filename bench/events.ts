// `node dist/bench/events.js`: the ring buffer and perf buffer consumers of
// tsbpf against libbpf's (bench/c/event_consumer.c), same producer program
// (test/fixtures/events/producer.bpf.o run with BPF_PROG_TEST_RUN in another
// thread), same machine, alternating runs. Prints records/s and records lost
// per side and the throughput ratio (the median of the per-run pairs).
//
//   node dist/bench/events.js [--ring-records N] [--perf-records N] [--runs N] [--simple] [--json]
//
// Not part of `npm run bench`'s synchronous groups: each side is a process
// that waits on its event loop (or poll) while a producer thread floods it.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cHarness } from "./c-harness.js";
import { median } from "./harness.js";
import { formatRate, machineInfo } from "./report.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** The producer object both sides load. */
export const PRODUCER_OBJECT = path.join(repoRoot, "test", "fixtures", "events", "producer.bpf.o");
const TS_CONSUMER = fileURLToPath(new URL("./events-consumer.js", import.meta.url));

/** One run of one side, as both harnesses print it. */
export interface EventRun {
  readonly mode: "ring" | "perf";
  readonly produced: number;
  readonly received: number;
  /** Records the program could not write (ring full). */
  readonly lost: number;
  /** Losses the consumer was told about (PERF_RECORD_LOST; 0 for the ring buffer). */
  readonly lost_reported: number;
  readonly elapsed_ns: number;
  readonly producer_ns: number;
  readonly out_of_order: number;
}

/** What a run is asked to do. */
export interface EventWorkload {
  readonly mode: "ring" | "perf";
  readonly records: number;
  /** Data pages per CPU of the perf buffer. */
  readonly pages?: number;
  /** Untimed warm-up rounds. */
  readonly warmup?: number;
  /** tsbpf side only: the per-record Uint8Array callback instead of the batch one. */
  readonly simple?: boolean;
}

function parseRun(out: string, who: string): EventRun {
  const line = out.trim().split("\n").pop() ?? "";
  const run = JSON.parse(line) as EventRun;
  if (typeof run.received !== "number" || typeof run.elapsed_ns !== "number") throw new Error(`${who}: unexpected output ${out}`);
  return run;
}

function args(w: EventWorkload): string[] {
  return [PRODUCER_OBJECT, w.mode, String(w.records), String(w.pages ?? 64), String(w.warmup ?? 5)];
}

/** libbpf's consumer (bench/c/event_consumer.c, built on demand). */
export function runLibbpfConsumer(w: EventWorkload): EventRun {
  return parseRun(execFileSync(cHarness("event_consumer"), args(w), { encoding: "utf8" }), "event_consumer");
}

/** tsbpf's consumer (bench/events-consumer.ts) in a fresh Node.js process. */
export function runTsbpfConsumer(w: EventWorkload): EventRun {
  const extra = w.simple ? ["--simple"] : [];
  return parseRun(execFileSync(process.execPath, [TS_CONSUMER, ...args(w), ...extra], { encoding: "utf8" }), "events-consumer");
}

/** Records per second of a run (received over the time from the producer's start to the last record). */
export function rate(run: EventRun): number {
  return run.elapsed_ns > 0 ? (run.received * 1e9) / run.elapsed_ns : 0;
}

interface Comparison {
  readonly workload: EventWorkload;
  readonly libbpf: EventRun[];
  readonly tsbpf: EventRun[];
  readonly ratio: number;
}

function compare(workload: EventWorkload, runs: number): Comparison {
  const libbpf: EventRun[] = [];
  const tsbpf: EventRun[] = [];
  for (let i = 0; i < runs; i++) {
    // Alternate which side goes first, so a noisy moment hits both alike.
    if (i % 2 === 0) {
      libbpf.push(runLibbpfConsumer(workload));
      tsbpf.push(runTsbpfConsumer(workload));
    } else {
      tsbpf.push(runTsbpfConsumer(workload));
      libbpf.push(runLibbpfConsumer(workload));
    }
  }
  const ratio = median(tsbpf.map((t, i) => rate(t) / rate(libbpf[i]!)));
  return { workload, libbpf, tsbpf, ratio };
}

function describe(c: Comparison): string[] {
  const side = (name: string, runs: readonly EventRun[]): string =>
    `  ${name.padEnd(7)} received ${runs.map((r) => `${r.received}/${r.produced}`).join(", ")}; lost ${runs.map((r) => r.lost).join(", ")}; ` +
    `${formatRate(median(runs.map(rate)))} records/s (median)`;
  const w = c.workload;
  return [
    `${w.mode === "ring" ? "ring buffer (4 MiB)" : `perf buffer (${w.pages ?? 64} pages/CPU)`}, ${w.records} records${w.simple ? ", simple callback" : ", batch callback"}:`,
    side("libbpf", c.libbpf),
    side("tsbpf", c.tsbpf),
    `  ratio (tsbpf/libbpf records/s, median of pairs): ${c.ratio.toFixed(2)}x`,
  ];
}

function main(): void {
  const { values } = parseArgs({
    options: {
      "ring-records": { type: "string", default: "5000000" },
      "perf-records": { type: "string", default: "100000" },
      runs: { type: "string", default: "3" },
      simple: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
  });
  const runs = Number(values.runs);
  const simple = values.simple;
  const comparisons = [
    compare({ mode: "ring", records: Number(values["ring-records"]), simple }, runs),
    compare({ mode: "perf", records: Number(values["perf-records"]), simple }, runs),
  ];
  if (values.json) {
    console.log(JSON.stringify({ machine: machineInfo(), comparisons }, null, 2));
    return;
  }
  const m = machineInfo();
  console.log(`machine: ${m.cpus} CPUs (${m.cpuModel}), Linux ${m.kernel}, Node.js ${m.node}, libbpf ${m.libbpf}`);
  for (const c of comparisons) console.log(describe(c).join("\n"));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) main();
