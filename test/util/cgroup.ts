// Child cgroups for the cgroup attach tests: a fresh directory under the
// machine's cgroup v2 hierarchy (never the root or a cgroup of anything
// else), and child processes that move themselves into it before acting.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, rmdirSync } from "node:fs";
import { spawnSync } from "node:child_process";

/** Where cgroup v2 is mounted on this machine. */
export const CGROUP2 = "/sys/fs/cgroup/unified";

/** True when the cgroup v2 hierarchy is there. */
export function haveCgroup2(): boolean {
  return existsSync(`${CGROUP2}/cgroup.procs`);
}

/** A fresh, empty child cgroup; remove() deletes it (once the processes that joined it have exited). */
export function makeChildCgroup(prefix = "tsbpf-test"): { path: string; remove(): void } {
  const path = `${CGROUP2}/${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  mkdirSync(path);
  return {
    path,
    remove() {
      if (existsSync(path)) rmdirSync(path);
    },
  };
}

/**
 * Runs `script` (CommonJS, for `node -e`) in a child Node process that first
 * moves itself into `cgroupPath`; returns its stdout, asserting it exited 0.
 */
export function runInCgroup(cgroupPath: string, script: string): string {
  const join = `require("node:fs").writeFileSync(${JSON.stringify(`${cgroupPath}/cgroup.procs`)}, String(process.pid));\n`;
  const r = spawnSync(process.execPath, ["-e", join + script], { encoding: "utf8", timeout: 120_000 });
  assert.equal(r.status, 0, `child in ${cgroupPath} failed (signal ${r.signal}): ${r.stderr}`);
  return r.stdout;
}

/** A script that sends `count` UDP datagrams to 127.0.0.1:9 and exits. */
export function sendUdpScript(count: number): string {
  return `
    const s = require("node:dgram").createSocket("udp4");
    let left = ${count};
    const next = () => left-- > 0 ? s.send("tsbpf", 9, "127.0.0.1", next) : s.close();
    next();`;
}
