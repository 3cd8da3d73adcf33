// `tsbpf map event_pipe` and `tsbpf prog tracelog` against bpftool's: both
// tools read the same pinned maps / trace_pipe while the same producer
// (test/fixtures/events/producer.bpf.o, run by `bpftool prog run` pinned to
// CPU 0) writes, are stopped with SIGINT, and their output must be the same
// bytes once the parts that differ between runs (time stamps, the producer's
// pid) are blanked out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CLI, tsbpf } from "../util/cli.js";
import { PRODUCER_OBJECT } from "../../bench/events.js";
import { requireOracle } from "../util/environment.js";

interface Finished {
  stdout: string;
  stderr: string;
  status: number | null;
}

/** Starts `command`, waits until it holds an fd whose link matches `ready`, runs `produce`, waits until `done(stdout)`, then SIGINT. */
async function capture(command: string[], ready: RegExp, produce: () => void, done: (out: string) => boolean): Promise<Finished> {
  const child = spawn(command[0]!, command.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    for (let i = 0; i < 400 && !holds(child.pid!, ready); i++) await sleep(25);
    assert.ok(holds(child.pid!, ready), `${command.join(" ")} did not open ${ready} (stderr: ${stderr})`);
    produce();
    for (let i = 0; i < 400 && !done(stdout); i++) await sleep(25);
  } finally {
    child.kill("SIGINT");
  }
  const status = await exited;
  return { stdout, stderr, status };
}

function holds(pid: number, link: RegExp): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return link.test(readlinkSync(`/proc/${pid}/fd/${fd}`));
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

/** Pins the producer's programs and maps under a fresh bpffs directory; returns it (removed by the caller). */
function pinProducer(): string {
  const dir = mkdtempSync("/sys/fs/bpf/tsbpf-events-cli-");
  execFileSync("bpftool", ["prog", "loadall", PRODUCER_OBJECT, dir, "pinmaps", path.join(dir, "maps")]);
  return dir;
}

const countersKey = (i: number): string[] => ["key", String(i), "0", "0", "0"];
const ZERO_U64 = ["value", "0", "0", "0", "0", "0", "0", "0", "0"];

test("map event_pipe prints what bpftool prints, in text and JSON", { timeout: 60_000 }, async (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const dir = pinProducer();
  const packet = path.join(mkdtempSync(path.join(tmpdir(), "tsbpf-events-")), "packet");
  writeFileSync(packet, new Uint8Array(64));
  try {
    const events = path.join(dir, "maps", "events");
    const produce = (): void => {
      // The same sequence numbers for both tools.
      execFileSync("bpftool", ["map", "update", "pinned", path.join(dir, "maps", "counters"), ...countersKey(4), ...ZERO_U64]);
      execFileSync("taskset", ["-c", "0", "bpftool", "prog", "run", "pinned", path.join(dir, "produce_perf"), "data_in", packet, "repeat", "3"]);
    };
    const three = (out: string): boolean => (out.match(/== @|"type":9/g) ?? []).length >= 3;
    // Time stamps differ from run to run; everything else must match byte for byte.
    const blank = (s: string): string => s.replace(/@\d+\.\d{9}/g, "@T").replace(/"timestamp":\d+/g, '"timestamp":T');
    for (const json of [false, true]) {
      const flags = json ? ["-j"] : [];
      const args = [...flags, "map", "event_pipe", "pinned", events, "cpu", "0", "index", "0"];
      const ours = await capture([process.execPath, CLI, ...args], /perf_event/, produce, three);
      const theirs = await capture(["bpftool", ...args], /perf_event/, produce, three);
      assert.equal(ours.status, 0, ours.stderr);
      assert.equal(theirs.status, 0, theirs.stderr);
      assert.match(ours.stdout, json ? /^\[\{"type":9,"cpu":0,"index":0,"timestamp":\d+,"data":\[0,0,0,0/ : /^== @\d+\.\d{9} CPU: 0 index: 0 =====\n00 00/);
      assert.equal(blank(ours.stdout), blank(theirs.stdout));
      assert.equal(ours.stderr, "Stopping...\n");
    }
    // Bad input: typed errors, nothing left attached to the map.
    const notPerf = tsbpf("map", "event_pipe", "pinned", path.join(dir, "maps", "counters"));
    assert.equal(notPerf.status, 1);
    assert.match(notPerf.stderr, /map is not a perf event array/);
    const half = tsbpf("map", "event_pipe", "pinned", events, "cpu", "0");
    assert.equal(half.status, 2);
    assert.match(half.stderr, /cpu and index must be specified together/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(path.dirname(packet), { recursive: true, force: true });
  }
});

test("prog tracelog prints trace_pipe as bpftool does, in text and JSON", { timeout: 60_000 }, async (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const dir = pinProducer();
  const packet = path.join(mkdtempSync(path.join(tmpdir(), "tsbpf-events-")), "packet");
  writeFileSync(packet, new Uint8Array(64));
  try {
    const produce = (): void => {
      execFileSync("taskset", ["-c", "0", "bpftool", "prog", "run", "pinned", path.join(dir, "print_line"), "data_in", packet, "repeat", "2"]);
    };
    const ours2 = (out: string): boolean => (out.match(/tsbpf trace line 7473627066/g) ?? []).length >= 2;
    // The producer's pid and the time stamps differ between runs; the task's comm is "<...>" when the
    // kernel's saved-cmdlines cache no longer holds the pid at the moment a reader formats the line.
    const blank = (s: string): string =>
      s.replace(/(^|"|\n) *\S+-\d+ +\[/g, "$1TASK-PID [").replace(/ \d+\.\d{6}:/g, " T:");
    for (const json of [false, true]) {
      const args = [...(json ? ["-j"] : []), "prog", "tracelog"];
      const ours = await capture([process.execPath, CLI, ...args], /trace_pipe$/, produce, ours2);
      const theirs = await capture(["bpftool", ...args], /trace_pipe$/, produce, ours2);
      assert.equal(ours.status, 0, ours.stderr);
      // Other programs on the machine may print too: compare our fixture's lines. How many of them a
      // reader sees depends on how often `produce` ran before it caught up (a loaded machine: more),
      // so each distinct line counts once.
      const mine = (out: string): string => {
        const lines = json ? (JSON.parse(out) as string[]) : out.split("\n");
        return [...new Set(lines.filter((l) => l.includes("tsbpf trace line")).map(blank))].join("\n");
      };
      if (json) assert.match(ours.stdout, /^\[".*\\n"\]\n$/s);
      assert.equal(mine(ours.stdout), mine(theirs.stdout));
      assert.match(mine(ours.stdout), /TASK-PID \[000\] \S+ T: bpf_trace_printk: tsbpf trace line 7473627066/);
      assert.match(ours.stdout, / +(bpftool|<\.\.\.>)-\d+ +\[000\] \S+ +\d+\.\d{6}: bpf_trace_printk: tsbpf trace line 7473627066/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(path.dirname(packet), { recursive: true, force: true });
  }
});
