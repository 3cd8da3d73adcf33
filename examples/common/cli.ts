// What every example tool shares: --help, a root check, stopping cleanly on
// Ctrl-C / SIGTERM / a closed stdout / the -d duration, and one-line errors.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { BpfError } from "../../src/index.js";

/** A bad command line; the message is for the user (exit 2). */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** parseArgs with -h/--help and -d/--duration added; undefined when help was asked for. */
export function parseCommandLine(tool: string, usage: string, argv: readonly string[], options: Options): Record<string, string | boolean | undefined> | undefined {
  try {
    const { values } = parseArgs({
      args: [...argv], strict: true, allowPositionals: false,
      options: { ...options, help: { type: "boolean", short: "h", default: false }, duration: { type: "string", short: "d" } },
    });
    const flat = values as Record<string, string | boolean | undefined>;
    return flat.help ? undefined : flat;
  } catch (e) {
    throw new UsageError(`${tool}: ${(e as Error).message}\n${usage}`);
  }
}

/** A non-negative integer option, or undefined when absent. */
export function integerOption(tool: string, flag: string, text: unknown, max = 2 ** 32 - 1): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (typeof text !== "string" || !/^\d+$/.test(text) || n > max) throw new UsageError(`${tool}: ${flag} needs an integer from 0 to ${max}, not '${String(text)}'`);
  return n;
}

/** Aborts on Ctrl-C, SIGTERM, EPIPE on stdout or after `seconds` (0: never); returns the signal and the cleanup. */
export function stopSignal(seconds: number): { signal: AbortSignal; cleanup: () => void } {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  const onOutputError = (e: NodeJS.ErrnoException): void => {
    if (e.code !== "EPIPE") throw e;
    stop();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  process.stdout.on("error", onOutputError);
  const timer = seconds > 0 ? setTimeout(stop, seconds * 1000) : undefined;
  return {
    signal: controller.signal,
    cleanup: () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      process.stdout.off("error", onOutputError);
      clearTimeout(timer);
    },
  };
}

/**
 * Resolves when `signal` aborts. A timer keeps Node's event loop alive
 * meanwhile: signal handlers alone do not, and a tool with nothing else to
 * wait on (a sampler) would otherwise exit at once.
 */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  const keepAlive = setInterval(() => {}, 1 << 30);
  return new Promise((resolve) => signal.addEventListener("abort", () => {
    clearInterval(keepAlive);
    resolve();
  }, { once: true }));
}

/**
 * Runs a tool's main: usage errors exit 2, --help prints `usage` and exits 0,
 * non-root exits 1 with one line, BPF errors exit 1 with their first line.
 */
export async function runTool(tool: string, usage: string, run: () => Promise<boolean>): Promise<number> {
  try {
    if (process.geteuid?.() !== 0 && !process.argv.includes("-h") && !process.argv.includes("--help")) {
      process.stderr.write(`${tool}: must run as root (loading and attaching BPF programs needs CAP_BPF and CAP_PERFMON)\n`);
      return 1;
    }
    if (!(await run())) process.stdout.write(`${usage}\n`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    if (!(e instanceof BpfError)) throw e;
    process.stderr.write(`${tool}: ${e.message.split("\n")[0]}\n`);
    return 1;
  }
}
