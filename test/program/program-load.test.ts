import { test } from "node:test";
import assert from "node:assert/strict";
import { openSync } from "node:fs";
import { ProgramBuilder, R0, R1, R2, R6, R10 } from "../../src/asm/index.js";
import {
  Program, ProgramType, ProgramFlags, LogLevel, VerifierError, programTypeName, attachTypeName, AttachType,
  programTypeFromName,
} from "../../src/program.js";
import { BadFdError, ClosedError, InvalidArgumentError, FD } from "../../src/sys/index.js";
import { createArrayMap, frame, returnConstant } from "./program-util.js";

const packet = frame(64);

test("a hand-assembled program computes arithmetic in the kernel", () => {
  // r0 = ((6 * 7) + 100) << 2 ^ 5 = 573
  const insns = new ProgramBuilder()
    .mov64Imm(R0, 6).mul64Imm(R0, 7).add64Imm(R0, 100).lsh64Imm(R0, 2).xor64Imm(R0, 5)
    .exit().build();
  using prog = Program.load({ type: ProgramType.SocketFilter, instructions: insns, license: "MIT", name: "arith" });
  const r = prog.testRun({ data: packet });
  assert.equal(r.retval, ((6 * 7 + 100) << 2) ^ 5);
  assert.equal(prog.name, "arith");
  assert.equal(prog.type, ProgramType.SocketFilter);
  assert.equal(prog.verifierLog, undefined, "no log unless asked for");
  assert.match(prog.tag, /^[0-9a-f]{16}$/);
  assert.ok(prog.id > 0);
});

test("logLevel gives the verifier log of a successful load", () => {
  using prog = Program.load(
    { type: ProgramType.SocketFilter, instructions: returnConstant(1), license: "MIT" },
    { logLevel: LogLevel.INSTRUCTIONS | LogLevel.VERBOSE | LogLevel.STATS },
  );
  assert.ok(prog.verifierLog);
  assert.match(prog.verifierLog, /^0: R1=ctx\(\) R10=fp0/m);
  assert.match(prog.verifierLog, /processed 2 insns/);
  assert.match(prog.verifierLog, /verification time \d+ usec/);
});

test("names are cut to the kernel's 15 characters; the Program keeps the whole name", () => {
  using prog = Program.load({ type: ProgramType.SocketFilter, instructions: returnConstant(0), license: "GPL", name: "a_rather_long_program_name" });
  assert.equal(prog.name, "a_rather_long_program_name");
  assert.equal(prog.info().name, "a_rather_long_p");
});

test("type and attach type names match bpftool's", () => {
  assert.equal(programTypeName(ProgramType.SocketFilter), "socket_filter");
  assert.equal(programTypeName(ProgramType.RawTracepointWritable), "raw_tracepoint_writable");
  assert.equal(programTypeName(ProgramType.Netfilter), "netfilter");
  assert.equal(programTypeName(999), "type 999");
  assert.equal(programTypeFromName("xdp"), ProgramType.XDP);
  assert.equal(attachTypeName(AttachType.CgroupInetIngress), "cgroup_inet_ingress");
  assert.equal(attachTypeName(AttachType.SkReuseportSelectOrMigrate), "sk_reuseport_select_or_migrate");
  assert.equal(attachTypeName(AttachType.TCXEgress), "tcx_egress");
  assert.equal(attachTypeName(AttachType.TraceUprobeSession), "trace_uprobe_session");
});

test("invalid input gives typed errors before or from the kernel", () => {
  const ok = returnConstant(0);
  assert.throws(() => Program.load({ type: 9999 as ProgramType, instructions: ok, license: "GPL" }), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError);
    assert.equal(e.errno, 22);
    assert.equal(e.field, "type");
    return true;
  });
  assert.throws(() => Program.load({ type: 1.5 as ProgramType, instructions: ok, license: "GPL" }), InvalidArgumentError);
  assert.throws(() => Program.load({ type: ProgramType.SocketFilter, instructions: new Uint8Array(0), license: "GPL" }), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError);
    assert.equal(e.field, "instructions");
    return true;
  });
  assert.throws(() => Program.load({ type: ProgramType.SocketFilter, instructions: new Uint8Array(12), license: "GPL" }), InvalidArgumentError);
  assert.throws(() => Program.load({ type: ProgramType.SocketFilter, instructions: ok, license: "GPL", name: "bad name!" }), InvalidArgumentError);
  assert.throws(() => Program.load({ type: ProgramType.SocketFilter, instructions: ok, license: "GPL", flags: 1 << 30 }), InvalidArgumentError);
  assert.throws(
    () => Program.load({ type: ProgramType.SocketFilter, instructions: ok, license: "GPL" }, { logLevel: -1 }),
    InvalidArgumentError,
  );
});

test("a GPL-only helper in a non-GPL program is a VerifierError", () => {
  // bpf_trace_printk("hi", 4): GPL-only.
  const insns = new ProgramBuilder()
    .mov64Imm(R1, 0x6968).stxDW(R10, R1, -8)
    .mov64Reg(R1, R10).add64Imm(R1, -8).mov64Imm(R2, 4)
    .call("trace_printk").mov64Imm(R0, 0).exit().build();
  assert.throws(() => Program.load({ type: ProgramType.SocketFilter, instructions: insns, license: "MIT", name: "nongpl" }), (e: unknown) => {
    assert.ok(e instanceof VerifierError);
    assert.equal(e.code, "VERIFIER");
    assert.match(e.reason, /GPL/);
    assert.match(e.hint ?? "", /GPL-compatible license/);
    assert.match(e.log, /cannot call GPL-restricted function from non-GPL compatible program/);
    assert.equal(e.instruction, 5);
    assert.match(e.message, /nongpl/);
    return true;
  });
  // The same program with a GPL-compatible license loads.
  using prog = Program.load({ type: ProgramType.SocketFilter, instructions: insns, license: "Dual MIT/GPL" });
  assert.equal(prog.info().gplCompatible, true);
});

test("the verifier error names the failing instruction", () => {
  // Reads 8 bytes past the end of the 192-byte __sk_buff context.
  const insns = new ProgramBuilder().mov64Reg(R6, R1).ldxDW(R0, R6, 400).exit().build();
  assert.throws(() => Program.load({ type: ProgramType.SocketFilter, instructions: insns, license: "GPL" }), (e: unknown) => {
    assert.ok(e instanceof VerifierError);
    assert.equal(e.errno, 13);
    assert.equal(e.instruction, 1);
    assert.match(e.reason, /invalid bpf_context access/);
    assert.match(e.message, /hint: this program type may not read or write that context field/);
    assert.match(e.summary, /at 1: \(79\) r0 = \*\(u64 \*\)\(r6 \+400\)/);
    assert.match(e.log, /processed \d+ insns/);
    return true;
  });
});

test("closed fds give ClosedError, non-program fds BadFdError", () => {
  const prog = Program.load({ type: ProgramType.SocketFilter, instructions: returnConstant(3), license: "GPL" });
  prog.close();
  prog.close();
  assert.equal(prog.closed, true);
  assert.throws(() => prog.testRun({ data: packet }), ClosedError);
  assert.throws(() => prog.info(), ClosedError);
  assert.throws(() => prog.pin("/sys/fs/bpf/never"), ClosedError);

  const closed = createArrayMap(8, 1);
  closed.close();
  assert.throws(() => Program.load({ type: ProgramType.SocketFilter, instructions: returnConstant(0), license: "GPL", btfFd: closed }), ClosedError);
  assert.throws(() => Program.load({ type: ProgramType.Ext, instructions: returnConstant(0), license: "GPL", attachProgFd: closed }), ClosedError);
  assert.throws(() => Program.fromFd(closed), ClosedError);

  using live = Program.load({ type: ProgramType.SocketFilter, instructions: returnConstant(0), license: "GPL" });
  assert.throws(() => live.bindMap(closed), ClosedError);

  using map = createArrayMap(8, 1);
  assert.throws(() => Program.fromFd(map), BadFdError);
  using devNull = new FD(openSync("/dev/null", "r"));
  assert.throws(() => Program.fromFd(devNull), BadFdError);
});

test("the fd of a loaded program can be adopted by fromFd", () => {
  using a = Program.load({ type: ProgramType.XDP, instructions: returnConstant(2), license: "GPL", name: "adopt_me" });
  using b = Program.fromFd(a.fd.dup());
  assert.equal(b.id, a.id);
  assert.equal(b.type, ProgramType.XDP);
  assert.equal(b.name, "adopt_me");
});

test("load flags reach the kernel", () => {
  using prog = Program.load({ type: ProgramType.SocketFilter, instructions: returnConstant(0), license: "GPL", flags: ProgramFlags.STRICT_ALIGNMENT });
  assert.equal(prog.testRun({ data: packet }).retval, 0);
});
