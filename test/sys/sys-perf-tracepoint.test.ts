// Tracepoints through perf_event_open: attached with PERF_EVENT_IOC_SET_BPF
// and with a perf_event link carrying a bpf cookie. The program records the
// exec of a child process we spawn in a hash map keyed by its pid.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  perfEventOpen, perfEventSetBpf, perfEventEnable, perfEventDisable, perfEventReset, perfEventId, tracepointId, pmuType,
  PerfType, PerfIoctl, PerfSoftware,
} from "../../src/sys/perf-event.js";
import { linkCreate, linkDetach } from "../../src/sys/link.js";
import { linkInfo, LinkType, PerfEventLinkType } from "../../src/sys/link-info.js";
import { BpfMap, MapType } from "../../src/map.js";
import { AttachType, ProgramType } from "../../src/program.js";
import { ProgramBuilder, R0, R1, R2, R3, R4, R6, R10 } from "../../src/asm/index.js";
import { FD, NotFoundError, NotSupportedError } from "../../src/index.js";
import { load } from "./sys-attach-helpers.js";
import { skipFor } from "../util/environment.js";

/** Stores bpf_get_attach_cookie(ctx) under the current tgid (Linux 5.15 for tracepoint programs). */
function recordExecProgram(map: BpfMap): Uint8Array {
  return new ProgramBuilder()
    .mov64Reg(R6, R1)
    .call("get_current_pid_tgid").rsh64Imm(R0, 32).stxW(R10, R0, -4)
    .mov64Reg(R1, R6).call("get_attach_cookie").stxDW(R10, R0, -16)
    .ldMapFd(R1, map.fd).mov64Reg(R2, R10).add64Imm(R2, -4).mov64Reg(R3, R10).add64Imm(R3, -16).mov64Imm(R4, 0)
    .call("map_update_elem")
    .mov64Imm(R0, 0).exit()
    .build();
}

function pidMap(): BpfMap {
  return BpfMap.create({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 1024, name: "tsbpf_pids" });
}

function valueFor(map: BpfMap, pid: number): bigint | undefined {
  const key = new Uint8Array(4);
  new DataView(key.buffer).setUint32(0, pid, true);
  const v = map.tryLookup(key);
  return v && new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true);
}

/**
 * One tracepoint perf event (pid -1, cpu 0). A BPF program attached to it
 * runs for the tracepoint on every CPU: the kernel keeps the programs on the
 * tracepoint itself, which is also why attaching the same program to a second
 * event of the same tracepoint fails with EEXIST.
 */
function openTracepoint(id: number): FD[] {
  return [perfEventOpen({ type: PerfType.TRACEPOINT, config: id, cpu: 0, samplePeriod: 1, wakeupEvents: 1 })];
}

function spawnTrue(): number {
  const r = spawnSync("/bin/true");
  assert.equal(r.status, 0);
  return r.pid!;
}

test("ioctl request numbers match the uapi for x86-64/arm64", (t) => {
  if (!["x64", "arm64", "riscv64", "s390x"].includes(process.arch)) return skipFor(t, "unsupported architecture", "no reference numbers");
  assert.equal(PerfIoctl.ENABLE, 0x2400);
  assert.equal(PerfIoctl.DISABLE, 0x2401);
  assert.equal(PerfIoctl.RESET, 0x2403);
  assert.equal(PerfIoctl.ID, 0x80082407);
  assert.equal(PerfIoctl.SET_BPF, 0x40042408);
});

test("tracepoint ids and PMU types come from tracefs and sysfs", () => {
  const id = tracepointId("sched", "sched_process_exec");
  assert.ok(id > 0);
  assert.throws(() => tracepointId("sched", "no_such_event_tsbpf"), NotFoundError);
  assert.equal(pmuType("tracepoint"), PerfType.TRACEPOINT);
  assert.ok(pmuType("uprobe") > 5, "uprobe is a dynamic PMU");
  assert.throws(() => pmuType("kprobe"), (e: unknown) => e instanceof NotSupportedError && /CONFIG_KPROBE/.test(e.message));
});

test("software event: enable, disable, reset and id ioctls", () => {
  using ev = perfEventOpen({ type: PerfType.SOFTWARE, config: PerfSoftware.TASK_CLOCK, pid: 0, cpu: -1, bits: { disabled: true } });
  perfEventEnable(ev);
  perfEventDisable(ev);
  perfEventReset(ev);
  assert.ok(perfEventId(ev) > 0n);
});

test("tracepoint via perf_event_open + PERF_EVENT_IOC_SET_BPF sees a child's exec", () => {
  using map = pidMap();
  using prog = load(ProgramType.Tracepoint, recordExecProgram(map), "tsbpf_exec");
  const events = openTracepoint(tracepointId("sched", "sched_process_exec"));
  let pid: number;
  try {
    for (const ev of events) {
      perfEventSetBpf(ev, prog.fd);
      perfEventEnable(ev);
    }
    pid = spawnTrue();
  } finally {
    for (const ev of events) ev.close();
  }
  assert.equal(valueFor(map, pid), 0n, `exec of child ${pid} recorded (no cookie with SET_BPF)`);
  // The events are closed: the program is detached.
  const after = spawnTrue();
  assert.equal(valueFor(map, after), undefined, "nothing recorded once the perf events are closed");
});

test("tracepoint via a perf_event link with a bpf cookie; link info; close detaches", () => {
  using map = pidMap();
  using prog = load(ProgramType.Tracepoint, recordExecProgram(map), "tsbpf_exec", AttachType.PerfEvent);
  const events = openTracepoint(tracepointId("sched", "sched_process_exec"));
  const links: FD[] = [];
  try {
    events.forEach((ev, i) => links.push(linkCreate({
      progFd: prog.fd, targetFd: ev, attachType: AttachType.PerfEvent, perfEventCookie: 0x7e57_0000_0000n + BigInt(i),
    })));
    for (const ev of events) perfEventEnable(ev);
    const pid = spawnTrue();
    const cookie = valueFor(map, pid);
    assert.ok(cookie !== undefined && cookie >> 32n === 0x7e57n, `cookie ${cookie} read back through bpf_get_attach_cookie`);

    const info = linkInfo(links[0]!);
    assert.equal(info.type, LinkType.PERF_EVENT);
    assert.equal(info.progId, prog.id);
    assert.equal(info.perfEvent?.type, PerfEventLinkType.TRACEPOINT);
    assert.equal(info.perfEvent?.name, "sched_process_exec");
    assert.equal(info.perfEvent?.cookie, 0x7e57_0000_0000n);

    // perf_event links have no detach operation: only closing them detaches.
    assert.throws(() => linkDetach(links[0]!), (e: unknown) => e instanceof NotSupportedError && /close every fd/.test(e.message));
    for (const l of links) l.close();
    const later = spawnTrue();
    assert.equal(valueFor(map, later), undefined, "nothing recorded after the link is closed");
  } finally {
    for (const l of links) l.close();
    for (const ev of events) ev.close();
  }
});

test("kprobe via the kprobe PMU", (t) => {
  let type: number;
  try {
    type = pmuType("kprobe");
  } catch (e) {
    if (e instanceof NotSupportedError) return skipFor(t, "no kprobes", e.message);
    throw e;
  }
  using ev = perfEventOpen({ type, kprobeFunc: "do_sys_openat2", probeOffset: 0, cpu: 0 });
  assert.ok(perfEventId(ev) > 0n);
});
