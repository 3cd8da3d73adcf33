// ps from the kernel: lists processes (or threads) with a BPF task iterator
// (examples/ps/ps.bpf.o, committed) instead of walking /proc, through its
// generated skeleton (ps.skel.ts: `tsbpf gen skeleton`). The iterator's
// output is read as a stream, chunk by chunk, off the event loop.
//   node dist/examples/ps/main.js [-p PID] [-T]
import { attachIter } from "../../src/index.js";
import { integerOption, parseCommandLine } from "../common/cli.js";
import { runTool } from "../common/tool.js";
import { PsSkeleton } from "./ps.skel.js";

const USAGE = `Usage: ps [-p PID] [-T]
List processes from the kernel's task list with a BPF iterator (needs root).

  -p, --pid PID      only this process
  -T, --threads      one line per thread (TID column)
  -h, --help         this text`;

/** The kernel's task state bits as ps(1) letters (R running, S sleeping, D disk, T stopped, t traced, Z/X exit states, I idle). */
function stateLetter(state: number): string {
  if (state === 0) return "R";
  if (state & 0x402) return state & 0x400 ? "I" : "D";
  if (state & 0x1) return "S";
  if (state & 0x4) return "T";
  if (state & 0x8) return "t";
  if (state & 0x20) return "Z";
  if (state & 0x10) return "X";
  return "?";
}

/** One output line from an iterator line "TGID TID PPID UID STATE COMM". */
function formatTask(line: string, threads: boolean): string | undefined {
  const m = /^(\d+) (\d+) (\d+) (\d+) (\d+) (.*)$/.exec(line);
  if (!m) return undefined;
  const [, tgid, tid, ppid, uid, state, comm] = m;
  const cols = [tgid!.padStart(7), ...(threads ? [tid!.padStart(7)] : []), ppid!.padStart(7), uid!.padStart(6), stateLetter(Number(state)).padEnd(1), comm];
  return cols.join(" ");
}

interface Options {
  pid?: number;
  threads: boolean;
}

function parse(argv: readonly string[]): Options | undefined {
  const values = parseCommandLine("ps", USAGE, argv, {
    pid: { type: "string", short: "p" }, threads: { type: "boolean", short: "T", default: false },
  });
  if (!values) return undefined;
  const pid = integerOption("ps", "-p", values.pid);
  return { ...(pid !== undefined ? { pid } : {}), threads: values.threads === true };
}

async function list({ pid, threads }: Options): Promise<void> {
  using skel = PsSkeleton.open();
  skel.rodata.show_threads = threads;
  skel.load();
  using link = attachIter(skel.programs.ps_tasks, pid !== undefined ? { task: { pid } } : {});
  process.stdout.write(`${["PID".padStart(7), ...(threads ? ["TID".padStart(7)] : []), "PPID".padStart(7), "UID".padStart(6), "S", "COMMAND"].join(" ")}\n`);
  let rest = "";
  for await (const chunk of link.stream()) {
    const lines = (rest + (chunk as Buffer).toString("utf8")).split("\n");
    rest = lines.pop()!;
    const out = lines.map((l) => formatTask(l, threads)).filter((l) => l !== undefined);
    if (out.length) process.stdout.write(`${out.join("\n")}\n`);
  }
}

process.exitCode = await runTool({ name: "ps", usage: USAGE, parse, run: list }, process.argv.slice(2));
