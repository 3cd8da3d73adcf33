// Does the running kernel have a function of this name? Read from
// /proc/kallsyms, which lists every symbol (with its address only for root);
// used to explain a refused probe and to pick the syscall wrapper's prefix.
import { readFileSync } from "node:fs";

/** The /proc/kallsyms text, read once per call site that needs it. */
export function readKallsyms(path = "/proc/kallsyms"): string {
  try {
    return readFileSync(path, "latin1");
  } catch {
    return "";
  }
}

/** True when `text` (kallsyms format: "ADDR TYPE NAME[\t[module]]" lines) lists `name`. */
export function kallsymsHas(text: string, name: string): boolean {
  return text.includes(` ${name}\n`) || text.includes(` ${name}\t`);
}
