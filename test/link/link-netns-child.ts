// The half of test/link/link-netns.test.ts that runs inside a network namespace
// the test created (`ip netns exec NS node link-netns-child.js SCENARIO`), so
// nothing is ever attached to the machine's own namespace. Each scenario
// attaches a program of netns.bpf.c, makes traffic on the namespace's
// loopback, and prints what it saw as one JSON line for the parent to check.
import { writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { createServer, connect, type Server } from "node:net";
import { createSocket } from "node:dgram";
import { fileURLToPath } from "node:url";
import { loadObjectSpec } from "../../src/object/index.js";
import { Collection } from "../../src/collection.js";
import { attachNetfilter, attachNetns, nodeSocketFd, NetfilterFamily, NetfilterHook } from "../../src/link/index.js";
import type { Link } from "../../src/link/index.js";

const OBJECT = fileURLToPath(new URL("../../../test/fixtures/cgroup-sock/netns.bpf.o", import.meta.url));

function bpftool(...args: string[]): string {
  return execFileSync("bpftool", args, { encoding: "utf8" });
}

/** Connects to 127.0.0.1:port and resolves with what the server sent, or the error code. */
function fetchFrom(port: number): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const c = connect(port, "127.0.0.1");
    c.on("data", (d: Buffer) => chunks.push(d));
    c.on("end", () => resolve(Buffer.concat(chunks).toString()));
    c.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** Sends `count` datagrams to a receiver on 127.0.0.1 and waits until they all arrived. */
async function udpRoundTrip(count: number): Promise<void> {
  const receiver = createSocket("udp4");
  await new Promise<void>((resolve) => receiver.bind(0, "127.0.0.1", resolve));
  let left = count;
  const arrived = new Promise<void>((resolve) => receiver.on("message", () => --left === 0 && resolve()));
  const sender = createSocket("udp4");
  for (let i = 0; i < count; i++) sender.send("tsbpf", receiver.address().port, "127.0.0.1");
  await arrived;
  sender.close();
  receiver.close();
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
}

/** Program ids under "flow_dissector:" in `bpftool net show` (its -j output for them is not valid JSON in bpftool v7.1). */
function flowDissectorIds(): number[] {
  const text = bpftool("net", "show");
  const section = text.slice(text.indexOf("flow_dissector:"));
  return [...section.matchAll(/^id (\d+)$/gm)].map((m) => Number(m[1]));
}

function linkIdsShown(): number[] {
  return (JSON.parse(bpftool("-j", "link", "show")) as { id: number }[]).map((l) => l.id);
}

async function skLookup(c: Collection): Promise<Record<string, unknown>> {
  const server = createServer((s) => s.end("steered"));
  await listen(server, 8008);
  try {
    c.variable("steered_port").set(7007);
    const key = new Uint8Array(4);
    const value = new Uint8Array(8);
    new DataView(value.buffer).setBigUint64(0, BigInt(nodeSocketFd(server)), true);
    c.map("steer_to").update(key, value);
    const before = await fetchFrom(7007);
    const link = attachNetns(c.program("steer_port"));
    const during = await fetchFrom(7007);
    const info = link.info();
    // By id: bpftool lists the links of every namespace, other processes' too.
    const shown = linkIdsShown();
    const target = link.target;
    link.close();
    const after = await fetchFrom(7007);
    return { before, during, after, steered: Number(c.variable("lookups_steered").getBigInt()), netnsIno: info.netns?.netnsIno, linkType: info.type, linkId: info.id, shown, afterShown: linkIdsShown(), target };
  } finally {
    server.close();
  }
}

async function flowDissector(c: Collection, method: "link" | "attach"): Promise<Record<string, unknown>> {
  // RPS makes the receive path hash every packet, and hashing runs the flow dissector.
  writeFileSync("/sys/class/net/lo/queues/rx-0/rps_cpus", "1");
  const counter = c.variable("dissections");
  const prog = c.program("count_dissections");
  let link: Link | undefined = attachNetns(prog, { method });
  try {
    const shown = flowDissectorIds();
    await udpRoundTrip(5);
    const during = Number(counter.getBigInt());
    link.close();
    link = undefined;
    await udpRoundTrip(5);
    const after = Number(counter.getBigInt());
    return { during, after, progId: prog.id, shown, afterShown: flowDissectorIds() };
  } finally {
    link?.close();
  }
}

async function netfilter(c: Collection): Promise<Record<string, unknown>> {
  const counter = c.variable("netfilter_packets");
  const link = attachNetfilter(c.program("count_netfilter"), { family: NetfilterFamily.IPv4, hook: NetfilterHook.LocalIn, priority: -100, defrag: true });
  const target = link.target;
  const info = link.info();
  await udpRoundTrip(4);
  const during = Number(counter.getBigInt());
  const shown = linkIdsShown();
  link.close();
  await udpRoundTrip(4);
  return { during, after: Number(counter.getBigInt()), target, hook: info.netfilter, linkId: info.id, shown, afterShown: linkIdsShown() };
}

const scenario = process.argv[2];
const c = Collection.load(loadObjectSpec(OBJECT));
try {
  let result: Record<string, unknown>;
  if (scenario === "sk_lookup") result = await skLookup(c);
  else if (scenario === "flow_dissector") result = await flowDissector(c, "link");
  else if (scenario === "flow_dissector_attach") result = await flowDissector(c, "attach");
  else if (scenario === "netfilter") result = await netfilter(c);
  else throw new Error(`unknown scenario ${scenario}`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  c.close();
}
