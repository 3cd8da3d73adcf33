// tcx (BPF links in a device's ordered ingress/egress list) and classic tc
// (cls_bpf direct-action filters on clsact, through rtnetlink) on a veth pair
// between namespaces the test makes. Packets really pass through the programs
// (counters move; TC_ACT_SHOT really drops: a listener receives nothing),
// before/after ordering shows in the kernel's list and in the order the
// programs ran, and after close nothing stays (`tc filter show`, `tc qdisc
// show`, `bpftool net show`, BPF_PROG_QUERY). Errors name the interface.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Collection, loadObjectSpec, Link, LinkType } from "../../src/index.js";
import {
  attachNetkit, attachTc, attachTcx, netkitAttachments, netkitOfSection, tcOfSection, tcxAttachments, tcxOfSection,
} from "../../src/link/index.js";
import { BusyError, ClosedError, InvalidArgumentError, NotFoundError } from "../../src/sys/errors.js";
import { readCounter } from "../sys/sys-attach-helpers.js";
import { canUseNetns, inNetns, run, sendUdp, vethPair } from "../util/netns.js";
import { kernelHasNetkit, requireOracle, skipFor } from "../util/environment.js";

const OBJECT = fileURLToPath(new URL("../../../test/fixtures/net/net.bpf.o", import.meta.url));
const TC_UDP = 4;
const TC_DROPPED = 5;
const ORDER = 6;


function loadNet(): Collection {
  return Collection.load(loadObjectSpec(OBJECT));
}

function tcShow(ns: string, what: "filter" | "qdisc", ...args: string[]): string {
  return run("ip", ["netns", "exec", ns, "tc", what, "show", "dev", "veth0", ...args]);
}

interface BpftoolTc { devname: string; ifindex: number; kind: string; name?: string; id?: number }

function bpftoolTc(ns: string): BpftoolTc[] {
  const [out] = JSON.parse(run("ip", ["netns", "exec", ns, "bpftool", "-j", "net", "show"])) as Array<{ tc: BpftoolTc[] }>;
  return out!.tc;
}

/**
 * Datagrams a listener on 10.99.0.1:`port` in namespace `ns` receives while
 * `send` runs (it waits half a second after the last for stragglers).
 */
async function received(ns: string, port: number, send: () => void): Promise<number> {
  const script = `const s = require("node:dgram").createSocket("udp4"); let n = 0;
    s.on("message", () => n++); s.bind(${port}, "10.99.0.1", () => console.log("ready"));
    process.stdin.on("data", () => setTimeout(() => { console.log(n); process.exit(0); }, 500));`;
  const child = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", script], { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  await new Promise<void>((resolve) => child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    if (out.includes("ready")) resolve();
  }));
  send();
  child.stdin.write("done\n");
  await new Promise((resolve) => child.on("close", resolve));
  return Number(out.trim().split("\n").pop());
}

test("section names: tcx/tc carry the direction only, netkit the side", () => {
  assert.deepEqual(tcxOfSection("tcx/ingress"), { direction: "ingress" });
  assert.deepEqual(tcxOfSection("tc/egress"), { direction: "egress" });
  assert.deepEqual(tcOfSection("tc"), {});
  assert.deepEqual(tcOfSection("classifier"), {});
  assert.equal(tcOfSection("tc/sideways"), undefined);
  assert.equal(tcxOfSection("xdp"), undefined);
  assert.deepEqual(netkitOfSection("netkit/peer"), { side: "peer" });
  assert.equal(netkitOfSection("netkit"), undefined);
});

test("tcx: packets pass through the program; Link.update swaps it; close leaves nothing", (t) => {
  if (!canUseNetns(t) || !requireOracle(t, "bpftool")) return;
  using coll = loadNet();
  const counters = coll.map("counters");
  const net = vethPair();
  try {
    const link = inNetns(net.a, () => attachTcx(coll.program("tc_count"), { interface: "veth0" })); // direction from SEC("tcx/ingress")
    try {
      assert.equal(link.target, `tcx ingress on interface veth0 (ifindex ${net.ifindex})`);
      const info = link.info();
      assert.equal(info.type, LinkType.TCX);
      assert.equal(info.progId, coll.program("tc_count").id);
      const listed = inNetns(net.a, () => tcxAttachments("veth0", "ingress"));
      assert.deepEqual(listed.programs, [{ programId: coll.program("tc_count").id, linkId: info.id }]);
      sendUdp(net.b, "10.99.0.1", 5);
      assert.ok(readCounter(counters, TC_UDP) >= 5n, `tc_count saw ${readCounter(counters, TC_UDP)} datagrams`);
      link.update(coll.program("tc_tag1"));
      assert.equal(link.info().progId, coll.program("tc_tag1").id);
      const seen = readCounter(counters, TC_UDP);
      sendUdp(net.b, "10.99.0.1", 2, 9998);
      assert.equal(readCounter(counters, TC_UDP), seen, "the swapped-out program no longer runs");
      assert.equal(readCounter(counters, ORDER), 0x1n);
    } finally {
      link.close();
    }
    assert.deepEqual(inNetns(net.a, () => tcxAttachments("veth0", "ingress")).programs, []);
    const ours = new Set([coll.program("tc_count").id, coll.program("tc_tag1").id]);
    assert.ok(!Link.list().some((l) => l.type === LinkType.TCX && ours.has(l.progId)), "no tcx link of ours is left");
    assert.equal(tcShow(net.a, "filter", "ingress"), "");
  } finally {
    net.cleanup();
  }
});

test("tcx ordering: before/after a program or link, by object or id, and the expected revision", (t) => {
  if (!canUseNetns(t)) return;
  using coll = loadNet();
  const counters = coll.map("counters");
  const [p1, p2, p3, pc] = [coll.program("tc_tag1"), coll.program("tc_tag2"), coll.program("tc_tag3"), coll.program("tc_count")];
  const net = vethPair();
  const links: Link[] = [];
  try {
    inNetns(net.a, () => {
      const l1 = attachTcx(p1, { interface: "veth0", direction: "ingress" });
      links.push(l1);
      links.push(attachTcx(p2, { interface: "veth0", before: l1 })); // 2 1
      links.push(attachTcx(p3, { interface: net.ifindex, after: { programId: p2.id } })); // 2 3 1
      const { revision } = tcxAttachments("veth0", "ingress");
      assert.throws(() => attachTcx(pc, { interface: "veth0", before: "all", expectedRevision: revision - 1n }),
        (e) => e instanceof BusyError && /veth0/.test(e.message) && /revision/.test(e.message));
      links.push(attachTcx(pc, { interface: "veth0", before: "all", expectedRevision: revision })); // c 2 3 1
      links.push(attachTcx(coll.program("tc_drop_udp"), { interface: "veth0", after: p1 })); // c 2 3 1 d (by program object)
      assert.throws(() => attachTcx(p1, { interface: "veth0" }), (e) => e instanceof BusyError && /already attached/.test(e.message));
      assert.throws(() => attachTcx(pc, { interface: "veth0", direction: "egress", after: { linkId: l1.id } }),
        (e) => e instanceof NotFoundError && /egress/.test(e.message) && /veth0/.test(e.message));
    });
    const order = inNetns(net.a, () => tcxAttachments("veth0", "ingress")).programs.map((p) => p.programId);
    assert.deepEqual(order, [pc.id, p2.id, p3.id, p1.id, coll.program("tc_drop_udp").id], "the kernel's list has the asked-for order");
    sendUdp(net.b, "10.99.0.1", 2, 9998);
    assert.equal(readCounter(counters, ORDER), 0x231n, "the programs ran in that order (tags 2, 3, 1)");
  } finally {
    for (const l of links) l.close();
    assert.deepEqual(inNetns(net.a, () => tcxAttachments("veth0", "ingress")).programs, []);
    net.cleanup();
  }
});

test("classic tc: a cls_bpf filter really drops (TC_ACT_SHOT); shown by tc and bpftool; close removes filter and the qdisc it made", async (t) => {
  if (!canUseNetns(t) || !requireOracle(t, "bpftool")) return;
  using coll = loadNet();
  const counters = coll.map("counters");
  const drop = coll.program("tc_drop_udp");
  const net = vethPair();
  try {
    assert.equal(await received(net.a, 9999, () => sendUdp(net.b, "10.99.0.1", 3, 9999)), 3, "without the filter the datagrams arrive");
    const link = inNetns(net.a, () => attachTc(drop, { interface: "veth0", priority: 7, handle: 3 }));
    try {
      assert.equal(link.isBpfLink, false);
      assert.equal(link.target, `tc ingress on interface veth0 (ifindex ${net.ifindex}), priority 7 handle 0x3`);
      assert.match(tcShow(net.a, "qdisc"), /qdisc clsact ffff: parent ffff:fff1/);
      const filters = tcShow(net.a, "filter", "ingress");
      assert.match(filters, new RegExp(`pref 7 bpf chain 0 handle 0x3 tc_drop_udp:\\[${drop.id}\\] direct-action not_in_hw id ${drop.id} name tc_drop_udp tag ${drop.tag}`));
      assert.deepEqual(bpftoolTc(net.a), [{ devname: "veth0", ifindex: net.ifindex, kind: "clsact/ingress", name: `tc_drop_udp:[${drop.id}]`, id: drop.id }]);
      assert.equal(await received(net.a, 9999, () => sendUdp(net.b, "10.99.0.1", 4, 9999)), 0, "TC_ACT_SHOT dropped every datagram");
      assert.equal(readCounter(counters, TC_DROPPED), 4n);

      link.update(coll.program("tc_count"));
      assert.deepEqual(bpftoolTc(net.a).map((e) => e.id), [coll.program("tc_count").id], "the same filter runs the new program");
      assert.match(tcShow(net.a, "filter", "ingress"), /pref 7 bpf chain 0 handle 0x3 tc_count/);
      assert.equal(await received(net.a, 9999, () => sendUdp(net.b, "10.99.0.1", 2, 9999)), 2);
      assert.ok(readCounter(counters, TC_UDP) >= 2n);
    } finally {
      link.close(); // from the host namespace: the link's socket acts in the test namespace
    }
    assert.equal(tcShow(net.a, "filter", "ingress"), "");
    assert.doesNotMatch(tcShow(net.a, "qdisc"), /clsact/, "the clsact qdisc the attach made is gone");
    assert.deepEqual(bpftoolTc(net.a), []);

    // A clsact that was there before stays; kernel-chosen priority/handle are reported.
    run("ip", ["netns", "exec", net.a, "tc", "qdisc", "add", "dev", "veth0", "clsact"]);
    const auto = inNetns(net.a, () => attachTcx(drop, { interface: "veth0", direction: "egress", method: "netlink" }));
    assert.match(auto.target, /^tc egress on interface veth0 \(ifindex \d+\), priority 49152 handle 0x1$/);
    auto.close();
    assert.equal(tcShow(net.a, "filter", "egress"), "");
    assert.match(tcShow(net.a, "qdisc"), /qdisc clsact/, "a clsact someone else made stays");
  } finally {
    net.cleanup();
  }
});

test("tc/tcx errors name the interface and leave nothing behind", (t) => {
  if (!canUseNetns(t)) return;
  using coll = loadNet();
  const net = vethPair();
  try {
    const fds = readdirSync("/proc/self/fd").length;
    inNetns(net.a, () => {
      for (const attach of [attachTc, attachTcx]) {
        assert.throws(() => attach(coll.program("tc_count"), { interface: "tsbpf-nonesuch" }),
          (e) => e instanceof NotFoundError && /'tsbpf-nonesuch'/.test(e.message), attach.name);
        assert.throws(() => attach(coll.program("xdp_count"), { interface: "veth0", direction: "ingress" }),
          (e) => e instanceof InvalidArgumentError && /'veth0'/.test(e.message) && /xdp program/.test(e.message), attach.name);
        assert.throws(() => attach(coll.program("tc_count"), { interface: "veth0", direction: "sideways" as never }), InvalidArgumentError);
      }
      assert.throws(() => attachTc(coll.program("tc_count"), { interface: "veth0", priority: 0x10000 }), InvalidArgumentError);
      using first = attachTc(coll.program("tc_count"), { interface: "veth0", priority: 5, handle: 1 });
      assert.throws(() => attachTc(coll.program("tc_drop_udp"), { interface: "veth0", direction: "ingress", priority: 5, handle: 1 }),
        (e) => e instanceof BusyError && /veth0/.test(e.message) && /priority 5/.test(e.message));
      assert.ok(!first.closed);
    });
    assert.equal(tcShow(net.a, "filter", "ingress"), "");
    assert.equal(readdirSync("/proc/self/fd").length, fds, "no fd left open by the failed attaches");
    assert.doesNotMatch(tcShow(net.a, "qdisc"), /clsact/);

    const closed = loadNet();
    const prog = closed.program("tc_count");
    closed.close();
    inNetns(net.a, () => {
      for (const attach of [attachTc, attachTcx]) {
        assert.throws(() => attach(prog, { interface: "veth0" }), (e) => e instanceof ClosedError && /'veth0'/.test(e.message), attach.name);
      }
    });
    assert.doesNotMatch(tcShow(net.a, "qdisc"), /clsact/);
  } finally {
    net.cleanup();
  }
});

test("netkit: programs on both sides of a netkit pair, in order; a device that is not netkit is refused", (t) => {
  if (!canUseNetns(t)) return;
  using coll = loadNet();
  const net = vethPair();
  try {
    inNetns(net.a, () => {
      assert.throws(() => attachNetkit(coll.program("tc_count"), { interface: "veth0", side: "primary" }),
        (e) => e instanceof InvalidArgumentError && /netkit primary on interface veth0/.test(e.message));
      assert.throws(() => attachNetkit(coll.program("tc_count"), { interface: "veth0" }), (e) => e instanceof InvalidArgumentError && /side/.test(e.message));
    });
    if (!kernelHasNetkit()) return skipFor(t, "no netkit", "a netkit pair cannot be made on this kernel");
    // iproute2 6.7+ makes netkit pairs; an older one is a missing tool.
    if (spawnSync("ip", ["-n", net.a, "link", "add", "nk0", "type", "netkit", "peer", "name", "nk1"]).status !== 0) {
      return void requireOracle(t, "iproute2", "iproute2 6.7+ (ip link add … type netkit)") ;
    }
    inNetns(net.a, () => {
      using l1 = attachNetkit(coll.program("tc_tag1"), { interface: "nk0", side: "primary" });
      using l2 = attachNetkit(coll.program("tc_tag2"), { interface: "nk0", side: "primary", before: l1 });
      assert.deepEqual(netkitAttachments("nk0", "primary").programs.map((p) => p.linkId), [l2.id, l1.id]);
    });
    assert.deepEqual(inNetns(net.a, () => netkitAttachments("nk0", "primary")).programs, []);
  } finally {
    net.cleanup();
  }
});
