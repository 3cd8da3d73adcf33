// attachXdp on a veth pair between two namespaces the test makes: frames
// really pass through the program (a counter moves, XDP_DROP really drops),
// Link.update swaps programs, and after close nothing is attached
// (`bpftool net show` inside the namespace, the kernel's link list).
// Errors name the interface and leave nothing behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Collection, loadObjectSpec, Link, LinkType } from "../../src/index.js";
import { attachXdp, xdpOfSection } from "../../src/link/index.js";
import { BusyError, ClosedError, InvalidArgumentError, NotFoundError } from "../../src/sys/errors.js";
import { readCounter } from "../sys/sys-attach-helpers.js";
import { canUseNetns, inNetns, run, sendUdp, vethPair } from "../util/netns.js";
import { requireOracle } from "../util/environment.js";

const OBJECT = fileURLToPath(new URL("../../../test/fixtures/net/net.bpf.o", import.meta.url));

/** Indexes of `counters` in net.bpf.c. */
const XDP_SEEN = 0;
const XDP_UDP = 1;
const XDP_DROPPED = 2;
const XDP_SEEN_2 = 7;


function loadNet(): Collection {
  return Collection.load(loadObjectSpec(OBJECT));
}

/** `bpftool net show` (JSON) inside a namespace: its xdp entries. */
function bpftoolXdp(ns: string): Array<{ devname: string; ifindex: number; mode?: string; id?: number }> {
  const [out] = JSON.parse(run("ip", ["netns", "exec", ns, "bpftool", "-j", "net", "show"])) as Array<{ xdp: Array<{ devname: string; ifindex: number; mode?: string; id?: number }> }>;
  return out!.xdp;
}

test("xdpOfSection: libbpf's xdp sections name no device", () => {
  assert.deepEqual(xdpOfSection("xdp"), { frags: false });
  assert.deepEqual(xdpOfSection("xdp.frags"), { frags: true });
  assert.equal(xdpOfSection("xdp/devmap"), undefined);
  assert.equal(xdpOfSection("tc"), undefined);
});

for (const mode of ["generic", "driver"] as const) {
  test(`XDP link (${mode} mode) counts frames over a veth, drops UDP with XDP_DROP, detaches on close`, (t) => {
    if (!canUseNetns(t) || !requireOracle(t, "bpftool")) return;
    using coll = loadNet();
    const counters = coll.map("counters");
    const net = vethPair();
    try {
      const link = inNetns(net.a, () => attachXdp(coll.program("xdp_count"), { interface: "veth0", mode }));
      try {
        assert.equal(link.isBpfLink, true);
        assert.equal(link.target, `xdp on interface veth0 (ifindex ${net.ifindex}), ${mode} mode`);
        const info = link.info();
        assert.equal(info.type, LinkType.XDP);
        assert.equal(info.progId, coll.program("xdp_count").id);
        assert.equal(info.xdp?.ifindex, net.ifindex);
        assert.deepEqual(bpftoolXdp(net.a), [{ devname: "veth0", ifindex: net.ifindex, mode, id: coll.program("xdp_count").id }]);
        sendUdp(net.b, "10.99.0.1", 5);
        assert.ok(readCounter(counters, XDP_UDP) >= 5n, `xdp_count saw ${readCounter(counters, XDP_UDP)} UDP datagrams`);
        assert.ok(readCounter(counters, XDP_SEEN) >= readCounter(counters, XDP_UDP));

        // Link.update swaps atomically: the second program now sees the frames.
        link.update(coll.program("xdp_count_2"));
        assert.equal(link.info().progId, coll.program("xdp_count_2").id);
        const before = readCounter(counters, XDP_SEEN);
        sendUdp(net.b, "10.99.0.1", 3);
        assert.ok(readCounter(counters, XDP_SEEN_2) >= 3n);
        assert.equal(readCounter(counters, XDP_SEEN), before, "the replaced program runs no more");
        link.update(coll.program("xdp_drop_udp"));
        sendUdp(net.b, "10.99.0.1", 4, 9999);
        assert.equal(readCounter(counters, XDP_DROPPED), 4n, "every datagram to the drop port was dropped by XDP_DROP");
      } finally {
        link.close();
      }
      assert.deepEqual(bpftoolXdp(net.a), [], "bpftool net show lists no XDP program after close");
      const ours = new Set(["xdp_count", "xdp_count_2", "xdp_drop_udp"].map((n) => coll.program(n).id));
      assert.ok(!Link.list().some((l) => l.type === LinkType.XDP && ours.has(l.progId)), "no XDP link of ours is left");
      const seen = readCounter(counters, XDP_SEEN_2);
      sendUdp(net.b, "10.99.0.1", 3);
      assert.equal(readCounter(counters, XDP_SEEN_2), seen);
    } finally {
      net.cleanup();
    }
  });
}

test("XDP through netlink (IFLA_XDP): counts, swaps, and is removed by close", (t) => {
  if (!canUseNetns(t) || !requireOracle(t, "bpftool")) return;
  using coll = loadNet();
  const counters = coll.map("counters");
  const net = vethPair();
  try {
    const link = inNetns(net.a, () => attachXdp(coll.program("xdp_count"), { interface: net.ifindex, mode: "generic", method: "netlink" }));
    try {
      assert.equal(link.isBpfLink, false);
      assert.deepEqual(bpftoolXdp(net.a), [{ devname: "veth0", ifindex: net.ifindex, mode: "generic", id: coll.program("xdp_count").id }]);
      sendUdp(net.b, "10.99.0.1", 3);
      assert.ok(readCounter(counters, XDP_UDP) >= 3n);
      link.update(coll.program("xdp_count_2"));
      assert.deepEqual(bpftoolXdp(net.a).map((e) => e.id), [coll.program("xdp_count_2").id]);
      assert.throws(() => link.update(coll.program("xdp_count"), { oldProgram: coll.program("xdp_count") }), InvalidArgumentError);
    } finally {
      link.close(); // from the host namespace: the link's own socket removes it in the test namespace
    }
    assert.deepEqual(bpftoolXdp(net.a), []);
  } finally {
    net.cleanup();
  }
});

test("XDP errors name the interface and leave nothing attached", (t) => {
  if (!canUseNetns(t) || !requireOracle(t, "bpftool")) return;
  using coll = loadNet();
  const net = vethPair();
  try {
    const fds = readdirSync("/proc/self/fd").length;
    inNetns(net.a, () => {
      assert.throws(() => attachXdp(coll.program("xdp_count"), { interface: "tsbpf-nonesuch" }),
        (e) => e instanceof NotFoundError && /'tsbpf-nonesuch'/.test(e.message));
      assert.throws(() => attachXdp(coll.program("xdp_count"), { interface: 0x7fff_fff0 }),
        (e) => e instanceof NotFoundError && /ifindex 2147483632/.test(e.message));
      assert.throws(() => attachXdp(coll.program("tc_count"), { interface: "veth0" }),
        (e) => e instanceof InvalidArgumentError && /'veth0'/.test(e.message) && /sched_cls/.test(e.message));
      assert.throws(() => attachXdp(coll.program("xdp_count"), { interface: "veth0", mode: "turbo" as never }), InvalidArgumentError);
      assert.throws(() => attachXdp(coll.program("xdp_count"), { interface: "bad/name" }), InvalidArgumentError);

      using first = attachXdp(coll.program("xdp_count"), { interface: "veth0" });
      for (const method of ["link", "netlink"] as const) {
        assert.throws(() => attachXdp(coll.program("xdp_count_2"), { interface: "veth0", method }),
          (e) => e instanceof BusyError && /veth0/.test(e.message) && new RegExp(`program id ${coll.program("xdp_count").id}`).test(e.message),
          `already attached (${method})`);
      }
      assert.equal(first.info().progId, coll.program("xdp_count").id, "the first attachment is untouched");
    });
    assert.deepEqual(bpftoolXdp(net.a), []);
    assert.equal(readdirSync("/proc/self/fd").length, fds, "no fd left open by the failed attaches");

    const closed = loadNet();
    const prog = closed.program("xdp_count");
    closed.close();
    inNetns(net.a, () => assert.throws(() => attachXdp(prog, { interface: "veth0" }), (e) => e instanceof ClosedError && /'veth0'/.test(e.message)));
    assert.deepEqual(bpftoolXdp(net.a), []);
  } finally {
    net.cleanup();
  }
});
