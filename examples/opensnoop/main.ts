// opensnoop: traces open(2)/openat(2)/openat2(2) system-wide with eBPF and
// prints one line per call, like libbpf-tools' opensnoop. The BPF object is
// compiled once (examples/opensnoop/opensnoop.bpf.o, committed) and loaded
// with CO-RE against the running kernel's BTF; no compiler is needed here.
//   node --max-semi-space-size=1 dist/examples/opensnoop/main.js [-p PID] [-u UID] [-x] [-d SECONDS] [-n NAME] [--json]
// (`npm start` runs it so.) The flag caps V8's young generation at 1 MiB a
// semi-space instead of up to 8: a tracer's allocations are few and short-lived,
// so the larger nursery would only hold garbage (≈ 2 MiB of resident memory,
// docs/benchmarks.md "Footprint and start-up"); the optimising JIT stays on.
// It imports "tsbpf" as a user would: the package's bundled runtime.
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  attachTracepoint, Collection, loadObjectSpec, RingBuffer, tracepointId, tracepointOfSection,
  type Link, type ObjectSpec,
} from "tsbpf";
import { OpenEventDecoder } from "./event.js";
import { formatJson, formatLine, HEADER } from "./format.js";
import { parseOptions, USAGE, type Options } from "./options.js";
import { runTool, stopSignal } from "../common/tool.js";

// dist/examples/opensnoop/main.js → the repository's examples/opensnoop/.
const OBJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../examples/opensnoop/opensnoop.bpf.o");

/** Programs whose syscall not every kernel/architecture has (arm64 has no open(2)). */
const OPTIONAL = new Set(["enter_open", "exit_open", "enter_openat2", "exit_openat2"]);

/** Sets the `.rodata` filters and leaves out programs whose tracepoint this kernel lacks. */
function configure(spec: ObjectSpec, options: Options): void {
  if (options.pid !== undefined) spec.variable("target_tgid").set(options.pid);
  if (options.tid !== undefined) spec.variable("target_tid").set(options.tid);
  if (options.uid !== undefined) spec.variable("target_uid").set(options.uid);
  spec.variable("failed_only").set(options.failedOnly);
  for (const program of spec.programs.values()) {
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
  const spec = loadObjectSpec(OBJECT);
  configure(spec, options);
  const decoder = new OpenEventDecoder(spec.btf);
  using objects = Collection.load(spec);
  const links: Link[] = [];
  const { signal, cleanup } = stopSignal(options.duration);
  try {
    for (const program of objects.programs.values()) links.push(attachTracepoint(program));
    using ring = new RingBuffer(objects.map("events"));
    const write = options.json ? formatJson : formatLine;
    if (!options.json) process.stdout.write(`${HEADER}\n`);
    const until = options.duration > 0 ? `for ${options.duration} s` : "until Ctrl-C";
    process.stderr.write(`Tracing open calls ${until}.\n`);
    await ring.consume((record) => {
      const event = decoder.decode(record);
      if (options.name !== undefined && !event.comm.includes(options.name)) return;
      process.stdout.write(`${write(event)}\n`);
    }, { signal });
    const dropped = objects.variable("dropped").getBigInt();
    if (dropped > 0n) process.stderr.write(`opensnoop: ${dropped} events lost (the ring buffer was full)\n`);
  } finally {
    cleanup();
    for (const link of links) link.close();
  }
}

process.exitCode = await runTool({ name: "opensnoop", usage: USAGE, parse: parseOptions, run: trace }, process.argv.slice(2));
