// Command-line options of uprobe-tracer.
import { parseTraceArgs, UsageError, type TraceOptions } from "../common/cli.js";

export interface Options extends TraceOptions {
  /** The executable or library ("libc.so.6", "/bin/bash"). */
  binary: string;
  /** The function in it ("malloc", "readline"). */
  func: string;
}

export const USAGE = `Usage: uprobe-tracer [-p PID] [-d SECONDS] [--json] BINARY:FUNCTION
Trace every call of a function in a user-space binary with eBPF (needs root):
its first three arguments, its return value and how long it ran.

  BINARY:FUNCTION       e.g. libc.so.6:malloc (malloc sizes), /bin/bash:readline;
                        a bare library or program name is looked up like ld.so / $PATH
  -p, --pid PID         only this process (a bare BINARY is then found in its mappings)
  -d, --duration SECS   trace for SECS seconds (default 0: until Ctrl-C)
  -j, --json            one JSON object per call and line
  -h, --help            this text

The tracer's own process is never traced.`;

const NAME = "uprobe-tracer";

/** Parses argv (without node and the script); undefined means --help was asked for. */
export function parseOptions(argv: readonly string[]): Options | undefined {
  const parsed = parseTraceArgs(NAME, USAGE, argv);
  if (!parsed) return undefined;
  const { options, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(`${NAME}: give one BINARY:FUNCTION\n${USAGE}`);
  const target = positionals[0]!;
  const colon = target.lastIndexOf(":");
  if (colon <= 0 || colon === target.length - 1) throw new UsageError(`${NAME}: '${target}' is not BINARY:FUNCTION (e.g. libc.so.6:malloc)`);
  return { ...options, binary: target.slice(0, colon), func: target.slice(colon + 1) };
}
