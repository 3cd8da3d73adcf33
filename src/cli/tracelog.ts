// `tsbpf prog tracelog`: bpftool's — prints trace_pipe (bpf_printk output)
// until Ctrl-C: each line as read, or with -j a JSON array of the lines
// (each string keeps its newline, as bpftool's does).
import type { Args } from "./args.js";
import type { Command, Context } from "./command.js";
import { EventStream, stopOnSignals } from "./event-stream.js";
import { readTracePipe } from "../events/trace-pipe.js";

async function tracelog(args: Args, ctx: Context): Promise<void> {
  args.end();
  const controller = new AbortController();
  const removeHandlers = stopOnSignals(controller);
  // Opened (and checked) before anything is printed: a missing tracefs is an error, not an empty array.
  const lines = readTracePipe({ signal: controller.signal });
  try {
    const first = await lines.next();
    const stream = new EventStream(ctx.out);
    if (!first.done) {
      stream.event(`${first.value.raw}\n`, `${first.value.raw}\n`);
      for await (const line of lines) stream.event(`${line.raw}\n`, `${line.raw}\n`);
    }
    stream.end();
  } finally {
    removeHandlers();
    await lines.return();
  }
}

/** `prog tracelog`. */
export const progTracelogCommand: Command = {
  name: "tracelog",
  synopsis: "tracelog",
  examples: ["tsbpf prog tracelog", "tsbpf -j prog tracelog"],
  run: tracelog,
};
