// XDP and tcx links on a veth pair that lives in network namespaces the test
// creates (never on the machine's own interfaces). The test process enters
// the namespace with setns(2) only around the calls that resolve the ifindex.
import { test } from "node:test";
import assert from "node:assert/strict";
import { linkCreate, linkDetach } from "../../src/sys/link.js";
import { linkInfo, LinkType } from "../../src/sys/link-info.js";
import { progQuery } from "../../src/sys/attach.js";
import { AttachType } from "../../src/program.js";
import { FD, NotFoundError } from "../../src/index.js";
import { counterMap, countingProgram, load, readCounter, ProgramType } from "./sys-attach-helpers.js";
import { canUseNetns, inNetns, sendUdp, vethPair } from "../util/netns.js";

/** Sends UDP datagrams from namespace `b` to veth0's address (ARP and UDP cross the veth). */
function sendAcross(b: string, count: number): void {
  sendUdp(b, "10.99.0.1", count);
}

test("XDP link on a veth in a private netns: info, packets counted, detach", (t) => {
  if (!canUseNetns(t)) return;
  using map = counterMap();
  using prog = load(ProgramType.XDP, countingProgram(map, { retval: 2 /* XDP_PASS */ }), "tsbpf_xdp", AttachType.XDP);
  const net = vethPair();
  let link: FD | undefined;
  try {
    link = inNetns(net.a, () => linkCreate({ progFd: prog.fd, targetIfindex: net.ifindex, attachType: AttachType.XDP }));
    const info = linkInfo(link);
    assert.equal(info.type, LinkType.XDP);
    assert.equal(info.progId, prog.id);
    assert.equal(info.xdp?.ifindex, net.ifindex);

    sendAcross(net.b, 3);
    assert.ok(readCounter(map) >= 3n, `XDP saw ${readCounter(map)} packets`);

    linkDetach(link);
    assert.equal(linkInfo(link).xdp?.ifindex, 0, "a detached XDP link no longer has a device");
    const seen = readCounter(map);
    sendAcross(net.b, 3);
    assert.equal(readCounter(map), seen, "no packets seen after link_detach");
  } finally {
    link?.close();
    net.cleanup();
  }
});

test("tcx ingress link: info, prog_query by ifindex, bad ifindex", (t) => {
  if (!canUseNetns(t)) return;
  using map = counterMap();
  using prog = load(ProgramType.SchedCls, countingProgram(map, { retval: 0 /* TCX_NEXT */ }), "tsbpf_tcx", AttachType.TCXIngress);
  const net = vethPair();
  let link: FD | undefined;
  try {
    link = inNetns(net.a, () => linkCreate({ progFd: prog.fd, targetIfindex: net.ifindex, attachType: AttachType.TCXIngress }));
    const info = linkInfo(link);
    assert.equal(info.type, LinkType.TCX);
    assert.deepEqual(info.tcx, { ifindex: net.ifindex, attachType: AttachType.TCXIngress });
    const q = inNetns(net.a, () => progQuery({ targetIfindex: net.ifindex, attachType: AttachType.TCXIngress }));
    assert.deepEqual(q.progIds, [prog.id]);
    assert.deepEqual(q.linkIds, [info.id]);
    assert.ok(q.revision > 0n);

    sendAcross(net.b, 3);
    assert.ok(readCounter(map) >= 3n, `tcx saw ${readCounter(map)} packets`);

    // An ifindex that does not exist in the namespace.
    assert.throws(
      () => inNetns(net.a, () => linkCreate({ progFd: prog.fd, targetIfindex: 0x7fff_fff0, attachType: AttachType.TCXIngress })),
      NotFoundError,
    );
  } finally {
    link?.close();
    net.cleanup();
  }
});

test("netfilter link (LOCAL_IN, IPv4) inside the private netns", (t) => {
  if (!canUseNetns(t)) return;
  using map = counterMap();
  using prog = load(ProgramType.Netfilter, countingProgram(map, { retval: 1 /* NF_ACCEPT */ }), "tsbpf_nf", AttachType.Netfilter);
  const net = vethPair();
  let link: FD | undefined;
  try {
    // Netfilter hooks belong to the caller's netns: create the link from inside it.
    link = inNetns(net.a, () => linkCreate({
      progFd: prog.fd, attachType: AttachType.Netfilter, netfilter: { pf: 2 /* NFPROTO_IPV4 */, hooknum: 1 /* LOCAL_IN */, priority: -128 },
    }));
    const info = linkInfo(link);
    assert.equal(info.type, LinkType.NETFILTER);
    assert.deepEqual(info.netfilter, { pf: 2, hooknum: 1, priority: -128, flags: 0 });
    sendAcross(net.b, 3);
    assert.ok(readCounter(map) >= 3n, `netfilter saw ${readCounter(map)} packets`);
  } finally {
    link?.close();
    net.cleanup();
  }
});
