// What the example tools share: the frame of main() (usage errors exit 2,
// a missing root or a library error is one line on stderr and exit 1, --help
// prints the usage) and the ways tracing stops (Ctrl-C, SIGTERM, a closed
// stdout, the -d duration).
import { parseArgs } from "node:util";
import { BpfError } from "../../src/index.js";

/** Thrown for a bad command line; the message is for the user. */
export class UsageError extends Error {}

/** An integer option in [min, max], or undefined when not given; UsageError otherwise. */
export function integerOption(tool: string, flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new UsageError(`${tool}: ${flag} needs an integer from ${min} to ${max}, not '${text}'`);
  return n;
}

/** Ends `controller` on Ctrl-C, SIGTERM, a closed stdout or after `seconds` (0: never); returns the cleanup. */
export function stopOn(controller: AbortController, seconds: number): () => void {
  const stop = (): void => controller.abort();
  const onOutputError = (e: NodeJS.ErrnoException): void => {
    if (e.code !== "EPIPE") throw e;
    stop();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  process.stdout.on("error", onOutputError);
  const timer = seconds > 0 ? setTimeout(stop, seconds * 1000) : undefined;
  return () => {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    process.stdout.off("error", onOutputError);
    clearTimeout(timer);
  };
}

/** How a tool runs: its name, usage, option parser (undefined: --help) and the tracing itself. */
export interface Tool<O> {
  name: string;
  usage: string;
  parse(argv: readonly string[]): O | undefined;
  run(options: O): Promise<void>;
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
    process.stderr.write(`${tool.name}: must run as root (loading and attaching BPF programs needs CAP_BPF and CAP_PERFMON)\n`);
    return 1;
  }
  try {
    await tool.run(options);
    return 0;
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    process.stderr.write(`${tool.name}: ${e.message.split("\n")[0]}\n`);
    return 1;
  }
}

/** The options every tracer has: -p PID, -d SECONDS, -j/--json. */
export interface TraceOptions {
  /** Only this process. */
  pid?: number;
  /** Seconds to trace; 0 = until Ctrl-C / SIGTERM. */
  duration: number;
  /** One JSON object per line instead of columns. */
  json: boolean;
}

/**
 * Parses -p, -d, -j/--json and -h/--help (UsageError for anything else) and
 * returns them with the positional arguments; undefined when --help was asked for.
 */
export function parseTraceArgs(name: string, usage: string, argv: readonly string[]): { options: TraceOptions; positionals: string[] } | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        pid: { type: "string", short: "p" },
        duration: { type: "string", short: "d" },
        json: { type: "boolean", short: "j", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    throw new UsageError(`${name}: ${(e as Error).message}\n${usage}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return undefined;
  const options: TraceOptions = { duration: integerOption(name, "-d", values.duration, 0, 2 ** 31) ?? 0, json: values.json ?? false };
  const pid = integerOption(name, "-p", values.pid, 1, 2 ** 32 - 1);
  if (pid !== undefined) options.pid = pid;
  return { options, positionals };
}
