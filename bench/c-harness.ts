// The C reference harnesses: bench/c/<name>.c compiled on demand with the
// system compiler against Debian's libbpf into bench/out/<name>, then run as
// child processes that print one JSON line of raw timings.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { benchClock, type Measurement } from "./harness.js";

// dist/bench/c-harness.js (compiled) → the repository root is two levels up.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const sourceDir = path.join(repoRoot, "bench", "c");
const outputDir = path.join(repoRoot, "bench", "out");

/** The C compiler used for the harnesses ($CC, default `cc`). */
const compiler = process.env["CC"] ?? "cc";

let toolchainProblem: string | null | undefined;

/**
 * Why the C harnesses cannot be built here (no compiler, no libbpf-dev), or
 * undefined when they can. Probed once by compiling and linking a tiny program.
 */
export function cToolchainProblem(): string | undefined {
  if (toolchainProblem === undefined) {
    const probe = "#include <bpf/bpf.h>\nint main(void) { return bpf_map_create(0, 0, 0, 0, 0, 0) == 0; }\n";
    try {
      execFileSync(compiler, ["-x", "c", "-", "-o", "/dev/null", "-lbpf"], { input: probe, stdio: ["pipe", "ignore", "pipe"] });
      toolchainProblem = null;
    } catch (e) {
      toolchainProblem = `cannot build C harnesses with '${compiler} … -lbpf' (install a C compiler and libbpf-dev): ${failureDetail(e)}`;
    }
  }
  return toolchainProblem ?? undefined;
}

/** The first line of a failed child process's stderr, or its error message. */
function failureDetail(e: unknown): string {
  const err = e as { code?: unknown; stderr?: unknown; message?: unknown };
  if (err.code === "ENOENT") return "program not found";
  const stderr = err.stderr ? String(err.stderr).trim() : "";
  return stderr ? stderr.split("\n")[0] : String(err.message ?? e);
}

/**
 * Path of the compiled harness bench/out/<name>, (re)building it when the
 * binary is missing or older than bench/c/<name>.c or bench/c/bench_common.h.
 */
export function cHarness(name: string): string {
  const source = path.join(sourceDir, `${name}.c`);
  const binary = path.join(outputDir, name);
  // The shared header counts as a source of every harness.
  const newestSource = Math.max(statSync(source).mtimeMs, statSync(path.join(sourceDir, "bench_common.h")).mtimeMs);
  if (existsSync(binary) && statSync(binary).mtimeMs >= newestSource) return binary;
  mkdirSync(outputDir, { recursive: true });
  // Build under a private name and rename: a concurrent run never sees half a binary.
  const partial = `${binary}.${process.pid}.tmp`;
  try {
    execFileSync(compiler, ["-O2", "-Wall", "-Wextra", "-o", partial, source, "-lbpf"], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    throw new Error(`building ${path.relative(repoRoot, source)} failed: ${failureDetail(e)}`, { cause: e });
  }
  renameSync(partial, binary);
  return binary;
}

/** Runs a harness with arguments and parses its JSON result line. */
export function runCHarness(name: string, args: readonly (string | number)[]): Measurement {
  let out: string;
  try {
    // The harness reads the clock choice from BENCH_CLOCK so both sides time the same way.
    const env = { ...process.env, BENCH_CLOCK: benchClock() };
    out = execFileSync(cHarness(name), args.map(String), { encoding: "utf8", env, stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    throw new Error(`C harness ${name} ${args.join(" ")} failed: ${failureDetail(e)}`, { cause: e });
  }
  const parsed: unknown = JSON.parse(out.trim().split("\n").pop() ?? "");
  if (!isMeasurementJson(parsed)) throw new Error(`${name}: unexpected output ${out}`);
  return { ops: parsed.ops, samplesNs: parsed.samples_ns, check: parsed.check };
}

interface MeasurementJson {
  ops: number;
  samples_ns: number[];
  check: number;
}

function isMeasurementJson(v: unknown): v is MeasurementJson {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o["ops"] === "number" &&
    typeof o["check"] === "number" &&
    Array.isArray(o["samples_ns"]) &&
    o["samples_ns"].every((x) => typeof x === "number")
  );
}
