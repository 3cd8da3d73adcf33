// xdp-counter: counts the frames a network device receives, per protocol,
// with an XDP program. By default it makes its own network (two namespaces
// and a veth pair, see ../common/demo-network.ts), sends some UDP and TCP
// through it and removes it all on exit; with -i it counts on an interface
// of the current network namespace instead. Ctrl-C stops it cleanly: the
// XDP link is closed, so nothing stays attached.
//   node dist/examples/xdp-counter/main.js [-i IFNAME] [-m generic|driver] [-t SECS] [-d SECS] [--json]
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import type { ChildProcess } from "node:child_process";
import { attachXdp, BpfError, Collection, loadObjectSpec, type BpfMap, type XdpMode } from "../../src/index.js";
import { DEMO_DEVICE, everyUntilStopped, runDemo, startTraffic } from "../common/demo-network.js";

const SCRIPT = fileURLToPath(import.meta.url);
// dist/examples/xdp-counter/main.js → the repository's examples/xdp-counter/.
const OBJECT = path.resolve(path.dirname(SCRIPT), "../../../examples/xdp-counter/xdp-counter.bpf.o");

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

interface Options {
  interface?: string;
  mode?: XdpMode;
  interval: number;
  duration: number;
  json: boolean;
  /** Internal: running inside the demo network; the namespace to send traffic from. */
  demoPeer?: string;
}

class UsageError extends Error {}

function seconds(flag: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > 86400) throw new UsageError(`xdp-counter: ${flag} needs a number of seconds from ${min} to 86400, not '${text}'`);
  return n;
}

function parseOptions(argv: readonly string[]): Options | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        interface: { type: "string", short: "i" },
        mode: { type: "string", short: "m" },
        interval: { type: "string", short: "t" },
        duration: { type: "string", short: "d" },
        json: { type: "boolean", short: "j", default: false },
        help: { type: "boolean", short: "h", default: false },
        "demo-peer": { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError(`xdp-counter: ${(e as Error).message}\n${USAGE}`);
  }
  if (values.help) return undefined;
  if (values.mode !== undefined && values.mode !== "generic" && values.mode !== "driver") {
    throw new UsageError(`xdp-counter: --mode is generic or driver, not '${values.mode}'`);
  }
  return {
    ...(values.interface !== undefined ? { interface: values.interface } : {}),
    ...(values.mode !== undefined ? { mode: values.mode as XdpMode } : {}),
    interval: seconds("--interval", values.interval, 1, 0.1),
    duration: seconds("--duration", values.duration, 0, 0),
    json: values.json ?? false,
    ...(values["demo-peer"] !== undefined ? { demoPeer: values["demo-peer"] } : {}),
  };
}

const ethertypes: Readonly<Record<number, string>> = { 0x0800: "ipv4", 0x86dd: "ipv6", 0x0806: "arp", 0x8100: "vlan", 0x88cc: "lldp" };
const ipProtocols: Readonly<Record<number, string>> = { 0: "hopopt", 1: "icmp", 2: "igmp", 6: "tcp", 17: "udp", 58: "icmpv6", 132: "sctp" };

/** "ipv4/udp", "arp", "0x88b5" … for a key of the counts map (struct proto_key). */
function protocolName(key: Uint8Array): string {
  const v = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const ethertype = v.getUint16(0, true);
  const base = ethertypes[ethertype] ?? `0x${ethertype.toString(16).padStart(4, "0")}`;
  if (ethertype !== 0x0800 && ethertype !== 0x86dd) return base;
  const proto = v.getUint8(2);
  return `${base}/${ipProtocols[proto] ?? proto}`;
}

interface Row { protocol: string; packets: bigint; bytes: bigint }

function readCounts(map: BpfMap): Row[] {
  const rows: Row[] = [];
  for (const [key, value] of map.entries()) {
    const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
    rows.push({ protocol: protocolName(key), packets: v.getBigUint64(0, true), bytes: v.getBigUint64(8, true) });
  }
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
  using objects = Collection.load(loadObjectSpec(OBJECT));
  using link = attachXdp(objects.program("count_protocols"), { interface: iface, ...(options.mode ? { mode: options.mode } : {}) });
  let traffic: ChildProcess | undefined;
  if (options.demoPeer) traffic = startTraffic(options.demoPeer, [{ protocol: "udp", port: 5353 }, { protocol: "udp", port: 7000 }, { protocol: "tcp", port: 8080 }]);
  process.stderr.write(`Counting frames per protocol on ${link.target.replace(/^xdp on /, "")}. Ctrl-C to stop.\n`);
  try {
    await everyUntilStopped(options.interval, options.duration, () => print(readCounts(objects.map("counts")), options.json));
    print(readCounts(objects.map("counts")), options.json);
  } finally {
    traffic?.kill();
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let options: Options | undefined;
  try {
    options = parseOptions(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${e.message}\n`);
    return 2;
  }
  if (!options) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (process.geteuid?.() !== 0) {
    process.stderr.write("xdp-counter: must run as root (network namespaces and XDP need CAP_SYS_ADMIN, CAP_NET_ADMIN and CAP_BPF)\n");
    return 1;
  }
  if (options.interface === undefined && options.demoPeer === undefined) {
    return runDemo("xdp-counter", SCRIPT, argv);
  }
  try {
    await count(options);
    return 0;
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    process.stderr.write(`xdp-counter: ${e.message.split("\n")[0]}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
