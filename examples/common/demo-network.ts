// The throw-away network the network examples run in, so they never touch
// the machine's own interfaces: two network namespaces joined by a veth pair
// (veth0 = 10.77.0.1 in the inner one, where the example attaches; veth1 =
// 10.77.0.2 in the outer one, where test traffic comes from). The example
// re-runs itself inside the inner namespace (`ip netns exec`), forwarding
// Ctrl-C/SIGTERM to that child, and removes both namespaces afterwards —
// which also detaches anything still attached in them.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";

export const DEMO_DEVICE = "veth0";
export const DEMO_ADDRESS = "10.77.0.1";
const PEER_ADDRESS = "10.77.0.2";

/** The two namespaces of a demo network. */
export interface DemoNetwork {
  /** Namespace holding veth0, where the program is attached. */
  inner: string;
  /** Namespace holding veth1, the traffic's source. */
  outer: string;
  /** Deletes both namespaces (idempotent). */
  remove(): void;
}

function ip(args: string[]): void {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.error) throw new Error(`cannot run 'ip' (install iproute2): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr.trim()}`);
}

/** Creates the namespaces and the veth pair between them, named after `tool` and this process. */
export function createDemoNetwork(tool: string): DemoNetwork {
  const inner = `${tool}-${process.pid}`;
  const outer = `${tool}-${process.pid}-peer`;
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    for (const ns of [inner, outer]) spawnSync("ip", ["netns", "del", ns]);
  };
  try {
    ip(["netns", "add", inner]);
    ip(["netns", "add", outer]);
    ip(["-n", inner, "link", "add", DEMO_DEVICE, "type", "veth", "peer", "name", "veth1", "netns", outer]);
    ip(["-n", inner, "addr", "add", `${DEMO_ADDRESS}/24`, "dev", DEMO_DEVICE]);
    ip(["-n", outer, "addr", "add", `${PEER_ADDRESS}/24`, "dev", "veth1"]);
    for (const [ns, dev] of [[inner, DEMO_DEVICE], [outer, "veth1"], [inner, "lo"]] as const) ip(["-n", ns, "link", "set", dev, "up"]);
  } catch (e) {
    remove();
    throw e;
  }
  return { inner, outer, remove };
}

/**
 * Runs this script again inside namespace `ns` with `args`, its output on
 * ours; signals that would stop us are passed on to it instead, so it can
 * detach and report. Resolves with its exit code.
 */
export function runInside(ns: string, script: string, args: readonly string[]): Promise<number> {
  const child = spawn("ip", ["netns", "exec", ns, process.execPath, script, ...args], { stdio: "inherit" });
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

/** One kind of test traffic: datagrams or connection attempts to a port of veth0. */
export interface TrafficTarget {
  protocol: "udp" | "tcp";
  port: number;
}

/**
 * Sends a little UDP and TCP traffic from the outer namespace to veth0 every
 * `everyMs` until stopped (kill the returned process).
 */
export function startTraffic(outer: string, targets: readonly TrafficTarget[], everyMs = 200): ChildProcess {
  const script = `const dgram = require("node:dgram"), net = require("node:net");
    const targets = ${JSON.stringify(targets)}; const udp = dgram.createSocket("udp4");
    setInterval(() => { for (const t of targets) {
      if (t.protocol === "udp") udp.send("demo", t.port, "${DEMO_ADDRESS}");
      else { const c = net.connect({ host: "${DEMO_ADDRESS}", port: t.port, timeout: 300 }); c.on("error", () => {}); c.on("timeout", () => c.destroy()); c.on("connect", () => c.destroy()); }
    } }, ${everyMs});`;
  return spawn("ip", ["netns", "exec", outer, process.execPath, "-e", script], { stdio: "ignore" });
}

/**
 * The demo: makes the network, runs `script` again inside it with `argv`
 * plus `--demo-peer OUTER` (the child attaches there and sends traffic from
 * OUTER), and removes the network whatever happens. Resolves with the
 * child's exit code.
 */
export async function runDemo(tool: string, script: string, argv: readonly string[]): Promise<number> {
  const net = createDemoNetwork(tool);
  process.stderr.write(`Created network namespaces ${net.inner} (veth0) and ${net.outer} (veth1); they are removed on exit.\n`);
  // Signals go to the child (runInside forwards them), which detaches and prints its last report.
  const ignore = (): void => {};
  process.on("SIGINT", ignore);
  process.on("SIGTERM", ignore);
  try {
    return await runInside(net.inner, script, [...argv, "--demo-peer", net.outer]);
  } finally {
    net.remove();
    process.off("SIGINT", ignore);
    process.off("SIGTERM", ignore);
  }
}

/** Calls `tick` every `intervalSeconds` until Ctrl-C, SIGTERM or `durationSeconds` (0: no limit). */
export function everyUntilStopped(intervalSeconds: number, durationSeconds: number, tick: () => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setInterval(tick, intervalSeconds * 1000);
    const end = durationSeconds > 0 ? setTimeout(stop, durationSeconds * 1000) : undefined;
    function stop(): void {
      clearInterval(timer);
      clearTimeout(end);
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    }
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
