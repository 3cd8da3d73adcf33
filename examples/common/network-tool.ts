// What the network examples (xdp-counter, tc-classifier) share besides the
// demo network itself (demo-network.ts): their common options (-i, -t, -d,
// -j and the internal --demo-peer) and the choice between the demo network
// and an interface the user named.
import { parseCommandLine, secondsOption } from "./cli.js";
import { runDemo } from "./demo-network.js";

type ExtraOptions = Parameters<typeof parseCommandLine>[3];

/** The options every network example has. */
export interface NetworkOptions {
  interface?: string;
  interval: number;
  duration: number;
  json: boolean;
  /** Internal: running inside the demo network; the namespace to send traffic from. */
  demoPeer?: string;
}

/**
 * Parses -i, -t, -d, -j, -h, --demo-peer and the tool's `extra` options;
 * returns the common ones parsed and the raw values (for the extra ones),
 * or undefined when --help was asked for.
 */
export function parseNetworkArgs(tool: string, usage: string, argv: readonly string[], extra: ExtraOptions):
  { options: NetworkOptions; values: Record<string, string | boolean | undefined> } | undefined {
  const values = parseCommandLine(tool, usage, argv, {
    ...extra,
    interface: { type: "string", short: "i" },
    interval: { type: "string", short: "t" },
    json: { type: "boolean", short: "j", default: false },
    "demo-peer": { type: "string" },
  });
  if (!values) return undefined;
  const options: NetworkOptions = {
    ...(typeof values.interface === "string" ? { interface: values.interface } : {}),
    interval: secondsOption(tool, "--interval", values.interval, 1, 0.1),
    duration: secondsOption(tool, "--duration", values.duration, 0, 0),
    json: values.json === true,
    ...(typeof values["demo-peer"] === "string" ? { demoPeer: values["demo-peer"] } : {}),
  };
  return { options, values };
}

/**
 * Runs `work` on the interface the user named, or inside the demo network:
 * without -i (and not yet inside it) this process re-runs `script` there and
 * returns its exit code.
 */
export function onInterfaceOrDemo<O extends NetworkOptions>(tool: string, script: string, argv: readonly string[], options: O, work: (options: O) => Promise<void>): Promise<void | number> {
  if (options.interface === undefined && options.demoPeer === undefined) return runDemo(tool, script, argv);
  return work(options);
}
