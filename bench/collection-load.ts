// Opening and loading a real CO-RE object (Debian libbpf-tools' opensnoop:
// ELF parse, kernel BTF, CO-RE relocation, maps, frozen .rodata, 4 programs)
// with tsbpf (loadObjectSpec + Collection.load + close) against libbpf
// (bpf_object__open_file + bpf_object__load + bpf_object__close, in
// bench/c/collection_load.c). One "op" is one whole open + load + close.
//
// libbpf parses vmlinux BTF again for every object; tsbpf parses it once per
// process (kernelBtf() is cached). So three comparisons:
//   collection.load.opensnoop.warm      tsbpf with the kernel BTF cached and the
//                                        JIT warm (what every load after the
//                                        first costs) vs libbpf's repeated loads
//   collection.load.opensnoop.reparse   tsbpf with the kernel BTF cache flushed
//                                        before each load (same work as libbpf)
//   collection.load.opensnoop.cold      the first load of a fresh process, both
//                                        sides (a child process per repetition;
//                                        process start-up is not timed)
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cToolchainProblem, runCHarness } from "./c-harness.js";
import { benchClock, setBenchClock, timeRepetitions, type Benchmark, type BenchClock, type BenchGroup, type BenchParams, type Measurement } from "./harness.js";
import { Collection } from "../src/collection.js";
import { loadObjectSpec } from "../src/object/object-spec.js";
import { flushKernelBtfCache } from "../src/btf/discovery.js";
import { writeToolObject } from "../test/util/libbpf-tools.js";

/** The libbpf tool whose embedded object is loaded. */
const TOOL = "opensnoop";

/** The tsbpf side may take at most 1.5× libbpf's time, i.e. reach ≥ 2/3 of its rate. */
const LOAD_TARGET = 1 / 1.5;

let objectPath: string | undefined;

/** The opensnoop object extracted once per process into a temporary directory. */
function objectFile(): string | undefined {
  if (objectPath === undefined) {
    const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-bench-load-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    objectPath = writeToolObject(TOOL, dir);
  }
  return objectPath;
}

/** One open + load + close with tsbpf; returns the number of programs loaded (the check). */
function openLoadClose(file: string): number {
  const collection = Collection.load(loadObjectSpec(file));
  const programs = collection.programs.size;
  collection.close();
  return programs;
}

function measureInProcess(params: BenchParams, file: string, flushBtf: boolean): Measurement {
  let check = 0;
  const samplesNs = timeRepetitions(params, () => (check = openLoadClose(file)), flushBtf ? { before: flushKernelBtfCache } : {});
  return { ops: 1, samplesNs, check };
}

/** Runs `measure(params)` `params.reps` times, each in a fresh process, and gathers one sample from each. */
function inFreshProcesses(params: BenchParams, measure: (p: BenchParams) => Measurement): Measurement {
  const samplesNs: number[] = [];
  let check = 0;
  const first: BenchParams = { ops: 1, warmup: 0, reps: 1 };
  for (let i = 0; i < params.reps; i++) {
    const m = measure(first);
    samplesNs.push(...m.samplesNs);
    check = m.check;
  }
  return { ops: 1, samplesNs, check };
}

/** The tsbpf cold side: this file run as a script in a child process, timing its first load. */
function tsbpfColdOnce(file: string): Measurement {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), "cold", file, benchClock()], { encoding: "utf8" });
  return JSON.parse(out.trim()) as Measurement;
}

function loadBenchmark(mode: "warm" | "reparse" | "cold", file: string): Benchmark {
  const reference = (p: BenchParams): Measurement =>
    mode === "cold" ? inFreshProcesses(p, (q) => runCHarness("collection_load", [file, q.warmup, q.reps])) : runCHarness("collection_load", [file, p.warmup, p.reps]);
  return {
    name: `collection.load.${TOOL}.${mode}`,
    unit: "loads",
    target: LOAD_TARGET,
    referenceName: mode === "cold" ? "libbpf open+load, fresh process" : "libbpf bpf_object__open_file+load",
    params: mode === "cold"
      ? { full: { ops: 1, warmup: 0, reps: 7 }, smoke: { ops: 1, warmup: 0, reps: 1 } }
      : { full: { ops: 1, warmup: 3, reps: 15 }, smoke: { ops: 1, warmup: 0, reps: 1 } },
    tsbpf: (p) => (mode === "cold" ? inFreshProcesses(p, () => tsbpfColdOnce(file)) : measureInProcess(p, file, mode === "reparse")),
    reference,
  };
}

/** Open + load of a real CO-RE object, tsbpf against libbpf. */
export const collectionLoadGroup: BenchGroup = {
  name: "collection-load",
  description: `open + load (kernel BTF, CO-RE, maps, programs) of libbpf-tools' ${TOOL} object, against libbpf`,
  benchmarks() {
    if (!existsSync("/sys/kernel/btf/vmlinux")) return "/sys/kernel/btf/vmlinux is missing (kernel built without CONFIG_DEBUG_INFO_BTF)";
    const problem = cToolchainProblem();
    if (problem) return problem;
    const file = objectFile();
    if (!file) return `Debian's libbpf-tools (/usr/sbin/${TOOL}) is not installed`;
    return [loadBenchmark("warm", file), loadBenchmark("reparse", file), loadBenchmark("cold", file)];
  },
};

/** Child-process entry: `node collection-load.js cold FILE CLOCK` prints the first load's Measurement. */
function coldMain(file: string, clock: string): void {
  setBenchClock(clock === "cpu" ? "cpu" : ("wall" satisfies BenchClock));
  process.stdout.write(`${JSON.stringify(measureInProcess({ ops: 1, warmup: 0, reps: 1 }, file, false))}\n`);
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url) && process.argv[2] === "cold") {
  coldMain(process.argv[3] ?? "", process.argv[4] ?? "wall");
}
