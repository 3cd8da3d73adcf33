// Network namespaces for the netns attach tests: made with `ip netns add`,
// loopback up, removed after; what must run inside runs in a child process
// under `ip netns exec`, so the machine's own namespace is never touched.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";

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
