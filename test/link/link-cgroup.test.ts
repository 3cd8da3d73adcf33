// attachCgroup on the real kernel, in a child cgroup the test creates: a
// cgroup_skb egress counter moves for the datagrams of a child process in
// that cgroup, a cgroup/connect4 program refuses a connect, and the
// PROG_ATTACH fallback (multi, override, exclusive, BPF_F_REPLACE) does the
// same. After close `bpftool cgroup show` lists nothing and no link stays.
// Bad input gets typed errors naming the target and leaves nothing behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { openSync } from "node:fs";
import { FD } from "../../src/sys/fd.js";
import { loadObjectSpec } from "../../src/object/index.js";
import { Collection } from "../../src/collection.js";
import { AttachType, Program, ProgramType } from "../../src/program.js";
import { ClosedError, InvalidArgumentError, NotFoundError } from "../../src/sys/errors.js";
import { LinkType } from "../../src/sys/link-info.js";
import { attachCgroup, cgroupOfSection, Link } from "../../src/link/index.js";
import { skipFor, requireOracle, type Skippable } from "../util/environment.js";
import { bpftool } from "../util/cli.js";
import { openFdCount } from "../util/kernel.js";
import { haveCgroup2, makeChildCgroup, runInCgroup, sendUdpScript, CGROUP2 } from "../util/cgroup.js";

const OBJECT = fileURLToPath(new URL("../../../test/fixtures/cgroup-sock/cgroup.bpf.o", import.meta.url));

interface CgroupShowEntry { id: number; attach_type: string; attach_flags: string; name: string }

function cgroupShow(path: string): CgroupShowEntry[] {
  // bpftool prints nothing at all (not []) for a cgroup without programs.
  const out = bpftool("-j", "cgroup", "show", path);
  return out.trim() === "" ? [] : JSON.parse(out) as CgroupShowEntry[];
}

function linkIdsOf(progId: number): number[] {
  return (JSON.parse(bpftool("-j", "link", "show")) as { id: number; prog_id: number }[]).filter((l) => l.prog_id === progId).map((l) => l.id);
}

/** A child script that connects to 127.0.0.1:`port` and prints the error code, or "connected". */
function connectScript(port: number): string {
  return `
    const c = require("node:net").connect(${port}, "127.0.0.1");
    c.on("connect", () => { console.log("connected"); c.destroy(); });
    c.on("error", (e) => console.log(e.code));`;
}

function withCgroupAndObject(t: Skippable, body: (cg: { path: string }, c: Collection) => void): void {
  if (!haveCgroup2()) return skipFor(t, "no cgroup v2", CGROUP2);
  if (!requireOracle(t, "bpftool")) return;
  const cg = makeChildCgroup();
  try {
    using c = Collection.load(loadObjectSpec(OBJECT));
    body(cg, c);
  } finally {
    cg.remove();
  }
}

test("cgroupOfSection: the attach type a SEC() name implies", () => {
  assert.equal(cgroupOfSection("cgroup_skb/egress"), AttachType.CgroupInetEgress);
  assert.equal(cgroupOfSection("cgroup/connect4"), AttachType.CgroupInet4Connect);
  assert.equal(cgroupOfSection("cgroup/sendmsg_unix"), AttachType.CgroupUnixSendmsg);
  assert.equal(cgroupOfSection("cgroup/sock"), AttachType.CgroupInetSockCreate);
  assert.equal(cgroupOfSection("cgroup/getsockopt"), AttachType.CgroupGetsockopt);
  assert.equal(cgroupOfSection("cgroup/dev"), AttachType.CgroupDevice);
  assert.equal(cgroupOfSection("sockops"), AttachType.CgroupSockOps);
  assert.equal(cgroupOfSection("?cgroup/sysctl"), AttachType.CgroupSysctl);
  assert.equal(cgroupOfSection("cgroup_skb/ingress"), AttachType.CgroupInetIngress);
  assert.equal(cgroupOfSection("cgroup/skb"), undefined);
  assert.equal(cgroupOfSection("xdp"), undefined);
  assert.equal(cgroupOfSection("sk_lookup"), undefined);
  assert.equal(cgroupOfSection(""), undefined);
});

test("a cgroup link counts the egress packets of a process in the cgroup; update swaps the program; close detaches", (t) => {
  withCgroupAndObject(t, (cg, c) => {
    const egress = c.program("count_egress");
    const counter = c.variable("egress_packets");
    const link = attachCgroup(egress, { cgroup: cg.path });
    try {
      assert.equal(link.isBpfLink, true);
      assert.equal(link.target, `cgroup_inet_egress on cgroup ${cg.path}`);
      const info = link.info();
      assert.equal(info.type, LinkType.CGROUP);
      assert.equal(info.cgroup?.attachType, AttachType.CgroupInetEgress);
      assert.deepEqual(cgroupShow(cg.path).map((e) => [e.id, e.attach_type]), [[egress.id, "cgroup_inet_egress"]]);

      runInCgroup(cg.path, sendUdpScript(5));
      const afterFive = counter.getBigInt();
      assert.ok(afterFive >= 5n, `count_egress counted ${afterFive} packets for 5 datagrams`);

      link.update(c.program("count_egress_too"));
      runInCgroup(cg.path, sendUdpScript(2));
      const afterSwap = counter.getBigInt() - afterFive;
      assert.ok(afterSwap >= 200n && afterSwap % 100n === 0n, `count_egress_too added ${afterSwap}`);
    } finally {
      link.close();
    }
    assert.deepEqual(cgroupShow(cg.path), []);
    assert.deepEqual(linkIdsOf(egress.id), []);
    const before = counter.getBigInt();
    runInCgroup(cg.path, sendUdpScript(3));
    assert.equal(counter.getBigInt(), before, "nothing counts after close");
  });
});

test("a cgroup/connect4 program refuses connections to the blocked port from the cgroup", (t) => {
  withCgroupAndObject(t, (cg, c) => {
    c.variable("blocked_port").set(9);
    {
      using link = attachCgroup(c.program("refuse_connect4"), { cgroup: cg.path });
      assert.equal(link.target, `cgroup_inet4_connect on cgroup ${cg.path}`);
      assert.equal(runInCgroup(cg.path, connectScript(9)).trim(), "EPERM");
      // Another port is not refused by the program (nothing listens there, so the kernel says so).
      assert.equal(runInCgroup(cg.path, connectScript(10)).trim(), "ECONNREFUSED");
      assert.ok(c.variable("connects_seen").getBigInt() >= 2n);
    }
    assert.deepEqual(cgroupShow(cg.path), []);
    assert.equal(runInCgroup(cg.path, connectScript(9)).trim(), "ECONNREFUSED");
  });
});

test("PROG_ATTACH: two multi programs both run; BPF_F_REPLACE update; detach on close", (t) => {
  withCgroupAndObject(t, (cg, c) => {
    const first = c.program("count_egress");
    const second = c.program("count_egress_too");
    const counter = c.variable("egress_packets");
    const a = attachCgroup(first, { cgroup: cg.path, method: "attach" });
    try {
      assert.equal(a.isBpfLink, false);
      assert.throws(() => a.info(), InvalidArgumentError);
      using b = attachCgroup(second, { cgroup: cg.path, method: "attach", mode: "multi" });
      const shown = cgroupShow(cg.path);
      assert.deepEqual(shown.map((e) => [e.id, e.attach_flags]), [[first.id, "multi"], [second.id, "multi"]]);
      runInCgroup(cg.path, sendUdpScript(1));
      const both = counter.getBigInt();
      assert.ok(both >= 101n && both % 100n !== 0n, `both programs ran: ${both}`);
      b.close();
      assert.deepEqual(cgroupShow(cg.path).map((e) => e.id), [first.id]);

      // Update through BPF_F_REPLACE: the second program takes the first's place.
      a.update(second);
      assert.deepEqual(cgroupShow(cg.path).map((e) => e.id), [second.id]);
    } finally {
      a.close();
    }
    assert.deepEqual(cgroupShow(cg.path), []);
  });
});

test("PROG_ATTACH override and exclusive modes; override lets a sub-cgroup replace the program", (t) => {
  withCgroupAndObject(t, (cg, c) => {
    const prog = c.program("count_sock_create");
    const created = c.variable("sockets_created");
    {
      using link = attachCgroup(prog, { cgroup: cg.path, mode: "override" });
      assert.equal(link.isBpfLink, false);
      assert.deepEqual(cgroupShow(cg.path).map((e) => [e.attach_type, e.attach_flags]), [["cgroup_inet_sock_create", "override"]]);
      runInCgroup(cg.path, sendUdpScript(1));
      assert.ok(created.getBigInt() >= 1n, "sock_create ran for the child's socket");
    }
    assert.deepEqual(cgroupShow(cg.path), []);
    {
      using link = attachCgroup(prog, { cgroup: cg.path, mode: "exclusive" });
      assert.deepEqual(cgroupShow(cg.path).map((e) => e.attach_flags), [""]);
      // Exclusive: a second program cannot join, and the failure changes nothing.
      assert.throws(() => attachCgroup(prog, { cgroup: cg.path, method: "attach" }), /cgroup_inet_sock_create/);
      assert.equal(cgroupShow(cg.path).length, 1);
      link.detach();
      assert.deepEqual(cgroupShow(cg.path), []);
    }
  });
});

test("bad input: typed errors that name the target, and nothing attached or left open", (t) => {
  withCgroupAndObject(t, (cg, c) => {
    const fds = openFdCount();
    const egress = c.program("count_egress");
    const missing = `${CGROUP2}/tsbpf-no-such-cgroup-${process.pid}`;
    assert.throws(() => attachCgroup(egress, { cgroup: missing }), (e: unknown) => e instanceof NotFoundError && e.message.includes(missing));
    assert.throws(() => attachCgroup(egress, { cgroup: "/tmp" }), (e: unknown) => e instanceof InvalidArgumentError && e.message.includes("/tmp") && /cgroup v2/.test(e.message));
    assert.throws(() => attachCgroup(egress, { cgroup: "/etc/hostname" }), (e: unknown) => e instanceof InvalidArgumentError && e.message.includes("not a directory"));
    // A cgroup_skb program on a sock_addr hook.
    assert.throws(
      () => attachCgroup(egress, { cgroup: cg.path, attachType: AttachType.CgroupInet4Connect }),
      (e: unknown) => e instanceof InvalidArgumentError && e.message.includes("cgroup_inet4_connect") && e.message.includes("count_egress"),
    );
    assert.throws(() => attachCgroup(egress, { cgroup: cg.path, attachType: AttachType.XDP }), InvalidArgumentError);
    assert.throws(() => attachCgroup(egress, { cgroup: cg.path, method: "link", mode: "override" }), InvalidArgumentError);
    // A program of a non-cgroup type.
    using filter = Program.load({ type: ProgramType.SocketFilter, instructions: new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]), license: "GPL", name: "not_cgroup" });
    assert.throws(() => attachCgroup(filter, { cgroup: cg.path, attachType: AttachType.CgroupInetEgress }), (e: unknown) => e instanceof InvalidArgumentError && e.message.includes(cg.path));
    // A program without a SEC() name and no attach type.
    assert.throws(() => attachCgroup(filter, { cgroup: cg.path }), InvalidArgumentError);
    // A closed program.
    const closed = c.takeProgram("count_egress_too");
    closed.close();
    assert.throws(() => attachCgroup(closed, { cgroup: cg.path }), (e: unknown) => e instanceof ClosedError && e.message.includes(cg.path));
    assert.deepEqual(cgroupShow(cg.path), []);
    assert.equal(openFdCount(), fds);
    // A cgroup given by fd stays the caller's: the link works on its own duplicate.
    using cgroupFd = new FD(openSync(cg.path, "r"), "cgroup fd");
    const link: Link = attachCgroup(egress, { cgroup: cgroupFd, method: "attach" });
    assert.equal(link.target, `cgroup_inet_egress on cgroup fd ${cgroupFd.raw}`);
    assert.equal(cgroupShow(cg.path).length, 1);
    link.close();
    link.close();
    assert.equal(cgroupFd.closed, false);
    assert.deepEqual(cgroupShow(cg.path), []);
    cgroupFd.close();
    assert.equal(openFdCount(), fds);
  });
});
