// uprobe-tracer: traces the calls of one function in a user-space binary
// with eBPF — a uprobe on its entry and a uretprobe on its return — and
// prints one line per call: arguments, return value, duration. The BPF
// object (examples/uprobe-tracer/uprobe-tracer.bpf.o, committed) is loaded
// with CO-RE; the function is resolved in the binary's ELF symbols at attach.
//   node dist/examples/uprobe-tracer/main.js [-p PID] [-d SECONDS] [--json] BINARY:FUNCTION
import path from "node:path";
import { fileURLToPath } from "node:url";
import { attachUprobe, Collection, loadObjectSpec, RingBuffer, type Btf, type Link } from "../../src/index.js";
import { runTool, stopSignal } from "../common/tool.js";
import { parseOptions, USAGE, type Options } from "./options.js";

// dist/examples/uprobe-tracer/main.js → the repository's examples/uprobe-tracer/.
const OBJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../examples/uprobe-tracer/uprobe-tracer.bpf.o");

/** One call as struct call_event reports it. */
interface CallEvent {
  pid: number;
  tid: number;
  comm: string;
  args: [bigint, bigint, bigint];
  ret: bigint;
  durationNs: bigint;
}

/** Decodes struct call_event at the member offsets the object's BTF gives. */
function callEventDecoder(btf: Btf | undefined): (record: Uint8Array) => CallEvent {
  const struct = btf?.typeByName("call_event", "STRUCT");
  if (!struct || struct.kind !== "STRUCT") throw new Error("the object's BTF has no struct call_event");
  const at = new Map(struct.members.map((m) => [m.name, m.bitOffset / 8]));
  const off = (name: string): number => at.get(name) ?? 0;
  const text = new TextDecoder();
  return (record) => {
    const v = new DataView(record.buffer, record.byteOffset, record.byteLength);
    const comm = record.subarray(off("comm"), off("comm") + 16);
    const nul = comm.indexOf(0);
    return {
      pid: v.getUint32(off("pid"), true), tid: v.getUint32(off("tid"), true),
      comm: text.decode(nul < 0 ? comm : comm.subarray(0, nul)),
      args: [0, 1, 2].map((i) => v.getBigUint64(off("args") + i * 8, true)) as [bigint, bigint, bigint],
      ret: v.getBigUint64(off("ret"), true), durationNs: v.getBigUint64(off("duration_ns"), true),
    };
  };
}

const HEADER = `${"PID".padEnd(7)} ${"COMM".padEnd(16)} ${"ARG0".padStart(20)} ${"ARG1".padStart(20)} ${"ARG2".padStart(20)} ${"RET".padStart(18)} ${"USECS".padStart(9)}`;

function formatLine(e: CallEvent): string {
  const usecs = (Number(e.durationNs) / 1000).toFixed(1);
  return `${String(e.pid).padEnd(7)} ${e.comm.padEnd(16)} ${e.args.map((a) => String(a).padStart(20)).join(" ")} ` +
    `${`0x${e.ret.toString(16)}`.padStart(18)} ${usecs.padStart(9)}`;
}

function formatJson(e: CallEvent, func: string): string {
  return JSON.stringify({
    pid: e.pid, tid: e.tid, comm: e.comm, function: func, args: e.args.map(String), ret: String(e.ret), duration_ns: Number(e.durationNs),
  });
}

async function trace(options: Options): Promise<void> {
  const spec = loadObjectSpec(OBJECT);
  if (options.pid !== undefined) spec.variable("target_tgid").set(options.pid);
  spec.variable("exclude_tgid").set(process.pid);
  const decode = callEventDecoder(spec.btf);
  using objects = Collection.load(spec);
  const links: Link[] = [];
  const { signal, cleanup } = stopSignal(options.duration);
  try {
    const where = { binary: options.binary, symbol: options.func, ...(options.pid !== undefined ? { pid: options.pid } : {}) };
    links.push(attachUprobe(objects.program("enter"), where));
    links.push(attachUprobe(objects.program("leave"), { ...where, retprobe: true }));
    using ring = new RingBuffer(objects.map("events"));
    if (!options.json) process.stdout.write(`${HEADER}\n`);
    const until = options.duration > 0 ? `for ${options.duration} s` : "until Ctrl-C";
    process.stderr.write(`Tracing ${links[0]!.target.replace(/^uprobe /, "")} ${until}.\n`);
    await ring.consume((record) => {
      const e = decode(record);
      process.stdout.write(`${options.json ? formatJson(e, options.func) : formatLine(e)}\n`);
    }, { signal });
    const dropped = objects.variable("dropped").getBigInt();
    if (dropped > 0n) process.stderr.write(`uprobe-tracer: ${dropped} calls lost (the ring buffer was full)\n`);
  } finally {
    cleanup();
    for (const link of links) link.close();
  }
}

process.exitCode = await runTool({ name: "uprobe-tracer", usage: USAGE, parse: parseOptions, run: trace }, process.argv.slice(2));
