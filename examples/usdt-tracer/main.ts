// usdt-tracer: prints the Python functions an interpreter runs, from the
// python:function__entry USDT probe that CPython built with --with-dtrace
// carries (Debian's python3 does). The BPF object
// (examples/usdt-tracer/usdt-tracer.bpf.o, committed) reads the probe's
// arguments with libbpf's <bpf/usdt.bpf.h>; attachUsdt fills the argument
// specs it needs and the kernel turns the probe's semaphore on meanwhile.
//   node dist/examples/usdt-tracer/main.js [-p PID] [-d SECONDS] [--json] [PYTHON]
import path from "node:path";
import { fileURLToPath } from "node:url";
import { attachUsdt, Collection, loadObjectSpec, RingBuffer, type Btf } from "../../src/index.js";
import { runTool, stopSignal } from "../common/tool.js";
import { parseOptions, USAGE, type Options } from "./options.js";

// dist/examples/usdt-tracer/main.js → the repository's examples/usdt-tracer/.
const OBJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../examples/usdt-tracer/usdt-tracer.bpf.o");

/** One function entry as struct function_event reports it. */
interface FunctionEvent {
  pid: number;
  line: number;
  comm: string;
  file: string;
  function: string;
}

/** Decodes struct function_event at the member offsets (and array sizes) the object's BTF gives. */
function functionEventDecoder(btf: Btf | undefined): (record: Uint8Array) => FunctionEvent {
  const struct = btf?.typeByName("function_event", "STRUCT");
  if (!struct || struct.kind !== "STRUCT") throw new Error("the object's BTF has no struct function_event");
  const members = struct.members.map((m) => m.name);
  const at = (name: string): number => struct.members[members.indexOf(name)]!.bitOffset / 8;
  const end = (name: string): number => {
    const i = members.indexOf(name);
    return i + 1 < members.length ? struct.members[i + 1]!.bitOffset / 8 : struct.size;
  };
  const text = new TextDecoder();
  const str = (record: Uint8Array, name: string): string => {
    const bytes = record.subarray(at(name), end(name));
    const nul = bytes.indexOf(0);
    return text.decode(nul < 0 ? bytes : bytes.subarray(0, nul));
  };
  return (record) => {
    const v = new DataView(record.buffer, record.byteOffset, record.byteLength);
    return {
      pid: v.getUint32(at("pid"), true), line: v.getInt32(at("line"), true),
      comm: str(record, "comm"), file: str(record, "file"), function: str(record, "function"),
    };
  };
}

const HEADER = `${"PID".padEnd(7)} ${"COMM".padEnd(16)} FUNCTION (FILE:LINE)`;

async function trace(options: Options): Promise<void> {
  const spec = loadObjectSpec(OBJECT);
  if (options.pid !== undefined) spec.variable("target_tgid").set(options.pid);
  const decode = functionEventDecoder(spec.btf);
  using objects = Collection.load(spec);
  const { signal, cleanup } = stopSignal(options.duration);
  try {
    using link = attachUsdt(objects.program("function_entry"), {
      binary: options.python, provider: "python", name: "function__entry", ...(options.pid !== undefined ? { pid: options.pid } : {}),
    });
    using ring = new RingBuffer(objects.map("events"));
    if (!options.json) process.stdout.write(`${HEADER}\n`);
    const until = options.duration > 0 ? `for ${options.duration} s` : "until Ctrl-C";
    process.stderr.write(`Tracing ${link.target.replace(/^usdt /, "")} ${until}.\n`);
    await ring.consume((record) => {
      const e = decode(record);
      process.stdout.write(options.json
        ? `${JSON.stringify({ pid: e.pid, comm: e.comm, function: e.function, file: e.file, line: e.line })}\n`
        : `${String(e.pid).padEnd(7)} ${e.comm.padEnd(16)} ${e.function} (${e.file}:${e.line})\n`);
    }, { signal });
    const dropped = objects.variable("dropped").getBigInt();
    if (dropped > 0n) process.stderr.write(`usdt-tracer: ${dropped} calls lost (the ring buffer was full)\n`);
  } finally {
    cleanup();
  }
}

process.exitCode = await runTool({ name: "usdt-tracer", usage: USAGE, parse: parseOptions, run: trace }, process.argv.slice(2));
