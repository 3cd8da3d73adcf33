// attachTracepoint on the real kernel: a tracepoint program counting this
// process's getppid() calls (Node's process.ppid makes one per read) counts
// while the Link is open and stops when it is closed — through a perf_event
// BPF link and through the PERF_EVENT_IOC_SET_BPF fallback. Errors are typed
// and leave no fd behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { BpfMap } from "../../src/map.js";
import { Program, ProgramType } from "../../src/program.js";
import { ProgramBuilder, R0, R1, R2, R6, R7, R10 } from "../../src/asm/index.js";
import { InvalidArgumentError, NotFoundError, NotSupportedError } from "../../src/sys/errors.js";
import { LinkType, PerfEventLinkType } from "../../src/sys/link-info.js";
import { attachTracepoint, parseTracepoint, tracepointOfSection } from "../../src/link/index.js";
import { counterMap, countingProgram, readCounter } from "../sys/sys-attach-helpers.js";
import { requireOracle } from "../util/environment.js";

const TARGET = "syscalls:sys_enter_getppid";

function getppidCalls(n: number): void {
  for (let i = 0; i < n; i++) void process.ppid;
}

function countingTracepoint(map: BpfMap, sectionName?: string): Program {
  return Program.load({
    type: ProgramType.Tracepoint, instructions: countingProgram(map, { onlyPid: process.pid }), license: "GPL",
    name: "tsbpf_tp_count", ...(sectionName ? { sectionName } : {}),
  });
}

function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

test("tracepoint names: category:name, category/name and SEC() names", () => {
  assert.deepEqual(parseTracepoint("syscalls:sys_enter_openat"), { category: "syscalls", name: "sys_enter_openat" });
  assert.deepEqual(parseTracepoint("sched/sched_process_exec"), { category: "sched", name: "sched_process_exec" });
  assert.throws(() => parseTracepoint("sys_enter_openat"), InvalidArgumentError);
  assert.throws(() => parseTracepoint("a:b:c"), InvalidArgumentError);
  assert.deepEqual(tracepointOfSection("tracepoint/syscalls/sys_enter_openat"), { category: "syscalls", name: "sys_enter_openat" });
  assert.deepEqual(tracepointOfSection("tp/sched/sched_switch"), { category: "sched", name: "sched_switch" });
  assert.equal(tracepointOfSection("raw_tp/sched_switch"), undefined);
  assert.equal(tracepointOfSection("tracepoint/syscalls"), undefined);
});

test("a perf_event link counts while open; link info names the tracepoint; close detaches", () => {
  using map = counterMap();
  using prog = countingTracepoint(map);
  const link = attachTracepoint(prog, TARGET);
  try {
    assert.equal(link.isBpfLink, true);
    assert.equal(link.target, "tracepoint syscalls/sys_enter_getppid");
    getppidCalls(25);
    assert.equal(readCounter(map), 25n);
    const info = link.info();
    assert.equal(info.type, LinkType.PERF_EVENT);
    assert.equal(info.progId, prog.id);
    assert.equal(info.perfEvent?.type, PerfEventLinkType.TRACEPOINT);
    assert.equal(info.perfEvent?.name, "sys_enter_getppid");
  } finally {
    link.close();
  }
  assert.equal(link.closed, true);
  getppidCalls(10);
  assert.equal(readCounter(map), 25n, "no counting after close");
  link.close(); // idempotent
});

test("the PERF_EVENT_IOC_SET_BPF fallback attaches and detaches the same way", () => {
  using map = counterMap();
  using prog = countingTracepoint(map);
  {
    using link = attachTracepoint(prog, { category: "syscalls", name: "sys_enter_getppid" }, { method: "ioctl" });
    assert.equal(link.isBpfLink, false);
    assert.throws(() => link.fd, InvalidArgumentError);
    getppidCalls(7);
    assert.equal(readCounter(map), 7n);
  }
  getppidCalls(7);
  assert.equal(readCounter(map), 7n, "closing the perf event detached the program");
});

test("the target comes from the program's SEC() name; a bpf cookie reaches the program", () => {
  using map = counterMap();
  using prog = countingTracepoint(map, "tracepoint/syscalls/sys_enter_getppid");
  {
    using link = attachTracepoint(prog);
    getppidCalls(3);
    assert.equal(link.target, "tracepoint syscalls/sys_enter_getppid");
  }
  assert.equal(readCounter(map), 3n);

  // bpf_get_attach_cookie(ctx) stored in counter 0 (Linux 5.15 perf_event links).
  using cookies = counterMap();
  const insns = new ProgramBuilder()
    .mov64Reg(R6, R1)
    .call("get_current_pid_tgid").rsh64Imm(R0, 32).jneImm(R0, process.pid, "out")
    .stW(R10, -4, 0).mov64Reg(R2, R10).add64Imm(R2, -4).ldMapFd(R1, cookies.fd).call("map_lookup_elem")
    .jeqImm(R0, 0, "out")
    .mov64Reg(R7, R0) // callee-saved: survives the next helper call
    .mov64Reg(R1, R6).call("get_attach_cookie")
    .stxDW(R7, R0, 0)
    .label("out").mov64Imm(R0, 0).exit()
    .build();
  using cookieProg = Program.load({ type: ProgramType.Tracepoint, instructions: insns, license: "GPL", name: "tsbpf_tp_cookie" });
  {
    using _link = attachTracepoint(cookieProg, TARGET, { cookie: 0x7e57_c00c_1e00n });
    getppidCalls(1);
  }
  assert.equal(readCounter(cookies), 0x7e57_c00c_1e00n);
  assert.throws(() => attachTracepoint(cookieProg, TARGET, { cookie: 1n, method: "ioctl" }), NotSupportedError);
});

test("errors are typed and leave nothing open", () => {
  using map = counterMap();
  using prog = countingTracepoint(map);
  using filter = Program.load({
    type: ProgramType.SocketFilter, instructions: new ProgramBuilder().mov64Imm(R0, 0).exit().build(), license: "GPL",
  });
  const before = openFds();
  assert.throws(
    () => attachTracepoint(prog, "syscalls:sys_enter_no_such_call_tsbpf"),
    (e) => e instanceof NotFoundError && /syscalls\/sys_enter_no_such_call_tsbpf/.test(e.message) &&
      /\/sys\/kernel\/tracing\/events\/syscalls\/sys_enter_no_such_call_tsbpf\/id/.test(e.message),
  );
  assert.throws(() => attachTracepoint(prog, "no_such_category_tsbpf:x"), NotFoundError);
  assert.throws(() => attachTracepoint(prog, "../../etc:passwd"), InvalidArgumentError);
  assert.throws(() => attachTracepoint(filter, TARGET), (e) => e instanceof InvalidArgumentError && /socket_filter/.test(e.message));
  assert.throws(() => attachTracepoint(prog), (e) => e instanceof InvalidArgumentError && /give the tracepoint/.test(e.message));
  assert.equal(openFds(), before, "no fd left behind");
  getppidCalls(3);
  assert.equal(readCounter(map), 0n, "nothing attached");
});

test("tracefs not mounted (private mount namespace): mounted at /sys/kernel/tracing when allowed, else a NotFoundError that says so", (t) => {
  if (!requireOracle(t, "unshare")) return;
  const module = fileURLToPath(new URL("../../src/sys/perf-event.js", import.meta.url));
  const script = `import(${JSON.stringify(module)}).then((m) => {
    try { m.tracepointId("syscalls", "sys_enter_getppid"); console.log("found"); }
    catch (e) { console.log(e.name + ": " + e.message); }
  })`;
  // The mount namespace is private to the child: the machine's tracefs stays mounted.
  const run = (prefix: string): { status: number | null; stdout: string; stderr: string } =>
    spawnSync("unshare", ["-m", "sh", "-c", `umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug 2>/dev/null; ${prefix} "${process.execPath}" -e '${script}'; grep -c "^tracefs /sys/kernel/tracing " /proc/self/mounts`], { encoding: "utf8" });
  const mounted = run("");
  assert.equal(mounted.stdout, "found\n1\n", mounted.stderr);
  // Without CAP_SYS_ADMIN it cannot be mounted: the error says how to mount it.
  const refused = run("setpriv --inh-caps -sys_admin --bounding-set -sys_admin");
  assert.match(refused.stdout, /^NotFoundError: tracepoint syscalls\/sys_enter_getppid: tracefs is not mounted.*mount -t tracefs tracefs \/sys\/kernel\/tracing/);
  assert.match(refused.stdout, /^0$/m);
});
