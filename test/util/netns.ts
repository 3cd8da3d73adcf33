// Network namespaces for tests that attach to network hooks: never the
// machine's own interfaces. inNetns moves this thread into a namespace only
// around the calls that need it (ifindex resolution, netfilter hooks).
import { openSync, closeSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { native } from "../../src/sys/native.js";
import { sh } from "../sys-attach-helpers.js";

/** setns(2) per architecture. */
export const SETNS: Record<string, number> = { x64: 308, arm64: 268, riscv64: 268 };
const CLONE_NEWNET = 0x40000000;

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
export function vethPair(): { a: string; b: string; ifindex: number; cleanup(): void } {
  const tag = `${process.pid}${Math.random().toString(36).slice(2, 6)}`;
  const a = `tsbpf-a-${tag}`;
  const b = `tsbpf-b-${tag}`;
  const cleanup = (): void => {
    for (const ns of [a, b]) spawnSync("ip", ["netns", "del", ns]);
  };
  try {
    sh("ip", ["netns", "add", a]);
    sh("ip", ["netns", "add", b]);
    sh("ip", ["-n", a, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", b]);
    sh("ip", ["-n", a, "addr", "add", "10.99.0.1/24", "dev", "veth0"]);
    sh("ip", ["-n", b, "addr", "add", "10.99.0.2/24", "dev", "veth1"]);
    sh("ip", ["-n", a, "link", "set", "veth0", "up"]);
    sh("ip", ["-n", b, "link", "set", "veth1", "up"]);
    const [dev] = JSON.parse(sh("ip", ["-n", a, "-j", "link", "show", "veth0"])) as Array<{ ifindex: number }>;
    return { a, b, ifindex: dev!.ifindex, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}

