// Command-line options of usdt-tracer.
import { parseTraceArgs, UsageError, type TraceOptions } from "../common/cli.js";

export interface Options extends TraceOptions {
  /** The Python interpreter (or libpython) whose probe to trace. */
  python: string;
}

export const DEFAULT_PYTHON = "/usr/bin/python3.11";

export const USAGE = `Usage: usdt-tracer [-p PID] [-d SECONDS] [--json] [PYTHON]
Print the Python functions an interpreter runs, from its python:function__entry
USDT probe (file, line, function), with eBPF (needs root).

  PYTHON                the interpreter or libpython with the probe (default ${DEFAULT_PYTHON})
  -p, --pid PID         only this process
  -d, --duration SECS   trace for SECS seconds (default 0: until Ctrl-C)
  -j, --json            one JSON object per call and line
  -h, --help            this text

The interpreter must be built with --with-dtrace (Debian's is: readelf -n shows
its probes). CPython 3.11 fires function__entry only for frames it enters while
a trace function is set (sys.settrace: debuggers, coverage) and when a
generator is thrown into; newer versions differ.`;

const NAME = "usdt-tracer";

/** Parses argv (without node and the script); undefined means --help was asked for. */
export function parseOptions(argv: readonly string[]): Options | undefined {
  const parsed = parseTraceArgs(NAME, USAGE, argv);
  if (!parsed) return undefined;
  const { options, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`${NAME}: give at most one interpreter\n${USAGE}`);
  return { ...options, python: positionals[0] ?? DEFAULT_PYTHON };
}
