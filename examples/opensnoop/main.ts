// opensnoop: traces open(2)/openat(2)/openat2(2) system-wide with eBPF and
// prints one line per call, like libbpf-tools' opensnoop. The BPF object is
// compiled once (examples/opensnoop/opensnoop.bpf.o, committed) and loaded
// with CO-RE against the running kernel's BTF; no compiler is needed here.
//   node --max-semi-space-size=1 dist/examples/opensnoop/main.js [-p PID] [-u UID] [-x] [-d SECONDS] [-n NAME] [--json]
// (`npm start` runs it so.) The flag caps V8's young generation at 1 MiB a
// semi-space instead of up to 8: a tracer's allocations are few and short-lived,
// so the larger nursery would only hold garbage (≈ 2 MiB of resident memory,
// docs/benchmarks.md "Footprint and start-up"); the optimising JIT stays on.
// It imports "tsbpf" as a user would: the package's bundled runtime, through
// its generated skeleton (opensnoop.skel.ts: `tsbpf gen skeleton`), which
// types the .rodata filters, the `dropped` counter and the events.
import { tracepointId, tracepointOfSection } from "tsbpf";
import { OpensnoopSkeleton, type OpenEvent } from "./opensnoop.skel.js";
import { formatJson, formatLine, HEADER } from "./format.js";
import { parseOptions, USAGE, type Options } from "./options.js";
import { runTool } from "../common/tool.js";
import { traceSkeleton } from "../common/ring-trace.js";

/** Programs whose syscall not every kernel/architecture has (arm64 has no open(2)). */
const OPTIONAL = new Set(["enter_open", "exit_open", "enter_openat2", "exit_openat2"]);

/** Sets the `.rodata` filters and leaves out programs whose tracepoint this kernel lacks. */
function configure(skel: OpensnoopSkeleton, options: Options): void {
  if (options.pid !== undefined) skel.rodata.target_tgid = options.pid;
  if (options.tid !== undefined) skel.rodata.target_tid = options.tid;
  if (options.uid !== undefined) skel.rodata.target_uid = options.uid;
  skel.rodata.failed_only = options.failedOnly;
  for (const program of skel.spec.programs.values()) {
    const tp = tracepointOfSection(program.sectionName);
    if (!tp || !OPTIONAL.has(program.name)) continue;
    try {
      tracepointId(tp.category, tp.name);
    } catch {
      program.autoload = false;
    }
  }
}

async function trace(options: Options): Promise<void> {
  using skel = OpensnoopSkeleton.open();
  configure(skel, options);
  skel.load();
  const write = options.json ? formatJson : formatLine;
  await traceSkeleton(skel, skel.events.events, options.duration, () => {
    if (!options.json) process.stdout.write(`${HEADER}\n`);
    process.stderr.write(`Tracing open calls ${options.duration > 0 ? `for ${options.duration} s` : "until Ctrl-C"}.\n`);
  }, (event: OpenEvent) => {
    if (options.name !== undefined && !event.comm.includes(options.name)) return;
    process.stdout.write(`${write(event)}\n`);
  });
  const dropped = skel.bss.dropped;
  if (dropped > 0n) process.stderr.write(`opensnoop: ${dropped} events lost (the ring buffer was full)\n`);
}

process.exitCode = await runTool({ name: "opensnoop", usage: USAGE, parse: parseOptions, run: trace }, process.argv.slice(2));
