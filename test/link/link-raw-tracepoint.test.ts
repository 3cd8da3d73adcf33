// raw_tp, raw_tp.w and tp_btf on the real kernel: each fixture program counts
// this process's getppid() calls (Node's process.ppid makes one per read) or
// BPF_PROG_TEST_RUN's bpf_test_finish tracepoint, reads its attach cookie
// (Linux 6.10), stops at close, and leaves no link behind (bpftool link show).
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Collection, loadObjectSpec, Program, ProgramType, ProgramBuilder, R0 } from "../../src/index.js";
import { InvalidArgumentError, NotFoundError } from "../../src/sys/errors.js";
import { LinkType } from "../../src/sys/link-info.js";
import { attachRawTracepoint, rawTracepointOfSection } from "../../src/link/index.js";
import { readCounter } from "../sys/sys-attach-helpers.js";
import { openFdCount } from "../util/kernel.js";
import { bpftoolLinksOf } from "../util/attached.js";
import { requireOracle, skipFor } from "../util/environment.js";

const OBJECT = fileURLToPath(new URL("../../../test/fixtures/tracing/raw-tp.bpf.o", import.meta.url));
/** getppid's number: the programs count only that syscall. */
const GETPPID: Record<string, number> = { x64: 110, arm64: 173, riscv64: 173, s390x: 64, ppc64: 64 };

function getppidCalls(n: number): void {
  for (let i = 0; i < n; i++) void process.ppid;
}

function loadRawTp(): Collection {
  const spec = loadObjectSpec(OBJECT);
  spec.variable("target_tgid").set(process.pid);
  spec.variable("syscall_nr").set(BigInt(GETPPID[process.arch] ?? -1));
  return Collection.load(spec);
}

test("SEC() names: raw_tp/NAME, raw_tracepoint/NAME, raw_tp.w/NAME, raw_tracepoint.w/NAME, tp_btf/NAME", () => {
  assert.deepEqual(rawTracepointOfSection("raw_tp/sched_switch"), { kind: "raw_tp", name: "sched_switch" });
  assert.deepEqual(rawTracepointOfSection("raw_tracepoint/sys_enter"), { kind: "raw_tp", name: "sys_enter" });
  assert.deepEqual(rawTracepointOfSection("raw_tp.w/bpf_test_finish"), { kind: "raw_tp.w", name: "bpf_test_finish" });
  assert.deepEqual(rawTracepointOfSection("raw_tracepoint.w/bpf_test_finish"), { kind: "raw_tp.w", name: "bpf_test_finish" });
  assert.deepEqual(rawTracepointOfSection("tp_btf/sched_wakeup"), { kind: "tp_btf", name: "sched_wakeup" });
  for (const none of ["raw_tp", "tp_btf", "raw_tp/", "tp_btf.w/x", "tp/sched/sched_switch", "raw_tp/a/b"]) {
    assert.equal(rawTracepointOfSection(none), undefined, none);
  }
});

test("raw_tp and tp_btf count getppid() while attached, read their cookies, and detach at close", (t) => {
  if (GETPPID[process.arch] === undefined) return skipFor(t, "unsupported architecture", "getppid's syscall number");
  if (!requireOracle(t, "bpftool")) return;
  using objects = loadRawTp();
  const hits = objects.map("hits");
  const cookies = objects.map("cookies");
  for (const [name, slot, cookie, target, type] of [
    ["raw_enter", 0, 0xc0ffee_0001n, "raw_tp sys_enter", LinkType.RAW_TRACEPOINT],
    ["btf_enter", 2, 0xc0ffee_0002n, "tp_btf sys_enter", LinkType.RAW_TRACEPOINT],
  ] as const) {
    const program = objects.program(name);
    {
      using link = attachRawTracepoint(program, undefined, { cookie });
      assert.equal(link.target, target);
      assert.equal(link.info().type, type);
      assert.equal(link.info().progId, program.id);
      assert.deepEqual(bpftoolLinksOf(program.id).map((l) => l.id), [link.id]);
      getppidCalls(12);
    }
    assert.equal(readCounter(hits, slot), 12n, `${name} counted every call`);
    assert.equal(readCounter(cookies, slot), cookie, `${name} read its cookie`);
    getppidCalls(5);
    assert.equal(readCounter(hits, slot), 12n, `${name} stopped at close`);
    assert.deepEqual(bpftoolLinksOf(program.id), [], "nothing stays attached");
  }
});

test("raw_tp.w: a writable raw tracepoint runs on BPF_PROG_TEST_RUN's bpf_test_finish", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  using objects = loadRawTp();
  const program = objects.program("raw_test_finish");
  assert.equal(program.type, ProgramType.RawTracepointWritable);
  using filter = Program.load({ type: ProgramType.SchedCls, instructions: new ProgramBuilder().mov64Imm(R0, 0).exit().build(), license: "GPL", name: "tsbpf_noop_cls" });
  const packet = new Uint8Array(64);
  {
    using link = attachRawTracepoint(program);
    assert.equal(link.target, "raw_tp.w bpf_test_finish");
    filter.testRun({ data: packet, repeat: 1 });
    filter.testRun({ data: packet, repeat: 1 });
  }
  assert.equal(readCounter(objects.map("hits"), 1), 2n, "one hit per test run");
  filter.testRun({ data: packet, repeat: 1 });
  assert.equal(readCounter(objects.map("hits"), 1), 2n, "none after close");
  assert.deepEqual(bpftoolLinksOf(program.id), []);
});

test("bad input: wrong program type, unknown tracepoint, another tracepoint for tp_btf — typed, nothing left open", () => {
  using objects = loadRawTp();
  using filter = Program.load({ type: ProgramType.SocketFilter, instructions: new ProgramBuilder().mov64Imm(R0, 0).exit().build(), license: "GPL", name: "tsbpf_sf" });
  const before = openFdCount();
  assert.throws(() => attachRawTracepoint(filter, "sys_enter"),
    (e: Error) => e instanceof InvalidArgumentError && /'tsbpf_sf' is a socket_filter program; attachRawTracepoint needs a raw_tp/.test(e.message));
  assert.throws(() => attachRawTracepoint(objects.program("raw_enter"), "no_such_tracepoint_tsbpf"),
    (e: Error) => e instanceof NotFoundError && /no raw tracepoint named 'no_such_tracepoint_tsbpf'/.test(e.message));
  assert.throws(() => attachRawTracepoint(objects.program("btf_enter"), "sched_switch"),
    (e: Error) => e instanceof InvalidArgumentError && /tp_btf program loaded for sys_enter; it cannot attach to sched_switch/.test(e.message));
  assert.throws(() => attachRawTracepoint(objects.program("raw_enter"), "a/b"), InvalidArgumentError);
  assert.throws(() => attachRawTracepoint(objects.program("raw_enter"), undefined, { cookie: 1 as unknown as bigint }), InvalidArgumentError);
  assert.equal(openFdCount(), before);
});
