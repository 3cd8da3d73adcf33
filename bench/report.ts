// Output of a benchmark run: an aligned text table, or JSON for machines.
import os from "node:os";
import { readFileSync } from "node:fs";
import type { BenchResult, SkippedGroup } from "./runner.js";
import type { BenchClock } from "./harness.js";

/** Where the figures were measured; printed with every report. */
export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly kernel: string;
  readonly node: string;
  readonly libbpf: string;
}

/** Describes the running machine (CPU count and model, kernel, Node.js, libbpf package). */
export function machineInfo(): MachineInfo {
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
    kernel: os.release(),
    node: process.version,
    libbpf: libbpfVersion(),
  };
}

function libbpfVersion(): string {
  try {
    const header = readFileSync("/usr/include/bpf/libbpf_version.h", "utf8");
    const major = /LIBBPF_MAJOR_VERSION\s+(\d+)/.exec(header)?.[1];
    const minor = /LIBBPF_MINOR_VERSION\s+(\d+)/.exec(header)?.[1];
    return major && minor ? `${major}.${minor}` : "unknown";
  } catch {
    return "not installed";
  }
}

/** Formats a rate with thousands separators ("1,234,567"). */
export function formatRate(opsPerSec: number): string {
  return Math.round(opsPerSec).toLocaleString("en-US");
}

/** The results as an aligned text table followed by skipped groups. */
export function formatTable(results: readonly BenchResult[], skipped: readonly SkippedGroup[], machine: MachineInfo, clock: BenchClock): string {
  const header = ["benchmark", "unit", "tsbpf/s", "raw sys/s", "C (libbpf)/s", "ratio", "target", "result"];
  const rows = results.map((r) => [
    r.name,
    r.unit,
    formatRate(r.tsbpf.opsPerSec),
    r.baseline ? formatRate(r.baseline.opsPerSec) : "-",
    formatRate(r.reference.opsPerSec),
    `${r.ratio.toFixed(2)}x`,
    r.target === undefined ? "-" : `>= ${r.target.toFixed(2)}x`,
    r.verdict,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  // Names and units read best left-aligned, numbers right-aligned.
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  const out = [
    `machine: ${machine.cpus} CPUs (${machine.cpuModel}), Linux ${machine.kernel}, Node.js ${machine.node}, libbpf ${machine.libbpf}`,
    `clock: ${clock === "cpu" ? "process CPU time" : "wall time"}; rates at the median round, ratio = median of paired per-round ratios`,
    "",
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
  ];
  for (const s of skipped) out.push(`skipped ${s.group}: ${s.reason}`);
  return out.join("\n");
}

/** The results as a JSON document (stable field names, rates in units per second). */
export function formatJson(results: readonly BenchResult[], skipped: readonly SkippedGroup[], machine: MachineInfo, clock: BenchClock): string {
  return JSON.stringify({ machine, clock, results, skipped }, null, 2);
}
