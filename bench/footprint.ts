// `node dist/bench/footprint.js`: start-up and memory of tsbpf side by side
// with bare Node.js and the C tools, in one run, with ratios (issue 9 item 7):
//   - `import "tsbpf"` over `node -e 0` (wall time and peak RSS);
//   - opensnoop's steady RSS (the example, with npm start's V8 flags and
//     without) against libbpf-tools' opensnoop and an idle Node.js process;
//   - the first open + load in a new process (the collection-load group's
//     cold benchmark, against libbpf);
//   - `tsbpf prog loadall` of opensnoop against `bpftool prog loadall`
//     (whole commands, each into a fresh /sys/fs/bpf directory, removed after).
// Durations are wall-clock medians: a shared machine makes them noisy, so
// read the ratios, not the absolute figures.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { collectionLoadGroup } from "./collection-load.js";
import { median, summarize, type BenchParams } from "./harness.js";
import { peakRssKiB } from "./btf-rss.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** dist/lib/index.js: what `import "tsbpf"` loads (package.json "exports"). */
const TSBPF_ENTRY = path.resolve(HERE, "../lib/index.js");
const TSBPF_CLI = path.resolve(HERE, "../lib/cli.js");
const OPENSNOOP_EXAMPLE = path.resolve(HERE, "../examples/opensnoop/main.js");
/** The repository's opensnoop object (dist/bench → examples/opensnoop). */
const OPENSNOOP_OBJECT = path.resolve(HERE, "../../examples/opensnoop/opensnoop.bpf.o");
const LIBBPF_OPENSNOOP = "/usr/sbin/opensnoop";
const BPFTOOL = "/usr/sbin/bpftool";
const NODE = process.execPath;
const BARE_NODE: readonly string[] = ["-e", "0"];
const IMPORT_TSBPF: readonly string[] = ["--input-type=module", "-e", `import ${JSON.stringify(TSBPF_ENTRY)}`];
/**
 * The V8 flags `npm start` runs the example with (package.json): a 1 MiB
 * young generation (semi-space) instead of V8's up to 8 MiB, for a tracer
 * whose allocations are short-lived and few (it keeps the optimising JIT).
 */
const EXAMPLE_FLAGS: readonly string[] = ["--max-semi-space-size=1"];
/** Repetitions of each timed command. */
const RUNS = 11;
/** How long a tracer runs before its resident memory is read. */
const SETTLE_MS = 3000;

/** Median wall time in ms of `runs` runs of `file args`; `before`/`after` run untimed around each. */
function medianWallMs(file: string, args: (run: number) => readonly string[], runs = RUNS, hooks: { before?(run: number): void; after?(run: number): void } = {}): number {
  const samples: number[] = [];
  for (let run = -1; run < runs; run++) {
    hooks.before?.(run);
    const t0 = process.hrtime.bigint();
    const result = spawnSync(file, args(run), { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    const t1 = process.hrtime.bigint();
    hooks.after?.(run);
    if (result.error ?? result.status !== 0) throw new Error(`${file} ${args(run).join(" ")} failed: ${result.error?.message ?? result.stderr}`);
    if (run >= 0) samples.push(Number(t1 - t0) / 1e6);
  }
  return median(samples);
}

function medianRssMiB(file: string, args: readonly string[], runs = 5): number {
  return median(Array.from({ length: runs }, () => peakRssKiB(file, args))) / 1024;
}

/** VmRSS and VmHWM (MiB) of a long-running `file args` after SETTLE_MS, then stops it with SIGINT. */
async function steadyRssMiB(file: string, args: readonly string[]): Promise<{ rss: number; hwm: number }> {
  const child = spawn(file, args, { stdio: ["ignore", "ignore", "ignore"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    if (child.pid === undefined || child.exitCode !== null) throw new Error(`${file} exited before its memory was read`);
    const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
    const field = (name: string): number => Number(/(\d+) kB/.exec(status.split("\n").find((l) => l.startsWith(`${name}:`)) ?? "")?.[1]) / 1024;
    return { rss: field("VmRSS"), hwm: field("VmHWM") };
  } finally {
    child.kill("SIGINT");
    await exited;
  }
}

const fmt = (n: number, digits = 1): string => n.toFixed(digits);

function line(label: string, value: string, note = ""): void {
  process.stdout.write(`${label.padEnd(52)} ${value.padStart(10)}  ${note}\n`);
}

async function main(): Promise<number> {
  process.stdout.write(`footprint (wall medians of ${RUNS}, RSS in MiB; shared machine: read the ratios)\n\n`);

  const bareMs = medianWallMs(NODE, () => BARE_NODE);
  const importMs = medianWallMs(NODE, () => IMPORT_TSBPF);
  const bareRss = medianRssMiB(NODE, BARE_NODE);
  const importRss = medianRssMiB(NODE, IMPORT_TSBPF);
  line("node -e 0 (ms)", fmt(bareMs));
  line('node -e \'import "tsbpf"\' (ms)', fmt(importMs), `+${fmt(importMs - bareMs)} ms, ${fmt(importMs / bareMs, 2)}× bare node`);
  line("node -e 0 peak RSS", fmt(bareRss));
  line('import "tsbpf" peak RSS', fmt(importRss), `+${fmt(importRss - bareRss)} MiB`);

  const idle = await steadyRssMiB(NODE, ["-e", "setInterval(() => {}, 1000)"]);
  const example = await steadyRssMiB(NODE, [...EXAMPLE_FLAGS, OPENSNOOP_EXAMPLE]);
  const exampleDefaultV8 = await steadyRssMiB(NODE, [OPENSNOOP_EXAMPLE]);
  line("idle node, steady RSS (peak)", `${fmt(idle.rss)} (${fmt(idle.hwm)})`);
  line(`tsbpf opensnoop example ${EXAMPLE_FLAGS.join(" ")}, steady RSS (peak)`, `${fmt(example.rss)} (${fmt(example.hwm)})`, `${fmt(example.rss - idle.rss)} MiB over idle node; target < 50`);
  line("tsbpf opensnoop example, V8 defaults, steady RSS (peak)", `${fmt(exampleDefaultV8.rss)} (${fmt(exampleDefaultV8.hwm)})`, `${fmt(exampleDefaultV8.rss - idle.rss)} MiB over idle node`);
  if (existsSync(LIBBPF_OPENSNOOP)) {
    const c = await steadyRssMiB(LIBBPF_OPENSNOOP, []);
    line("libbpf-tools opensnoop, steady RSS (peak)", `${fmt(c.rss)} (${fmt(c.hwm)})`, `tsbpf ${fmt(example.rss / c.rss)}×`);
  }

  const groupBenchmarks = collectionLoadGroup.benchmarks();
  const cold = typeof groupBenchmarks === "string" ? undefined : groupBenchmarks.find((b) => b.name.endsWith(".cold"));
  if (cold) {
    const params: BenchParams = cold.params.full;
    const ts = summarize(cold.tsbpf(params));
    const ref = summarize(cold.reference(params));
    line("first load in a new process, tsbpf (ms)", fmt(ts.medianNs / 1e6));
    line("first load in a new process, libbpf (ms)", fmt(ref.medianNs / 1e6), `rate ratio ${fmt(ts.opsPerSec / ref.opsPerSec, 2)}× (target ≥ 0.67×)`);
  } else {
    line("first load in a new process", "skipped", typeof groupBenchmarks === "string" ? groupBenchmarks : "");
  }

  let pinDir = "";
  const fresh = { before: () => (pinDir = mkdtempSync("/sys/fs/bpf/tsbpf-footprint-")), after: () => rmSync(pinDir, { recursive: true, force: true }) };
  const loadall = (cli: readonly string[]) => (): readonly string[] => [...cli, "prog", "loadall", OPENSNOOP_OBJECT, path.join(pinDir, "progs")];
  const tsbpfMs = medianWallMs(NODE, loadall([TSBPF_CLI]), RUNS, fresh);
  const bpftoolMs = medianWallMs(BPFTOOL, loadall([]), RUNS, fresh);
  line("tsbpf prog loadall opensnoop (ms)", fmt(tsbpfMs), `${fmt(tsbpfMs - bareMs)} ms over node -e 0`);
  line("bpftool prog loadall opensnoop (ms)", fmt(bpftoolMs), `tsbpf's own time ${fmt((tsbpfMs - bareMs) / bpftoolMs, 2)}× bpftool's whole run (target ≤ 5×); whole command ${fmt(tsbpfMs / bpftoolMs, 2)}×`);
  return 0;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = await main();
