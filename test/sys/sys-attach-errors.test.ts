// Bad input to the attach family becomes typed errors with actionable
// messages, and neither failing nor succeeding calls leak file descriptors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, openSync, rmdirSync } from "node:fs";
import { linkCreate, linkUpdate } from "../../src/sys/link.js";
import { progAttach, progQuery } from "../../src/sys/attach.js";
import { rawTracepointOpen } from "../../src/sys/raw-tracepoint.js";
import { perfEventOpen, tracepointId, PerfType } from "../../src/sys/perf-event.js";
import { attachError } from "../../src/sys/attach-errors.js";
import { AttachType } from "../../src/program.js";
import {
  FD, BadFdError, BusyError, ClosedError, InvalidArgumentError, NotFoundError, NotSupportedError, PermissionError,
} from "../../src/index.js";
import { counterMap, countingProgram, load, ProgramType } from "./sys-attach-helpers.js";
import { openFdCount } from "../util/kernel.js";
import { skipFor } from "../util/environment.js";

const CGROUP2 = "/sys/fs/cgroup/unified";

function closedFd(): FD {
  const fd = new FD(openSync("/dev/null", "r"), "test fd");
  fd.close();
  return fd;
}

test("errno → typed errors name the attach type and the likely cause", () => {
  const einval = attachError(22, { operation: "BPF_LINK_CREATE", attachType: AttachType.TCXIngress });
  assert.ok(einval instanceof InvalidArgumentError);
  assert.match(einval.message, /tcx_ingress \(46\).*expected_attach_type/);
  const unsupported = attachError(95, { operation: "BPF_LINK_CREATE", attachType: AttachType.TCXIngress });
  assert.ok(unsupported instanceof NotSupportedError);
  assert.equal(unsupported.minKernel, "6.6");
  assert.ok(attachError(16, { operation: "BPF_PROG_ATTACH" }) instanceof BusyError);
  assert.ok(attachError(9, { operation: "BPF_PROG_ATTACH" }) instanceof BadFdError);
  assert.ok(attachError(19, { operation: "BPF_LINK_CREATE", target: "ifindex 7" }) instanceof NotFoundError);
  const eperm = attachError(1, { operation: "BPF_PROG_ATTACH" });
  assert.ok(eperm instanceof PermissionError);
  assert.match(eperm.message, /CAP_BPF/);
});

test("bad input: mismatched attach type, closed fd, missing tracepoint, bad ifindex, option conflicts", (t) => {
  using map = counterMap();
  using egress = load(ProgramType.CgroupSKB, countingProgram(map, { retval: 1 }), "tsbpf_egress", AttachType.CgroupInetEgress);
  using xdp = load(ProgramType.XDP, countingProgram(map, { retval: 2 }), "tsbpf_xdp", AttachType.XDP);

  // A device index that exists in no namespace: fails before anything is attached (XDP answers EINVAL).
  assert.throws(() => linkCreate({ progFd: xdp.fd, targetIfindex: 0x7fff_fff0, attachType: AttachType.XDP }), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, String(e));
    assert.match(e.message, /no device has that ifindex/);
    return true;
  });
  assert.throws(() => linkCreate({ progFd: closedFd(), targetIfindex: 1, attachType: AttachType.XDP }), ClosedError);
  assert.throws(() => rawTracepointOpen(closedFd(), "sys_enter"), ClosedError);
  assert.throws(() => tracepointId("syscalls", "sys_enter_no_such_call"), NotFoundError);
  assert.throws(() => perfEventOpen({ type: PerfType.TRACEPOINT, config: 0x7fff_fff0 }), /no tracepoint has this id/);
  assert.throws(() => linkCreate({ progFd: xdp.fd, targetFd: egress.fd, targetIfindex: 1, attachType: AttachType.XDP }), InvalidArgumentError);
  assert.throws(() => progQuery({ attachType: AttachType.CgroupInetEgress }), InvalidArgumentError);
  assert.throws(
    () => linkCreate({ progFd: xdp.fd, attachType: AttachType.TraceKprobeMulti, kprobeMulti: { syms: ["a"], addrs: [1n] } }),
    InvalidArgumentError,
  );
  // A link fd is needed for LINK_UPDATE; a program fd is the wrong kind of object.
  assert.throws(() => linkUpdate(xdp.fd, xdp.fd), (e: unknown) => e instanceof InvalidArgumentError || e instanceof BadFdError);

  if (!existsSync(`${CGROUP2}/cgroup.procs`)) return skipFor(t, "no cgroup v2", CGROUP2);
  const path = `${CGROUP2}/tsbpf-err-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  mkdirSync(path);
  try {
    using cg = new FD(openSync(path, "r"), "cgroup fd");
    // Loaded for connect4, attached for bind4: sock_addr programs must match their expected_attach_type.
    // (cgroup_skb programs are not held to it unless they use egress-only features.)
    using connect4 = load(ProgramType.CgroupSockAddr, countingProgram(map, { retval: 1 }), "tsbpf_connect4", AttachType.CgroupInet4Connect);
    assert.throws(() => progAttach({ targetFd: cg, progFd: connect4.fd, attachType: AttachType.CgroupInet4Bind }), (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError, String(e));
      assert.match(e.message, /cgroup_inet4_bind \(8\).*expected_attach_type/);
      return true;
    });
    // The wrong program type for the attach type.
    assert.throws(() => linkCreate({ progFd: xdp.fd, targetFd: cg, attachType: AttachType.CgroupInetEgress }), InvalidArgumentError);
    assert.deepEqual(progQuery({ targetFd: cg, attachType: AttachType.CgroupInetEgress }).progIds, []);
  } finally {
    rmdirSync(path);
  }
});

test("no fd leaks around many failing and succeeding attach calls", () => {
  using map = counterMap();
  using rawtp = load(ProgramType.RawTracepoint, countingProgram(map), "tsbpf_rawtp");
  using xdp = load(ProgramType.XDP, countingProgram(map, { retval: 2 }), "tsbpf_xdp", AttachType.XDP);
  const fds = openFdCount();
  const owned = FD.openCount;
  // 25 rounds of five calls: closing a tracepoint attachment waits for an RCU
  // grace period in the kernel (~15–40 ms here, the same from C with libbpf).
  for (let i = 0; i < 25; i++) {
    rawTracepointOpen(rawtp.fd, "sys_enter").close();
    assert.throws(() => rawTracepointOpen(rawtp.fd, "no_such_tracepoint_tsbpf"), NotFoundError);
    assert.throws(() => linkCreate({ progFd: xdp.fd, targetIfindex: 0x7fff_fff0, attachType: AttachType.XDP }), InvalidArgumentError);
    assert.throws(() => perfEventOpen({ type: PerfType.TRACEPOINT, config: 0x7fff_fff0 }), /no tracepoint has this id/);
    perfEventOpen({ type: PerfType.TRACEPOINT, config: tracepointId("sched", "sched_process_exec") }).close();
  }
  assert.equal(openFdCount(), fds, "open fds of the process");
  assert.equal(FD.openCount, owned, "FD objects still open");
});
