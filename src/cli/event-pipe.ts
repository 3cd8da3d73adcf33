// `tsbpf map event_pipe MAP [cpu N index M]`: bpftool's — reads a perf event
// array with a BPF output event (16 pages, a wake-up per sample, samples
// carrying the kernel's time stamp) on every CPU at its own index, or on CPU
// N at index M, and prints each sample until Ctrl-C: bpftool's
// "== @SEC.NSEC CPU: C index: I =====" header and hex dump, "lost N events",
// or with -j a JSON array of {type, cpu, index, timestamp, data} objects
// ({type, cpu, index, lost: {id, count}} for losses).
import { UsageError, type Args } from "./args.js";
import type { Command, Context } from "./command.js";
import { EventStream, stopOnSignals } from "./event-stream.js";
import { formatHex } from "./output.js";
import { openOneRef, parseRef } from "./refs.js";
import { BpfMap } from "../map.js";
import { MapType } from "../map/types.js";
import { PerfBuffer } from "../events/perf-buffer.js";
import { InvalidArgumentError } from "../sys/errors.js";

/** bpftool's ring size for event_pipe. */
const PAGES = 16;
const PERF_RECORD_LOST = 2;
const PERF_RECORD_SAMPLE = 9;
const NS_PER_SEC = 1_000_000_000;

/** Parses `[cpu N index M]` (both or neither). */
function parseRing(args: Args): { cpu: number; index: number } | undefined {
  let cpu: number | undefined;
  let index: number | undefined;
  while (args.remaining) {
    if (args.accept("cpu")) cpu = args.uint("CPU ID");
    else if (args.accept("index")) index = args.uint("index");
    else throw new UsageError(`unexpected argument '${args.peek()}' (expected 'cpu N' or 'index M')`, args.topic);
  }
  if (cpu === undefined && index === undefined) return undefined;
  if (cpu === undefined || index === undefined) throw new UsageError("cpu and index must be specified together", args.topic);
  return { cpu, index };
}

async function eventPipe(args: Args, ctx: Context): Promise<void> {
  const map = BpfMap.fromFd(openOneRef("map", parseRef(args, "map")));
  try {
    if (map.type !== MapType.PerfEventArray) throw new InvalidArgumentError(`map is not a perf event array (it is a ${map.typeName} map)`, "map");
    const ring = parseRing(args);
    const indexOf = (cpu: number): number => ring?.index ?? cpu;
    const stream = new EventStream(ctx.out);
    // Samples and losses reach the output in the order the rings hold them.
    let buffer: PerfBuffer | undefined;
    const onLost = (cpu: number, count: number, id: number): void => {
      stream.event(`lost ${count} events\n`, { type: PERF_RECORD_LOST, cpu, index: indexOf(cpu), lost: { id, count } });
    };
    buffer = new PerfBuffer(map, {
      pages: PAGES,
      wakeupEvents: 1,
      timestamps: true,
      onLost,
      ...(ring ? { cpus: [ring.cpu], keys: [ring.index] } : {}),
    });
    const controller = new AbortController();
    const removeHandlers = stopOnSignals(controller, () => process.stderr.write("Stopping...\n"));
    try {
      const perf = buffer;
      await perf.consume((cpu, data) => {
        const time = perf.sampleTime;
        const seconds = Math.floor(time / NS_PER_SEC);
        const nanos = String(time % NS_PER_SEC).padStart(9, "0");
        const index = indexOf(cpu);
        stream.event(
          `== @${seconds}.${nanos} CPU: ${cpu} index: ${index} =====\n${formatHex(data)}\n`,
          { type: PERF_RECORD_SAMPLE, cpu, index, timestamp: time, data: Array.from(data) },
        );
      }, { signal: controller.signal });
    } finally {
      removeHandlers();
      buffer.close();
      buffer = undefined;
      stream.end();
    }
  } finally {
    map.close();
  }
}

/** `map event_pipe`. */
export const mapEventPipeCommand: Command = {
  name: "event_pipe",
  synopsis: "event_pipe MAP [cpu N index M]",
  examples: ["tsbpf map event_pipe pinned /sys/fs/bpf/events", "tsbpf -j map event_pipe pinned /sys/fs/bpf/events cpu 0 index 0"],
  run: eventPipe,
};
