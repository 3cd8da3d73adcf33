// attachNetns (sk_lookup, flow_dissector) and attachNetfilter, each run
// inside a network namespace the test creates (test/link/link-netns-child.ts
// under `ip netns exec`): sk_lookup steers connections for port 7007 to a
// server listening on 8008, the flow dissector counts the packets it
// dissects on a loopback with RPS on, netfilter counts input packets; after
// close the traffic goes back to normal and bpftool lists nothing. Bad input
// (checked here, in the machine's namespace, where nothing gets attached)
// gets typed errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { statSync } from "node:fs";
import { loadObjectSpec } from "../../src/object/index.js";
import { Collection } from "../../src/collection.js";
import { AttachType } from "../../src/program.js";
import { ClosedError, InvalidArgumentError, NotFoundError } from "../../src/sys/errors.js";
import { attachNetfilter, attachNetns, netfilterOfSection, netnsOfSection, NetfilterFamily, NetfilterHook } from "../../src/link/index.js";
import { requireOracle } from "../util/environment.js";
import { runInNetns, withNetns } from "../util/netns.js";
import { bpftool } from "../util/cli.js";
import { FD } from "../../src/sys/fd.js";
import { LinkType } from "../../src/sys/link-info.js";

const CHILD = fileURLToPath(new URL("./link-netns-child.js", import.meta.url));
const NETNS_OBJECT = fileURLToPath(new URL("../../../test/fixtures/cgroup-sock/netns.bpf.o", import.meta.url));
const CGROUP_OBJECT = fileURLToPath(new URL("../../../test/fixtures/cgroup-sock/cgroup.bpf.o", import.meta.url));

/** Netns links on the machine's own network namespace (bpftool lists the links of every namespace). */
function hostNetnsLinks(): number[] {
  const hostIno = statSync("/proc/self/ns/net").ino;
  return (JSON.parse(bpftool("-j", "link", "show")) as { id: number; type: string; netns_ino?: number }[])
    .filter((l) => l.type === "netns" && l.netns_ino === hostIno).map((l) => l.id);
}

test("netnsOfSection and netfilterOfSection", () => {
  assert.equal(netnsOfSection("sk_lookup"), AttachType.SkLookup);
  assert.equal(netnsOfSection("flow_dissector"), AttachType.FlowDissector);
  assert.equal(netnsOfSection("netfilter"), undefined);
  assert.equal(netnsOfSection("cgroup/connect4"), undefined);
  assert.equal(netfilterOfSection("netfilter"), AttachType.Netfilter);
  assert.equal(netfilterOfSection("sk_lookup"), undefined);
});

test("sk_lookup steers a connection to the chosen socket in a netns; close restores normal lookup", (t) => {
  if (!requireOracle(t, "bpftool") || !requireOracle(t, "iproute2")) return;
  withNetns((ns) => {
    const r = runInNetns<{ before: string; during: string; after: string; steered: number; netnsIno: number; linkType: number; linkId: number; shown: number[]; afterShown: number[]; target: string }>(ns, CHILD, "sk_lookup");
    assert.equal(r.before, "ECONNREFUSED");
    assert.equal(r.during, "steered");
    assert.equal(r.after, "ECONNREFUSED");
    assert.equal(r.steered, 1);
    assert.ok(r.netnsIno > 0);
    assert.equal(r.target, "sk_lookup on this process's netns");
    assert.equal(r.linkType, LinkType.NETNS);
    assert.ok(r.shown.includes(r.linkId), `bpftool link show lists the netns link ${r.linkId}`);
    assert.ok(!r.afterShown.includes(r.linkId));
  });
  assert.deepEqual(hostNetnsLinks(), [], "nothing attached to the machine's namespace");
});

for (const scenario of ["flow_dissector", "flow_dissector_attach"]) {
  test(`a flow dissector (${scenario === "flow_dissector" ? "netns link" : "PROG_ATTACH"}) runs for packets of its netns; close detaches`, (t) => {
    if (!requireOracle(t, "bpftool") || !requireOracle(t, "iproute2")) return;
    withNetns((ns) => {
      const r = runInNetns<{ during: number; after: number; progId: number; shown: number[]; afterShown: number[] }>(ns, CHILD, scenario);
      assert.ok(r.during >= 5, `the flow dissector ran ${r.during} times for 5 datagrams`);
      assert.equal(r.after, r.during, "it stopped running after close");
      assert.deepEqual(r.shown, [r.progId]);
      assert.deepEqual(r.afterShown, []);
    });
    assert.ok(!bpftool("net", "show").includes("count_dissections"));
  });
}

test("a netfilter program counts the packets of its netns's input hook; close detaches", (t) => {
  if (!requireOracle(t, "bpftool") || !requireOracle(t, "iproute2")) return;
  withNetns((ns) => {
    const r = runInNetns<{ during: number; after: number; target: string; hook: { pf: number; hooknum: number; priority: number; flags: number }; linkId: number; shown: number[]; afterShown: number[] }>(ns, CHILD, "netfilter");
    assert.ok(r.during >= 4, `netfilter counted ${r.during} packets for 4 datagrams`);
    assert.equal(r.after, r.during);
    assert.equal(r.target, "netfilter ipv4 input priority -100");
    assert.deepEqual([r.hook.pf, r.hook.hooknum, r.hook.priority], [NetfilterFamily.IPv4, NetfilterHook.LocalIn, -100]);
    assert.ok(r.shown.includes(r.linkId), "bpftool link show lists the netfilter link");
    assert.ok(!r.afterShown.includes(r.linkId));
  });
});

test("bad input: wrong program type, closed program, missing or wrong netns, bad hook — nothing attached", () => {
  using c = Collection.load(loadObjectSpec(NETNS_OBJECT));
  using cg = Collection.load(loadObjectSpec(CGROUP_OBJECT));
  const fds = FD.openCount;
  const lookup = c.program("steer_port");
  assert.throws(() => attachNetns(cg.program("count_egress")), (e: unknown) => e instanceof InvalidArgumentError && /sk_lookup or flow_dissector/.test(e.message));
  assert.throws(() => attachNetns(lookup, { netns: "/var/run/netns/tsbpf-none" }), (e: unknown) => e instanceof NotFoundError && e.message.includes("/var/run/netns/tsbpf-none"));
  assert.throws(() => attachNetns(lookup, { netns: "/etc/hostname" }), (e: unknown) => e instanceof InvalidArgumentError && e.message.includes("/etc/hostname"));
  assert.throws(() => attachNetns(lookup, { method: "attach" }), InvalidArgumentError);
  assert.throws(() => attachNetns(c.program("count_dissections"), { method: "attach", netns: "/proc/self/ns/net" }), InvalidArgumentError);
  const nf = c.program("count_netfilter");
  assert.throws(() => attachNetfilter(nf, { family: 7, hook: 1, priority: 0 }), (e: unknown) => e instanceof InvalidArgumentError && /family/.test(e.message));
  assert.throws(() => attachNetfilter(nf, { family: NetfilterFamily.IPv4, hook: 9, priority: 0 }), /hook/);
  assert.throws(() => attachNetfilter(nf, { family: NetfilterFamily.IPv4, hook: 1, priority: 2 ** 31 - 1 }), /priority/);
  assert.throws(() => attachNetfilter(lookup, { family: NetfilterFamily.IPv4, hook: 1, priority: 0 }), (e: unknown) => e instanceof InvalidArgumentError && /netfilter ipv4 input/.test(e.message));
  const closed = c.takeProgram("count_dissections");
  closed.close();
  assert.throws(() => attachNetns(closed), ClosedError);
  assert.equal(FD.openCount, fds - 1, "no fd left open (one fewer: the program the test closed)");
  assert.deepEqual(hostNetnsLinks(), []);
});
