// profile: samples what every CPU is running (a perf_event program on a
// cpu-clock event per CPU, examples/profile/profile.bpf.o) and prints the
// kernel stacks it saw, symbolised through /proc/kallsyms, most frequent
// first — one folded line per stack ("comm;outer;…;inner count"), the input
// format of flame graph tools. The object is used through its generated
// skeleton (profile.skel.ts: `tsbpf gen skeleton`): the counts map is typed.
//   node dist/examples/profile/main.js [-F HZ] [-p PID] [-d SECONDS]
import { attachPerfEvent, type BpfMap } from "../../src/index.js";
import { Kallsyms } from "../../src/asm/kallsyms.js";
import { integerOption, parseCommandLine } from "../common/cli.js";
import { aborted, runTool, stopSignal } from "../common/tool.js";
import { ProfileSkeleton } from "./profile.skel.js";

const USAGE = `Usage: profile [-F HZ] [-p PID] [-d SECONDS]
Sample kernel stacks on every CPU and print them folded, most frequent first (needs root).

  -F, --frequency HZ    samples per second per CPU (default 99)
  -p, --pid PID         only this process
  -d, --duration SECS   profile for SECS seconds (default: until Ctrl-C)
  -h, --help            this text`;

/** The kernel stack with this id, innermost frame first, as "function+0xoff" names. */
function kernelStack(stacks: BpfMap, id: number, symbols: Kallsyms): string[] {
  const key = new Uint8Array(4);
  new DataView(key.buffer).setUint32(0, id, true);
  const value = stacks.lookup(key);
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const frames: string[] = [];
  for (let off = 0; off + 8 <= value.byteLength; off += 8) {
    const address = view.getBigUint64(off, true);
    if (address === 0n) break;
    const sym = symbols.nearest(address);
    frames.push(sym ? sym.name : `0x${address.toString(16)}`);
  }
  return frames;
}

interface Options {
  frequency: number;
  pid?: number;
  duration: number;
}

function parse(argv: readonly string[]): Options | undefined {
  const values = parseCommandLine("profile", USAGE, argv, {
    frequency: { type: "string", short: "F" }, pid: { type: "string", short: "p" },
  });
  if (!values) return undefined;
  const frequency = integerOption("profile", "-F", values.frequency, 0, 10_000) ?? 99;
  const pid = integerOption("profile", "-p", values.pid);
  const duration = integerOption("profile", "-d", values.duration) ?? 0;
  return { frequency, ...(pid !== undefined ? { pid } : {}), duration };
}

async function profile({ frequency, pid, duration }: Options): Promise<void> {
  using skel = ProfileSkeleton.open();
  if (pid !== undefined) skel.rodata.target_tgid = pid;
  skel.load();
  const { signal, cleanup } = stopSignal(duration);
  try {
    {
      using _links = attachPerfEvent(skel.programs.profile_sample, { event: "cpu-clock", frequency });
      process.stderr.write(`Sampling kernel stacks at ${frequency} Hz ${duration ? `for ${duration} s` : "until Ctrl-C"}.\n`);
      await aborted(signal);
    }
    // Detached: the maps hold every sample now. Symbolise after, so no kallsyms read competes with sampling.
    const symbols = new Kallsyms();
    const folded = new Map<string, bigint>();
    const stacks = skel.maps.stacks;
    for (const [key, count] of skel.maps.counts) {
      const frames = key.kernel_stack >= 0 ? kernelStack(stacks, key.kernel_stack, symbols).reverse() : ["[user]"];
      const line = [key.comm, ...frames].join(";");
      folded.set(line, (folded.get(line) ?? 0n) + count);
    }
    const sorted = [...folded].sort((a, b) => (b[1] > a[1] ? 1 : b[1] < a[1] ? -1 : 0));
    process.stdout.write(sorted.map(([line, n]) => `${line} ${n}\n`).join(""));
  } finally {
    cleanup();
  }
}

process.exitCode = await runTool({ name: "profile", usage: USAGE, parse, run: profile }, process.argv.slice(2));
