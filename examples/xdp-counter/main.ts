// xdp-counter: counts the frames a network device receives, per protocol,
// with an XDP program. By default it makes its own network (two namespaces
// and a veth pair, see ../common/demo-network.ts), sends some UDP and TCP
// through it and removes it all on exit; with -i it counts on an interface
// of the current network namespace instead. The object
// (examples/xdp-counter/xdp-counter.bpf.o, committed) is used through its
// generated skeleton (xdp-counter.skel.ts: `tsbpf gen skeleton`). Ctrl-C stops it cleanly: the
// XDP link is closed, so nothing stays attached.
//   node dist/examples/xdp-counter/main.js [-i IFNAME] [-m generic|driver] [-t SECS] [-d SECS] [--json]
import { fileURLToPath } from "node:url";
import type { ChildProcess } from "node:child_process";
import { attachXdp, type TypedMap, type XdpMode } from "../../src/index.js";
import { UsageError } from "../common/cli.js";
import { DEMO_DEVICE, everyUntilStopped, startTraffic } from "../common/demo-network.js";
import { onInterfaceOrDemo, parseNetworkArgs, type NetworkOptions } from "../common/network-tool.js";
import { runTool } from "../common/tool.js";
import { XdpCounterSkeleton, type ProtoCount, type ProtoKey } from "./xdp-counter.skel.js";

const SCRIPT = fileURLToPath(import.meta.url);

export const USAGE = `Usage: xdp-counter [-i IFNAME] [-m generic|driver] [-t SECS] [-d SECS] [-j]
Count received frames per protocol with XDP (needs root).

Without -i it creates two network namespaces joined by a veth pair, counts on
veth0 while sending a little UDP and TCP to it, and removes them on exit.

  -i, --interface IFNAME  count on this interface of the current network namespace
  -m, --mode MODE         XDP mode: generic or driver (default: the driver's, if any)
  -t, --interval SECS     print the counts every SECS seconds (default 1)
  -d, --duration SECS     stop after SECS seconds (default 0: at Ctrl-C)
  -j, --json              one JSON object per interval and line
  -h, --help              this text`;

interface Options extends NetworkOptions {
  mode?: XdpMode;
}

function parseOptions(argv: readonly string[]): Options | undefined {
  const parsed = parseNetworkArgs("xdp-counter", USAGE, argv, { mode: { type: "string", short: "m" } });
  if (!parsed) return undefined;
  const { options, values } = parsed;
  if (values.mode !== undefined && values.mode !== "generic" && values.mode !== "driver") {
    throw new UsageError(`xdp-counter: --mode is generic or driver, not '${String(values.mode)}'`);
  }
  return { ...options, ...(values.mode !== undefined ? { mode: values.mode } : {}) };
}

const ethertypes: Readonly<Record<number, string>> = { 0x0800: "ipv4", 0x86dd: "ipv6", 0x0806: "arp", 0x8100: "vlan", 0x88cc: "lldp" };
const ipProtocols: Readonly<Record<number, string>> = { 0: "hopopt", 1: "icmp", 2: "igmp", 6: "tcp", 17: "udp", 58: "icmpv6", 132: "sctp" };

/** "ipv4/udp", "arp", "0x88b5" … for a key of the counts map. */
function protocolName({ ethertype, ipproto }: ProtoKey): string {
  const base = ethertypes[ethertype] ?? `0x${ethertype.toString(16).padStart(4, "0")}`;
  if (ethertype !== 0x0800 && ethertype !== 0x86dd) return base;
  return `${base}/${ipProtocols[ipproto] ?? ipproto}`;
}

interface Row { protocol: string; packets: bigint; bytes: bigint }

function readCounts(map: TypedMap<ProtoKey, ProtoCount>): Row[] {
  const rows: Row[] = [];
  for (const [key, { packets, bytes }] of map.entries()) rows.push({ protocol: protocolName(key), packets, bytes });
  return rows.sort((a, b) => (b.packets > a.packets ? 1 : b.packets < a.packets ? -1 : a.protocol.localeCompare(b.protocol)));
}

function print(rows: Row[], json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), counts: rows.map((r) => ({ protocol: r.protocol, packets: Number(r.packets), bytes: Number(r.bytes) })) })}\n`);
    return;
  }
  const lines = [`${new Date().toTimeString().slice(0, 8)}`, `${"PROTOCOL".padEnd(14)} ${"PACKETS".padStart(10)} ${"BYTES".padStart(12)}`];
  for (const r of rows) lines.push(`${r.protocol.padEnd(14)} ${String(r.packets).padStart(10)} ${String(r.bytes).padStart(12)}`);
  process.stdout.write(`${lines.join("\n")}\n\n`);
}

/** Attaches, prints every interval until Ctrl-C/SIGTERM/duration, then detaches. */
async function count(options: Options): Promise<void> {
  const iface = options.interface ?? DEMO_DEVICE;
  using skel = XdpCounterSkeleton.openAndLoad();
  using link = attachXdp(skel.programs.count_protocols, { interface: iface, ...(options.mode ? { mode: options.mode } : {}) });
  let traffic: ChildProcess | undefined;
  if (options.demoPeer) traffic = startTraffic(options.demoPeer, [{ protocol: "udp", port: 5353 }, { protocol: "udp", port: 7000 }, { protocol: "tcp", port: 8080 }]);
  process.stderr.write(`Counting frames per protocol on ${link.target.replace(/^xdp on /, "")}. Ctrl-C to stop.\n`);
  try {
    await everyUntilStopped(options.interval, options.duration, () => print(readCounts(skel.maps.counts), options.json));
    print(readCounts(skel.maps.counts), options.json);
  } finally {
    traffic?.kill();
  }
}

const argv = process.argv.slice(2);
process.exitCode = await runTool({
  name: "xdp-counter", usage: USAGE, rootReason: "network namespaces and XDP need CAP_SYS_ADMIN, CAP_NET_ADMIN and CAP_BPF",
  parse: parseOptions, run: (options) => onInterfaceOrDemo("xdp-counter", SCRIPT, argv, options, count),
}, argv);
