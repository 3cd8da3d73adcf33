// CPU sets from sysfs: per-CPU map values and perf buffers are sized by the
// *possible* CPUs (not the online ones), exactly as the kernel sizes them.
import { readFileSync } from "node:fs";
import { InvalidArgumentError } from "./errors.js";

/** Parses a kernel CPU list such as "0-3,5,7-8". */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(",")) {
    if (!part) continue;
    const [a, b] = part.split("-");
    const lo = Number(a);
    const hi = b === undefined ? lo : Number(b);
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) throw new InvalidArgumentError(`bad CPU list: ${JSON.stringify(text)}`, "text");
    for (let c = lo; c <= hi; c++) cpus.push(c);
  }
  return cpus;
}

let possible: number | undefined;

/** Number of possible CPUs (highest possible CPU + 1), cached. */
export function possibleCpuCount(): number {
  if (possible === undefined) {
    const cpus = parseCpuList(readFileSync("/sys/devices/system/cpu/possible", "utf8"));
    possible = cpus.length ? Math.max(...cpus) + 1 : 1;
  }
  return possible;
}

/** The online CPUs, read fresh each time. */
export function onlineCpus(): number[] {
  return parseCpuList(readFileSync("/sys/devices/system/cpu/online", "utf8"));
}
