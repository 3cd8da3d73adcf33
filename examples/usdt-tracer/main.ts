// usdt-tracer: prints the Python functions an interpreter runs, from the
// python:function__entry USDT probe that CPython built with --with-dtrace
// carries (Debian's python3 does). The BPF object
// (examples/usdt-tracer/usdt-tracer.bpf.o, committed) reads the probe's
// arguments with libbpf's <bpf/usdt.bpf.h>; attachUsdt fills the argument
// specs it needs and the kernel turns the probe's semaphore on meanwhile. The
// object is used through its generated skeleton (usdt-tracer.skel.ts).
//   node dist/examples/usdt-tracer/main.js [-p PID] [-d SECONDS] [--json] [PYTHON]
import { attachUsdt } from "../../src/index.js";
import { runTool, stopSignal } from "../common/tool.js";
import { parseOptions, USAGE, type Options } from "./options.js";
import { UsdtTracerSkeleton } from "./usdt-tracer.skel.js";

const HEADER = `${"PID".padEnd(7)} ${"COMM".padEnd(16)} FUNCTION (FILE:LINE)`;

async function trace(options: Options): Promise<void> {
  using skel = UsdtTracerSkeleton.open();
  if (options.pid !== undefined) skel.rodata.target_tgid = options.pid;
  skel.load();
  const { signal, cleanup } = stopSignal(options.duration);
  try {
    using link = attachUsdt(skel.programs.function_entry, {
      binary: options.python, provider: "python", name: "function__entry", ...(options.pid !== undefined ? { pid: options.pid } : {}),
    });
    if (!options.json) process.stdout.write(`${HEADER}\n`);
    const until = options.duration > 0 ? `for ${options.duration} s` : "until Ctrl-C";
    process.stderr.write(`Tracing ${link.target.replace(/^usdt /, "")} ${until}.\n`);
    await skel.events.events.consume((e) => {
      process.stdout.write(options.json
        ? `${JSON.stringify({ pid: e.pid, comm: e.comm, function: e.function, file: e.file, line: e.line })}\n`
        : `${String(e.pid).padEnd(7)} ${e.comm.padEnd(16)} ${e.function} (${e.file}:${e.line})\n`);
    }, { signal });
    const dropped = skel.bss.dropped;
    if (dropped > 0n) process.stderr.write(`usdt-tracer: ${dropped} calls lost (the ring buffer was full)\n`);
  } finally {
    cleanup();
  }
}

process.exitCode = await runTool({ name: "usdt-tracer", usage: USAGE, parse: parseOptions, run: trace }, process.argv.slice(2));
