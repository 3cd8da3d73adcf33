// `tsbpf net show|attach|detach` inside a network namespace the test makes,
// next to bpftool: `net show` (plain, -j and -p) is byte for byte what
// bpftool prints for XDP and classic tc attachments — bpftool 7.1 has no
// netfilter section, which tsbpf (like upstream bpftool) adds at the end —
// and `net attach` makes attachments that work (packets counted) and that
// outlive the command without a pin; `net detach` removes them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Collection, loadObjectSpec } from "../../src/index.js";
import { attachTc, attachTcx, attachXdp } from "../../src/link/index.js";
import { CLI } from "../util/cli.js";
import { readCounter } from "../sys/sys-attach-helpers.js";
import { canUseNetns, inNetns, run, sendUdp, vethPair, type VethPair } from "../util/netns.js";
import { requireOracle } from "../util/environment.js";

const OBJECT = fileURLToPath(new URL("../../../test/fixtures/net/net.bpf.o", import.meta.url));
const XDP_UDP = 1;
const TC_UDP = 4;


/** `tsbpf …` inside namespace `ns`. */
function tsbpfIn(ns: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("ip", ["netns", "exec", ns, process.execPath, CLI, ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function okIn(ns: string, ...args: string[]): string {
  const r = tsbpfIn(ns, ...args);
  assert.equal(r.status, 0, `tsbpf ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

function bpftoolIn(ns: string, ...args: string[]): string {
  return run("ip", ["netns", "exec", ns, "bpftool", ...args]);
}

/** tsbpf's output without the netfilter section that bpftool 7.1 does not print. */
function withoutNetfilter(out: string, json: boolean): string {
  if (!json) return out.replace(/netfilter:\n(?:\n\t[^\n]*)*\n$/, "");
  return out.replace(/,\s*"netfilter": ?\[[^\]]*\]/, "");
}

function compareShow(net: VethPair, ...extra: string[]): void {
  for (const flags of [[], ["-j"], ["-p"]]) {
    const ours = okIn(net.a, ...flags, "net", "show", ...extra);
    const theirs = bpftoolIn(net.a, ...flags, "net", "show", ...extra);
    assert.equal(withoutNetfilter(ours, flags.length > 0), theirs, `net show ${flags.join(" ")} ${extra.join(" ")}`);
  }
}

test("net show: byte for byte bpftool's, with XDP (generic and driver) and classic tc filters on both hooks", (t) => {
  if (!canUseNetns(t) || !requireOracle(t, "bpftool")) return;
  using coll = Collection.load(loadObjectSpec(OBJECT));
  const net = vethPair();
  try {
    compareShow(net);
    // A second pair inside namespace a: two devices with XDP, one with filters.
    run("ip", ["-n", net.a, "link", "add", "vx0", "type", "veth", "peer", "name", "vx1"]);
    const links = inNetns(net.a, () => [
      attachXdp(coll.program("xdp_count"), { interface: "veth0", mode: "generic" }),
      attachXdp(coll.program("xdp_count_2"), { interface: "vx1", mode: "driver" }),
      attachTc(coll.program("tc_count"), { interface: "veth0", direction: "ingress" }),
      attachTc(coll.program("tc_drop_udp"), { interface: "veth0", direction: "egress", priority: 3 }),
      attachTc(coll.program("tc_tag1"), { interface: "vx0", direction: "ingress", priority: 2, handle: 7 }),
    ]);
    try {
      compareShow(net);
      compareShow(net, "dev", "veth0");
      compareShow(net, "dev", "vx1");
      const plain = okIn(net.a, "net", "list");
      assert.match(plain, new RegExp(`veth0\\(${net.ifindex}\\) clsact/ingress tc_count:\\[${coll.program("tc_count").id}\\] id ${coll.program("tc_count").id}\\n`));
    } finally {
      for (const l of links) l.close();
    }
    compareShow(net);
  } finally {
    net.cleanup();
  }
});

test("net show lists tcx programs in run order, as upstream bpftool does", (t) => {
  if (!canUseNetns(t)) return;
  using coll = Collection.load(loadObjectSpec(OBJECT));
  const net = vethPair();
  try {
    const [p1, p2] = [coll.program("tc_tag1"), coll.program("tc_tag2")];
    inNetns(net.a, () => {
      using l1 = attachTcx(p1, { interface: "veth0", direction: "egress" });
      using l2 = attachTcx(p2, { interface: "veth0", direction: "egress", before: l1 });
      const i = net.ifindex;
      assert.equal(okIn(net.a, "net", "show", "dev", "veth0"),
        `xdp:\n\ntc:\nveth0(${i}) tcx/egress tc_tag2 prog_id ${p2.id} link_id ${l2.id} \nveth0(${i}) tcx/egress tc_tag1 prog_id ${p1.id} link_id ${l1.id} \n\nflow_dissector:\n\nnetfilter:\n\n`);
      assert.deepEqual(JSON.parse(okIn(net.a, "-j", "net", "show", "dev", "veth0"))[0].tc, [
        { devname: "veth0", ifindex: i, kind: "tcx/egress", name: "tc_tag2", prog_id: p2.id, prog_flags: [], link_id: l2.id, link_flags: [] },
        { devname: "veth0", ifindex: i, kind: "tcx/egress", name: "tc_tag1", prog_id: p1.id, prog_flags: [], link_id: l1.id, link_flags: [] },
      ]);
    });
  } finally {
    net.cleanup();
  }
});

test("net attach/detach: XDP through netlink and tcx with PROG_ATTACH work without pins and are removed by detach", (t) => {
  if (!canUseNetns(t) || !requireOracle(t, "bpftool")) return;
  using coll = Collection.load(loadObjectSpec(OBJECT));
  const counters = coll.map("counters");
  const net = vethPair();
  try {
    const xdp = coll.program("xdp_count");
    assert.equal(okIn(net.a, "net", "attach", "xdpgeneric", "id", String(xdp.id), "dev", "veth0"), "");
    assert.match(bpftoolIn(net.a, "net", "show"), new RegExp(`veth0\\(${net.ifindex}\\) generic id ${xdp.id}\\n`));
    sendUdp(net.b, "10.99.0.1", 3);
    assert.ok(readCounter(counters, XDP_UDP) >= 3n, "the attached program runs");

    const busy = tsbpfIn(net.a, "net", "attach", "xdpgeneric", "id", String(coll.program("xdp_count_2").id), "dev", "veth0");
    assert.equal(busy.status, 1);
    assert.match(busy.stderr, /interface veth0 \(ifindex \d+\): xdpgeneric attach failed/);
    assert.equal(okIn(net.a, "-j", "net", "attach", "xdpg", "id", String(coll.program("xdp_count_2").id), "dev", "veth0", "overwrite"), "null\n");
    assert.match(bpftoolIn(net.a, "net", "show"), new RegExp(`generic id ${coll.program("xdp_count_2").id}\\n`));
    okIn(net.a, "net", "detach", "xdpgeneric", "dev", "veth0");
    assert.deepEqual(JSON.parse(bpftoolIn(net.a, "-j", "net", "show"))[0].xdp, []);

    const tc = coll.program("tc_count");
    okIn(net.a, "net", "attach", "tcx_ingress", "id", String(tc.id), "dev", "veth0");
    assert.match(okIn(net.a, "net", "show"), new RegExp(`veth0\\(${net.ifindex}\\) tcx/ingress tc_count prog_id ${tc.id} \\n`), "no link: no link_id");
    sendUdp(net.b, "10.99.0.1", 3);
    assert.ok(readCounter(counters, TC_UDP) >= 3n);
    okIn(net.a, "net", "detach", "tcx_ingress", "dev", "veth0");
    assert.doesNotMatch(okIn(net.a, "net", "show"), /tcx/);
  } finally {
    net.cleanup();
  }
});

test("net: bad input is refused with the interface named and nothing attached", (t) => {
  if (!canUseNetns(t) || !requireOracle(t, "bpftool")) return;
  using coll = Collection.load(loadObjectSpec(OBJECT));
  const net = vethPair();
  try {
    const missing = tsbpfIn(net.a, "net", "attach", "xdp", "id", String(coll.program("xdp_count").id), "dev", "nonesuch0");
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no network interface 'nonesuch0' in this network namespace \[NOT_FOUND\]/);
    const wrong = tsbpfIn(net.a, "net", "attach", "tcx_egress", "id", String(coll.program("xdp_count").id), "dev", "veth0");
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /interface veth0 .*tcx_egress attach failed: program 'xdp_count' .* is a xdp program, not sched_cls/);
    const usage = tsbpfIn(net.a, "net", "attach", "xdpfast", "id", "1", "dev", "veth0");
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /invalid net attach\/detach type: xdpfast/);
    assert.equal(tsbpfIn(net.a, "net", "show", "dev", "nonesuch0").status, 1);
    assert.equal(tsbpfIn(net.a, "net", "detach", "xdp", "dev").status, 2);
    const nothing = JSON.parse(bpftoolIn(net.a, "-j", "net", "show"))[0];
    assert.deepEqual([nothing.xdp, nothing.tc], [[], []]);
  } finally {
    net.cleanup();
  }
});
