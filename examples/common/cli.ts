// The command lines of the example tools: a UsageError for what the user
// typed wrong (exit 2, see tool.ts), integer options with their range, and
// parseArgs with the options every tool has (-h/--help, -d/--duration; the
// tracers' -p and -j too).
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A bad command line; the message is for the user (exit 2). */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Option values as parseArgs gives them. */
export type OptionValues = Record<string, string | boolean | undefined>;

/** parseCommandLine() with the positional arguments too (allowed only when `positionals`). */
export function parseCommandLineWithPositionals(tool: string, usage: string, argv: readonly string[], options: Options, positionals: boolean):
  { values: OptionValues; positionals: string[] } | undefined {
  try {
    const parsed = parseArgs({
      args: [...argv], strict: true, allowPositionals: positionals,
      options: { ...options, help: { type: "boolean", short: "h", default: false }, duration: { type: "string", short: "d" } },
    });
    const values = parsed.values as OptionValues;
    return values.help ? undefined : { values, positionals: parsed.positionals };
  } catch (e) {
    throw new UsageError(`${tool}: ${(e as Error).message}\n${usage}`);
  }
}

/** parseArgs with -h/--help and -d/--duration added; undefined when help was asked for. */
export function parseCommandLine(tool: string, usage: string, argv: readonly string[], options: Options): OptionValues | undefined {
  return parseCommandLineWithPositionals(tool, usage, argv, options, false)?.values;
}

/** An integer option in [min, max], or undefined when absent; UsageError otherwise. */
export function integerOption(tool: string, flag: string, text: unknown, min = 0, max = 2 ** 32 - 1): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (typeof text !== "string" || !/^\d+$/.test(text) || n < min || n > max) throw new UsageError(`${tool}: ${flag} needs an integer from ${min} to ${max}, not '${String(text)}'`);
  return n;
}

/** A number of seconds in [min, 86400] (fractions allowed), or `fallback` when absent; UsageError otherwise. */
export function secondsOption(tool: string, flag: string, text: unknown, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (typeof text !== "string" || !Number.isFinite(n) || n < min || n > 86400) throw new UsageError(`${tool}: ${flag} needs a number of seconds from ${min} to 86400, not '${String(text)}'`);
  return n;
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
  const parsed = parseCommandLineWithPositionals(name, usage, argv, {
    pid: { type: "string", short: "p" },
    json: { type: "boolean", short: "j", default: false },
  }, true);
  if (!parsed) return undefined;
  const { values, positionals } = parsed;
  const options: TraceOptions = { duration: integerOption(name, "-d", values.duration, 0, 2 ** 31) ?? 0, json: values.json === true };
  const pid = integerOption(name, "-p", values.pid, 1, 2 ** 32 - 1);
  if (pid !== undefined) options.pid = pid;
  return { options, positionals };
}
