// tc-classifier: a tc ingress program that drops TCP and UDP traffic to one
// port and counts every TCP/UDP packet per destination port and verdict. By
// default it makes its own network (two namespaces and a veth pair, see
// ../common/demo-network.ts), sends UDP and TCP to an open and a blocked port
// and removes it all on exit; with -i it classifies on an interface of the
// current network namespace. It attaches with tcx (Linux 6.6), or a classic
// cls_bpf filter on older kernels or with --classic. Ctrl-C stops it
// cleanly: the link is closed (the filter and the clsact qdisc it made go).
// The object (examples/tc-classifier/tc-classifier.bpf.o, committed) is used
// through its generated skeleton (tc-classifier.skel.ts: `tsbpf gen skeleton`).
//   node dist/examples/tc-classifier/main.js [-i IFNAME] [-p PORT] [--classic] [-t SECS] [-d SECS] [--json]
import { fileURLToPath } from "node:url";
import type { ChildProcess } from "node:child_process";
import { attachTc, attachTcx, type TypedMap } from "../../src/index.js";
import { UsageError } from "../common/cli.js";
import { DEMO_DEVICE, everyUntilStopped, startTraffic } from "../common/demo-network.js";
import { onInterfaceOrDemo, parseNetworkArgs, type NetworkOptions } from "../common/network-tool.js";
import { runTool } from "../common/tool.js";
import { TcClassifierSkeleton, type PortKey } from "./tc-classifier.skel.js";

const SCRIPT = fileURLToPath(import.meta.url);

/** The port the demo blocks unless -p says otherwise. */
const DEMO_BLOCKED = 7001;

export const USAGE = `Usage: tc-classifier [-i IFNAME] [-p PORT] [--classic] [-t SECS] [-d SECS] [-j]
Drop incoming TCP and UDP to one port and count packets per port, with a tc program (needs root).

Without -i it creates two network namespaces joined by a veth pair, classifies
on veth0 while sending UDP and TCP to ports 7000 (open) and ${DEMO_BLOCKED} (blocked),
and removes them on exit.

  -i, --interface IFNAME  classify on this interface of the current network namespace
  -p, --port PORT         drop TCP and UDP to this port (default ${DEMO_BLOCKED}; 0 drops nothing)
      --classic           attach as a classic tc filter (clsact + cls_bpf) instead of tcx
  -t, --interval SECS     print the counts every SECS seconds (default 1)
  -d, --duration SECS     stop after SECS seconds (default 0: at Ctrl-C)
  -j, --json              one JSON object per interval and line
  -h, --help              this text`;

interface Options extends NetworkOptions {
  port: number;
  classic: boolean;
}

function parseOptions(argv: readonly string[]): Options | undefined {
  const parsed = parseNetworkArgs("tc-classifier", USAGE, argv, {
    port: { type: "string", short: "p" },
    classic: { type: "boolean", default: false },
  });
  if (!parsed) return undefined;
  const { options, values } = parsed;
  const text = typeof values.port === "string" ? values.port : undefined;
  const port = text === undefined ? DEMO_BLOCKED : Number(text);
  if (!/^\d+$/.test(text ?? "0") || port > 65535) throw new UsageError(`tc-classifier: --port needs a port number from 0 to 65535, not '${text}'`);
  return { ...options, port, classic: values.classic === true };
}

interface Row { protocol: string; port: number; verdict: "pass" | "drop"; packets: bigint }

/** Rows of the packets map (struct port_key → u64), by port then protocol. */
function readCounts(map: TypedMap<PortKey, bigint>): Row[] {
  const rows: Row[] = [];
  for (const [{ port, ipproto, dropped }, packets] of map.entries()) {
    rows.push({ protocol: ipproto === 6 ? "tcp" : "udp", port, verdict: dropped ? "drop" : "pass", packets });
  }
  return rows.sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol) || a.verdict.localeCompare(b.verdict));
}

function print(rows: Row[], json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), counts: rows.map((r) => ({ ...r, packets: Number(r.packets) })) })}\n`);
    return;
  }
  const lines = [`${new Date().toTimeString().slice(0, 8)}`, `${"PROTO".padEnd(6)} ${"PORT".padStart(5)} ${"VERDICT".padEnd(8)} ${"PACKETS".padStart(10)}`];
  for (const r of rows) lines.push(`${r.protocol.padEnd(6)} ${String(r.port).padStart(5)} ${r.verdict.padEnd(8)} ${String(r.packets).padStart(10)}`);
  process.stdout.write(`${lines.join("\n")}\n\n`);
}

/** Loads with the blocked port in .rodata, attaches, prints every interval until Ctrl-C/SIGTERM/duration, then detaches. */
async function classify(options: Options): Promise<void> {
  const iface = options.interface ?? DEMO_DEVICE;
  using skel = TcClassifierSkeleton.open();
  skel.rodata.blocked_port = options.port;
  skel.load();
  const program = skel.programs.classify;
  using link = options.classic
    ? attachTc(program, { interface: iface, direction: "ingress" })
    : attachTcx(program, { interface: iface, direction: "ingress" });
  let traffic: ChildProcess | undefined;
  if (options.demoPeer) {
    traffic = startTraffic(options.demoPeer, [
      { protocol: "udp", port: 7000 }, { protocol: "udp", port: DEMO_BLOCKED }, { protocol: "tcp", port: 7000 }, { protocol: "tcp", port: DEMO_BLOCKED },
    ]);
  }
  const blocking = options.port ? `dropping TCP and UDP to port ${options.port}` : "dropping nothing";
  process.stderr.write(`Classifying on ${link.target}, ${blocking}. Ctrl-C to stop.\n`);
  try {
    await everyUntilStopped(options.interval, options.duration, () => print(readCounts(skel.maps.packets), options.json));
    print(readCounts(skel.maps.packets), options.json);
  } finally {
    traffic?.kill();
  }
}

const argv = process.argv.slice(2);
process.exitCode = await runTool({
  name: "tc-classifier", usage: USAGE, rootReason: "network namespaces and tc need CAP_SYS_ADMIN, CAP_NET_ADMIN and CAP_BPF",
  parse: parseOptions, run: (options) => onInterfaceOrDemo("tc-classifier", SCRIPT, argv, options, classify),
}, argv);
