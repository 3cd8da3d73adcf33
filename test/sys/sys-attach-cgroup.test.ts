// Cgroup v2 attach on the real kernel: PROG_ATTACH / PROG_QUERY / PROG_DETACH
// with ALLOW_MULTI, and the link-based attach with LINK_UPDATE and
// LINK_DETACH. A cgroup_skb egress program counts the UDP datagrams of a
// child process that moves itself into a child cgroup the test creates.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, openSync, rmdirSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { progAttach, progDetach, progQuery } from "../../src/sys/attach.js";
import { AttachFlags } from "../../src/sys/attach-flags.js";
import { linkCreate, linkDetach, linkUpdate } from "../../src/sys/link.js";
import { linkInfo, LinkType } from "../../src/sys/link-info.js";
import { AttachType } from "../../src/program.js";
import { FD, InvalidArgumentError, NotFoundError } from "../../src/index.js";
import { counterMap, countingProgram, load, readCounter, ProgramType } from "./sys-attach-helpers.js";
import { skipFor } from "../util/environment.js";

const CGROUP2 = "/sys/fs/cgroup/unified";

/** A fresh child cgroup and an fd of its directory; removed by cleanup() (after its processes exit). */
function childCgroup(): { path: string; fd: FD; cleanup(): void } {
  const path = `${CGROUP2}/tsbpf-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  mkdirSync(path);
  let fd: FD;
  try {
    fd = new FD(openSync(path, "r"), "cgroup fd");
  } catch (e) {
    rmdirSync(path);
    throw e;
  }
  return {
    path,
    fd,
    cleanup() {
      fd.close();
      // The child that joined has exited, so the cgroup is empty and can go.
      if (existsSync(path)) rmdirSync(path);
    },
  };
}

/** Runs a child that joins `cgroupPath` and sends `count` UDP datagrams to 127.0.0.1. */
function sendFromCgroup(cgroupPath: string, count: number): void {
  const script = `
    require("node:fs").writeFileSync(${JSON.stringify(`${cgroupPath}/cgroup.procs`)}, String(process.pid));
    const s = require("node:dgram").createSocket("udp4");
    let left = ${count};
    const next = () => left-- > 0 ? s.send("tsbpf", 9, "127.0.0.1", next) : s.close();
    next();`;
  const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
}

test("prog_attach ALLOW_MULTI, prog_query and prog_detach on a child cgroup", (t) => {
  if (!existsSync(`${CGROUP2}/cgroup.procs`)) return skipFor(t, "no cgroup v2", CGROUP2);
  using map = counterMap(2);
  using first = load(ProgramType.CgroupSKB, countingProgram(map, { index: 0, retval: 1 }), "tsbpf_egress0", AttachType.CgroupInetEgress);
  using second = load(ProgramType.CgroupSKB, countingProgram(map, { index: 1, retval: 1 }), "tsbpf_egress1", AttachType.CgroupInetEgress);
  const cg = childCgroup();
  const attached: FD[] = [];
  try {
    for (const prog of [first, second]) {
      progAttach({ targetFd: cg.fd, progFd: prog.fd, attachType: AttachType.CgroupInetEgress, flags: AttachFlags.ALLOW_MULTI });
      attached.push(prog.fd);
    }
    const q = progQuery({ targetFd: cg.fd, attachType: AttachType.CgroupInetEgress });
    assert.equal(q.attachFlags, AttachFlags.ALLOW_MULTI);
    assert.deepEqual(q.progIds, [first.id, second.id]);
    assert.deepEqual(q.progAttachFlags, [AttachFlags.ALLOW_MULTI, AttachFlags.ALLOW_MULTI]);

    sendFromCgroup(cg.path, 5);
    assert.ok(readCounter(map, 0) >= 5n, `first program counted ${readCounter(map, 0)}`);
    assert.ok(readCounter(map, 1) >= 5n, `second program counted ${readCounter(map, 1)}`);

    progDetach({ targetFd: cg.fd, progFd: first.fd, attachType: AttachType.CgroupInetEgress });
    attached.shift();
    assert.deepEqual(progQuery({ targetFd: cg.fd, attachType: AttachType.CgroupInetEgress }).progIds, [second.id]);
    progDetach({ targetFd: cg.fd, progFd: second.fd, attachType: AttachType.CgroupInetEgress });
    attached.shift();
    assert.deepEqual(progQuery({ targetFd: cg.fd, attachType: AttachType.CgroupInetEgress }).progIds, []);

    const before = [readCounter(map, 0), readCounter(map, 1)];
    sendFromCgroup(cg.path, 3);
    assert.deepEqual([readCounter(map, 0), readCounter(map, 1)], before, "no counting after prog_detach");
    assert.throws(
      () => progDetach({ targetFd: cg.fd, progFd: first.fd, attachType: AttachType.CgroupInetEgress }),
      NotFoundError,
    );
  } finally {
    for (const fd of attached) progDetach({ targetFd: cg.fd, progFd: fd, attachType: AttachType.CgroupInetEgress });
    cg.cleanup();
  }
});

test("cgroup link: link_create, link info, link_update, link_detach", (t) => {
  if (!existsSync(`${CGROUP2}/cgroup.procs`)) return skipFor(t, "no cgroup v2", CGROUP2);
  using map = counterMap(2);
  using first = load(ProgramType.CgroupSKB, countingProgram(map, { index: 0, retval: 1 }), "tsbpf_egress0", AttachType.CgroupInetEgress);
  using second = load(ProgramType.CgroupSKB, countingProgram(map, { index: 1, retval: 1 }), "tsbpf_egress1", AttachType.CgroupInetEgress);
  const cg = childCgroup();
  let link: FD | undefined;
  try {
    link = linkCreate({ progFd: first.fd, targetFd: cg.fd, attachType: AttachType.CgroupInetEgress });
    const info = linkInfo(link);
    assert.equal(info.type, LinkType.CGROUP);
    assert.equal(info.progId, first.id);
    assert.equal(info.cgroup?.attachType, AttachType.CgroupInetEgress);
    // The cgroup id is the inode number of its directory in cgroupfs.
    assert.equal(info.cgroup?.cgroupId, BigInt(statSync(cg.path).ino));
    const q = progQuery({ targetFd: cg.fd, attachType: AttachType.CgroupInetEgress });
    assert.deepEqual(q.progIds, [first.id]);

    sendFromCgroup(cg.path, 4);
    assert.ok(readCounter(map, 0) >= 4n);
    assert.equal(readCounter(map, 1), 0n);

    // Replacing with the wrong expected program is refused; with the right one it swaps atomically.
    assert.throws(() => linkUpdate(link!, second.fd, { oldProgFd: second.fd }), InvalidArgumentError);
    linkUpdate(link, second.fd, { oldProgFd: first.fd });
    assert.equal(linkInfo(link).progId, second.id);
    const firstCount = readCounter(map, 0);
    sendFromCgroup(cg.path, 4);
    assert.equal(readCounter(map, 0), firstCount, "the old program no longer runs");
    assert.ok(readCounter(map, 1) >= 4n, "the new program runs");

    // LINK_DETACH: the fd stays open and queryable, nothing runs any more.
    linkDetach(link);
    assert.equal(link.closed, false);
    assert.equal(linkInfo(link).progId, second.id);
    assert.deepEqual(progQuery({ targetFd: cg.fd, attachType: AttachType.CgroupInetEgress }).progIds, []);
    const secondCount = readCounter(map, 1);
    sendFromCgroup(cg.path, 4);
    assert.equal(readCounter(map, 1), secondCount, "nothing runs after link_detach");
  } finally {
    link?.close();
    cg.cleanup();
  }
});
