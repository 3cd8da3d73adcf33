// Command-line options of opensnoop, in the spirit of libbpf-tools' opensnoop.
import { integerOption, parseCommandLine } from "../common/cli.js";

export interface Options {
  /** Only this process (tgid). */
  pid?: number;
  /** Only this thread. */
  tid?: number;
  /** Only this user. */
  uid?: number;
  /** Only failed opens. */
  failedOnly: boolean;
  /** Seconds to trace; 0 = until Ctrl-C / SIGTERM. */
  duration: number;
  /** Only processes whose command name contains this. */
  name?: string;
  /** One JSON object per line instead of columns. */
  json: boolean;
}

export const USAGE = `Usage: opensnoop [-p PID] [-t TID] [-u UID] [-x] [-d SECONDS] [-n NAME] [--json]
Trace open(2), openat(2) and openat2(2) calls, with eBPF (needs root).

  -p, --pid PID         only this process
  -t, --tid TID         only this thread
  -u, --uid UID         only this user
  -x, --failed          only failed opens
  -d, --duration SECS   trace for SECS seconds (default 0: until Ctrl-C)
  -n, --name NAME       only commands whose name contains NAME
  -j, --json            one JSON object per event and line
  -h, --help            this text`;

const integer = (flag: string, text: unknown, min: number, max: number): number | undefined =>
  integerOption("opensnoop", flag, text, min, max);

/** Parses argv (without node and the script); undefined means --help was asked for. */
export function parseOptions(argv: readonly string[]): Options | undefined {
  const values = parseCommandLine("opensnoop", USAGE, argv, {
    pid: { type: "string", short: "p" },
    tid: { type: "string", short: "t" },
    uid: { type: "string", short: "u" },
    failed: { type: "boolean", short: "x", default: false },
    name: { type: "string", short: "n" },
    json: { type: "boolean", short: "j", default: false },
  });
  if (!values) return undefined;
  const options: Options = {
    failedOnly: values.failed === true,
    duration: integer("-d", values.duration, 0, 2 ** 31) ?? 0,
    json: values.json === true,
  };
  const pid = integer("-p", values.pid, 1, 2 ** 32 - 1);
  const tid = integer("-t", values.tid, 1, 2 ** 32 - 1);
  // uid 4294967295 is (uid_t)-1, the program's "any user".
  const uid = integer("-u", values.uid, 0, 2 ** 32 - 2);
  if (pid !== undefined) options.pid = pid;
  if (tid !== undefined) options.tid = tid;
  if (uid !== undefined) options.uid = uid;
  if (typeof values.name === "string") options.name = values.name;
  return options;
}
