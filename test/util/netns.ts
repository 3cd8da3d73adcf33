// Network namespaces and veth pairs made by the tests (never the machine's
// own interfaces). The test process stays in its namespace and enters a test
// namespace with setns(2) only around the calls that must run there.
import { closeSync, openSync } from "node:fs";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { native } from "../../src/sys/native.js";
import { requireOracle, skipFor, type Skippable } from "./environment.js";

const SETNS: Record<string, number> = { x64: 308, arm64: 268, riscv64: 268 };
const CLONE_NEWNET = 0x40000000;

/** Runs a command, throwing with its stderr when it fails. */
export function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

/** Runs `fn` with this thread inside the named netns, then returns to the original one. */
export function inNetns<T>(name: string, fn: () => T): T {
  const nr = SETNS[process.arch];
  if (nr === undefined) throw new Error(`no setns number for ${process.arch}`);
  const home = openSync("/proc/thread-self/ns/net", "r");
  const target = openSync(`/run/netns/${name}`, "r");
  try {
    const r = native.syscall(nr, target, CLONE_NEWNET);
    if (r < 0) throw new Error(`setns(${name}) failed: errno ${-r}`);
    let back = 0;
    let result: T;
    try {
      result = fn();
    } finally {
      back = native.syscall(nr, home, CLONE_NEWNET);
      // Staying in the test namespace would break every later test: make it loud.
      if (back < 0) console.error(`setns back to the original netns failed: errno ${-back}`);
    }
    if (back < 0) throw new Error(`setns back failed: errno ${-back}`);
    return result;
  } finally {
    closeSync(target);
    closeSync(home);
  }
}

/** Two namespaces joined by a veth pair: veth0 (10.99.0.1) in `a`, veth1 (10.99.0.2) in `b`. */
export interface VethPair {
  a: string;
  b: string;
  /** ifindex of veth0 in `a`. */
  ifindex: number;
  /** Deletes both namespaces (and with them the pair and everything attached to it). */
  cleanup(): void;
}

/** Makes a veth pair between two fresh namespaces named after `prefix` and this process. */
export function vethPair(prefix = "tsbpf"): VethPair {
  const tag = `${process.pid}${Math.random().toString(36).slice(2, 6)}`;
  const a = `${prefix}-a-${tag}`;
  const b = `${prefix}-b-${tag}`;
  const cleanup = (): void => {
    for (const ns of [a, b]) spawnSync("ip", ["netns", "del", ns]);
  };
  try {
    run("ip", ["netns", "add", a]);
    run("ip", ["netns", "add", b]);
    run("ip", ["-n", a, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", b]);
    run("ip", ["-n", a, "addr", "add", "10.99.0.1/24", "dev", "veth0"]);
    run("ip", ["-n", b, "addr", "add", "10.99.0.2/24", "dev", "veth1"]);
    run("ip", ["-n", a, "link", "set", "veth0", "up"]);
    run("ip", ["-n", b, "link", "set", "veth1", "up"]);
    run("ip", ["-n", a, "link", "set", "lo", "up"]);
    const [dev] = JSON.parse(run("ip", ["-n", a, "-j", "link", "show", "veth0"])) as Array<{ ifindex: number }>;
    return { a, b, ifindex: dev!.ifindex, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}

/**
 * Sends `count` UDP datagrams from namespace `from` to `address`:`port`
 * (ARP and UDP cross the veth). Returns when they are sent.
 */
export function sendUdp(from: string, address: string, count: number, port = 9): void {
  const script = `const s = require("node:dgram").createSocket("udp4"); let n = ${count};
    const next = () => n-- > 0 ? s.send("tsbpf", ${port}, "${address}", next) : s.close(); next();`;
  run("ip", ["netns", "exec", from, process.execPath, "-e", script]);
}


/** False (after skipping, or failing under CI) when this machine cannot make network namespaces. */
export function canUseNetns(t: Skippable): boolean {
  if (process.getuid?.() !== 0) skipFor(t, "not root", "ip netns");
  else if (SETNS[process.arch] === undefined) skipFor(t, "unsupported architecture", "no setns number");
  else return requireOracle(t, "iproute2");
  return false;
}

/** Runs `body` with the name of a fresh network namespace (lo up), deleting the namespace after. */
export function withNetns<T>(body: (name: string) => T): T {
  const name = `tsbpf-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  execFileSync("ip", ["netns", "add", name]);
  try {
    execFileSync("ip", ["-n", name, "link", "set", "lo", "up"]);
    return body(name);
  } finally {
    execFileSync("ip", ["netns", "delete", name]);
  }
}

/** Runs the compiled test script `script` (a path) with `args` inside namespace `name`; its stdout's JSON line. */
export function runInNetns<T>(name: string, script: string, ...args: string[]): T {
  const r = spawnSync("ip", ["netns", "exec", name, process.execPath, script, ...args], { encoding: "utf8", timeout: 120_000 });
  assert.equal(r.status, 0, `${script} ${args.join(" ")} in netns ${name} failed (signal ${r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
