// How an example tool runs: the frame of main() (usage errors exit 2, a
// missing root or a library error is one line on stderr and exit 1, --help
// prints the usage) and the ways tracing stops (Ctrl-C, SIGTERM, a closed
// stdout, the -d duration). Command-line parsing is in cli.ts.
import { BpfError } from "../../src/index.js";
import { UsageError } from "./cli.js";

/** How a tool runs: its name, usage, option parser (undefined: --help) and the tracing itself. */
export interface Tool<O> {
  name: string;
  usage: string;
  /** Why it needs root, for the message; default: loading and attaching BPF programs. */
  rootReason?: string;
  parse(argv: readonly string[]): O | undefined;
  /** The work; a number is the exit code (e.g. a child's), otherwise 0. */
  run(options: O): Promise<void | number>;
}

/** Runs a tool on argv and returns its exit code. */
export async function runTool<O>(tool: Tool<O>, argv: readonly string[]): Promise<number> {
  let options: O | undefined;
  try {
    options = tool.parse(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${e.message}\n`);
    return 2;
  }
  if (options === undefined) {
    process.stdout.write(`${tool.usage}\n`);
    return 0;
  }
  if (process.geteuid?.() !== 0) {
    process.stderr.write(`${tool.name}: must run as root (${tool.rootReason ?? "loading and attaching BPF programs needs CAP_BPF and CAP_PERFMON"})\n`);
    return 1;
  }
  try {
    return (await tool.run(options)) ?? 0;
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    process.stderr.write(`${tool.name}: ${e.message.split("\n")[0]}\n`);
    return 1;
  }
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
