// The network examples as users run them: xdp-counter and tc-classifier make
// their own namespaces and veth pair, count real traffic (UDP and TCP they
// send through it), stop cleanly on Ctrl-C or after -d, and leave nothing:
// their namespaces are gone, and on an interface given with -i nothing stays
// attached (`bpftool net show`, `tc qdisc show`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { tcxAttachments } from "../../src/link/index.js";
import { canUseNetns, inNetns, run, vethPair } from "../util/netns.js";
import { requireOracle } from "../util/environment.js";

const XDP_COUNTER = fileURLToPath(new URL("../../examples/xdp-counter/main.js", import.meta.url));
const TC_CLASSIFIER = fileURLToPath(new URL("../../examples/tc-classifier/main.js", import.meta.url));

interface Report { counts: Array<Record<string, string | number>> }

/** Runs an example; with `interruptAfterFirst`, sends SIGINT once it printed its first report. */
function runExample(script: string, args: string[], interruptAfterFirst = false): Promise<{ code: number | null; reports: Report[]; stderr: string; pid: number }> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    if (interruptAfterFirst && stdout.includes("\n")) {
      interruptAfterFirst = false;
      child.kill("SIGINT");
    }
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return new Promise((resolve) => child.on("close", (code) => resolve({
    code, stderr, pid: child.pid!,
    reports: stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Report),
  })));
}

function namespacesOf(tool: string, pid: number): string[] {
  return run("ip", ["netns", "list"]).split("\n").map((l) => l.split(" ")[0]!).filter((n) => n.startsWith(`${tool}-${pid}`));
}

test("examples print --help", () => {
  for (const script of [XDP_COUNTER, TC_CLASSIFIER]) {
    const r = spawnSync(process.execPath, [script, "--help"], { encoding: "utf8" });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^Usage: (xdp-counter|tc-classifier) /);
    const bad = spawnSync(process.execPath, [script, "--bogus"], { encoding: "utf8" });
    assert.equal(bad.status, 2);
  }
});

test("xdp-counter: counts UDP and TCP per protocol in its own namespaces, stops after -d, removes them", async (t) => {
  if (!canUseNetns(t)) return;
  const r = await runExample(XDP_COUNTER, ["-d", "2", "-t", "0.5", "-j"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Counting frames per protocol on interface veth0/);
  const last = r.reports.at(-1)!;
  const packets = (p: string): number => Number(last.counts.find((c) => c.protocol === p)?.packets ?? 0);
  assert.ok(packets("ipv4/udp") >= 4, `UDP frames counted: ${JSON.stringify(last)}`);
  assert.ok(packets("ipv4/tcp") >= 2, `TCP frames counted: ${JSON.stringify(last)}`);
  assert.deepEqual(namespacesOf("xdp-counter", r.pid), [], "the example removed its namespaces");
});

test("tc-classifier: really drops the blocked port, passes the other; Ctrl-C stops it cleanly", async (t) => {
  if (!canUseNetns(t)) return;
  const r = await runExample(TC_CLASSIFIER, ["-t", "1", "-j"], true);
  assert.equal(r.code, 0, r.stderr);
  const last = r.reports.at(-1)!;
  const rows = (port: number, verdict: string): number => last.counts
    .filter((c) => c.port === port && c.verdict === verdict).reduce((n, c) => n + Number(c.packets), 0);
  assert.ok(rows(7001, "drop") >= 2, `blocked port dropped: ${JSON.stringify(last)}`);
  assert.equal(rows(7001, "pass"), 0);
  assert.ok(rows(7000, "pass") >= 2);
  assert.equal(rows(7000, "drop"), 0);
  assert.deepEqual(namespacesOf("tc-classifier", r.pid), []);
});

test("with -i on a test-made interface, neither example leaves anything attached", async (t) => {
  if (!canUseNetns(t) || !requireOracle(t, "bpftool")) return;
  const net = vethPair();
  try {
    for (const [script, extra] of [[XDP_COUNTER, ["-m", "generic"]], [TC_CLASSIFIER, ["--classic", "-p", "9"]], [TC_CLASSIFIER, []]] as const) {
      const r = spawnSync("ip", ["netns", "exec", net.a, process.execPath, script, "-i", "veth0", "-d", "1", "-j", ...extra], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      const [show] = JSON.parse(run("ip", ["netns", "exec", net.a, "bpftool", "-j", "net", "show"])) as Array<{ xdp: unknown[]; tc: unknown[] }>;
      assert.deepEqual([show!.xdp, show!.tc], [[], []], `${script} ${extra.join(" ")}`);
      assert.doesNotMatch(run("ip", ["netns", "exec", net.a, "tc", "qdisc", "show", "dev", "veth0"]), /clsact/);
      assert.deepEqual(inNetns(net.a, () => tcxAttachments("veth0", "ingress").programs), [], "no tcx program left (bpftool 7.1 does not list tcx)");
    }
  } finally {
    net.cleanup();
  }
});
