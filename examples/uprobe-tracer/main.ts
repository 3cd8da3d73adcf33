// uprobe-tracer: traces the calls of one function in a user-space binary
// with eBPF — a uprobe on its entry and a uretprobe on its return — and
// prints one line per call: arguments, return value, duration. The BPF
// object (examples/uprobe-tracer/uprobe-tracer.bpf.o, committed) is loaded
// with CO-RE through its generated skeleton (uprobe-tracer.skel.ts: `tsbpf gen
// skeleton`); the function is resolved in the binary's ELF symbols at attach.
//   node dist/examples/uprobe-tracer/main.js [-p PID] [-d SECONDS] [--json] BINARY:FUNCTION
import { attachUprobe, type Link } from "../../src/index.js";
import { runTool, stopSignal } from "../common/tool.js";
import { parseOptions, USAGE, type Options } from "./options.js";
import { UprobeTracerSkeleton, type CallEvent } from "./uprobe-tracer.skel.js";

const HEADER = `${"PID".padEnd(7)} ${"COMM".padEnd(16)} ${"ARG0".padStart(20)} ${"ARG1".padStart(20)} ${"ARG2".padStart(20)} ${"RET".padStart(18)} ${"USECS".padStart(9)}`;

function formatLine(e: CallEvent): string {
  const usecs = (Number(e.duration_ns) / 1000).toFixed(1);
  return `${String(e.pid).padEnd(7)} ${e.comm.padEnd(16)} ${e.args.map((a) => String(a).padStart(20)).join(" ")} ` +
    `${`0x${e.ret.toString(16)}`.padStart(18)} ${usecs.padStart(9)}`;
}

function formatJson(e: CallEvent, func: string): string {
  return JSON.stringify({
    pid: e.pid, tid: e.tid, comm: e.comm, function: func, args: e.args.map(String), ret: String(e.ret), duration_ns: Number(e.duration_ns),
  });
}

async function trace(options: Options): Promise<void> {
  using skel = UprobeTracerSkeleton.open();
  if (options.pid !== undefined) skel.rodata.target_tgid = options.pid;
  skel.rodata.exclude_tgid = process.pid;
  skel.load();
  const links: Link[] = [];
  const { signal, cleanup } = stopSignal(options.duration);
  try {
    const where = { binary: options.binary, symbol: options.func, ...(options.pid !== undefined ? { pid: options.pid } : {}) };
    links.push(attachUprobe(skel.programs.enter, where));
    links.push(attachUprobe(skel.programs.leave, { ...where, retprobe: true }));
    if (!options.json) process.stdout.write(`${HEADER}\n`);
    const until = options.duration > 0 ? `for ${options.duration} s` : "until Ctrl-C";
    process.stderr.write(`Tracing ${links[0]!.target.replace(/^uprobe /, "")} ${until}.\n`);
    await skel.events.events.consume((e) => {
      process.stdout.write(`${options.json ? formatJson(e, options.func) : formatLine(e)}\n`);
    }, { signal });
    const dropped = skel.bss.dropped;
    if (dropped > 0n) process.stderr.write(`uprobe-tracer: ${dropped} calls lost (the ring buffer was full)\n`);
  } finally {
    cleanup();
    for (const link of links) link.close();
  }
}

process.exitCode = await runTool({ name: "uprobe-tracer", usage: USAGE, parse: parseOptions, run: trace }, process.argv.slice(2));
