// BPF_RAW_TRACEPOINT_OPEN on the real kernel: a raw_tp program on sys_enter
// counts syscalls while its link is open and stops when the link closes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { rawTracepointOpen } from "../../src/sys/raw-tracepoint.js";
import { linkInfo, LinkType } from "../../src/sys/link-info.js";
import { linkIds, linkFdById } from "../../src/sys/link.js";
import { NotFoundError, InvalidArgumentError, ClosedError, PermissionError, FD } from "../../src/index.js";
import { kernelBtf } from "../../src/btf/index.js";
import { AttachType, Program } from "../../src/program.js";
import { counterMap, countingProgram, load, readCounter, ProgramType } from "./sys-attach-helpers.js";
import { skipFor } from "../util/environment.js";

function syscalls(n: number): void {
  for (let i = 0; i < n; i++) readFileSync("/proc/self/stat");
}

test("raw_tp on sys_enter counts while the link is open", () => {
  using map = counterMap();
  using prog = load(ProgramType.RawTracepoint, countingProgram(map), "tsbpf_rawtp");
  const link = rawTracepointOpen(prog.fd, "sys_enter");
  try {
    syscalls(50);
    const running = readCounter(map);
    assert.ok(running >= 50n, `count ${running} after 50 syscalls`);

    const info = linkInfo(link);
    assert.equal(info.type, LinkType.RAW_TRACEPOINT);
    assert.equal(info.typeName, "raw_tracepoint");
    assert.equal(info.progId, prog.id);
    assert.equal(info.rawTracepoint?.name, "sys_enter");
    assert.ok(linkIds().includes(info.id), "the link id is listed");
    using again = linkFdById(info.id);
    assert.equal(linkInfo(again).progId, prog.id);
  } finally {
    link.close();
  }
  // Closing the last fd of the link detaches the program at once.
  const stopped = readCounter(map);
  syscalls(50);
  assert.equal(readCounter(map), stopped, "no counting after the link is closed");
});

test("raw_tp errors: unknown tracepoint, closed fd, wrong program type", () => {
  using map = counterMap();
  using prog = load(ProgramType.RawTracepoint, countingProgram(map), "tsbpf_rawtp");
  assert.throws(() => rawTracepointOpen(prog.fd, "no_such_tracepoint_tsbpf"), (e: unknown) => {
    assert.ok(e instanceof NotFoundError);
    assert.match(e.message, /no raw tracepoint named 'no_such_tracepoint_tsbpf'/);
    return true;
  });
  const closed = new FD(prog.fd.dup().release(), "prog fd");
  closed.close();
  assert.throws(() => rawTracepointOpen(closed, "sys_enter"), ClosedError);
  using xdp = load(ProgramType.XDP, countingProgram(map, { retval: 2 }), "tsbpf_xdp");
  assert.throws(() => rawTracepointOpen(xdp.fd, "sys_enter"), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, String(e));
    assert.match(e.message, /expected_attach_type/);
    return true;
  });
});

/** The BTF id of a typedef/func `name` in vmlinux BTF. */
function btfId(name: string, kind: string): number | undefined {
  const btf = kernelBtf();
  return btf.idsByName(name).find((id) => btf.typeById(id).kind === kind);
}

test("tp_btf program attached with rawTracepointOpen(prog, null) counts sys_enter", () => {
  const target = btfId("btf_trace_sys_enter", "TYPEDEF");
  assert.ok(target, "vmlinux BTF has btf_trace_sys_enter");
  using map = counterMap();
  using prog = Program.load({
    type: ProgramType.Tracing, instructions: countingProgram(map), license: "GPL", name: "tsbpf_tpbtf",
    expectedAttachType: AttachType.TraceRawTp, attachBtfId: target,
  });
  const link = rawTracepointOpen(prog.fd, null);
  try {
    syscalls(20);
    assert.ok(readCounter(map) >= 20n);
    const info = linkInfo(link);
    // tp_btf programs get a raw tracepoint link, named after the tracepoint.
    assert.equal(info.type, LinkType.RAW_TRACEPOINT);
    assert.equal(info.progId, prog.id);
    assert.equal(info.rawTracepoint?.name, "sys_enter");
  } finally {
    link.close();
  }
});

test("fentry program attached with rawTracepointOpen(prog, null)", (t) => {
  const target = btfId("do_sys_openat2", "FUNC");
  if (!target) return skipFor(t, "kernel lacks a BTF type", "do_sys_openat2");
  using map = counterMap();
  let prog: Program;
  try {
    prog = Program.load({
      type: ProgramType.Tracing, instructions: countingProgram(map), license: "GPL", name: "tsbpf_fentry",
      expectedAttachType: AttachType.TraceFentry, attachBtfId: target,
    });
  } catch (e) {
    // This machine's kernel refuses every program that needs a BPF trampoline on a
    // kernel function (fentry/fexit/fmod_ret/lsm) with EPERM before verification,
    // and its ftrace function interface (set_ftrace_filter, available_filter_functions)
    // answers EPERM too; tp_btf and iterators, which need no trampoline, load.
    if (e instanceof PermissionError) return skipFor(t, "BPF trampolines refused", e.message);
    throw e;
  }
  try {
    const link = rawTracepointOpen(prog.fd, null);
    try {
      syscalls(20);
      assert.ok(readCounter(map) >= 20n);
      assert.equal(linkInfo(link).tracing?.attachType, AttachType.TraceFentry);
    } finally {
      link.close();
    }
  } finally {
    prog.close();
  }
});
