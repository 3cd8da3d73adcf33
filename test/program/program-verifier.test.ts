import { test } from "node:test";
import assert from "node:assert/strict";
import { ProgramBuilder, R0, R2 } from "../../src/asm/index.js";
import { Program, ProgramType, VerifierError, LogLevel, summarizeVerifierLog } from "../../src/program.js";

/** A straight-line program of `n` additions that finally reads an uninitialised register. */
function longRejectedProgram(n: number): Uint8Array {
  const b = new ProgramBuilder().mov64Imm(R0, 0);
  for (let i = 0; i < n; i++) b.add64Imm(R0, 1);
  return b.mov64Reg(R0, R2).exit().build();
}

test("a rejected program's log is complete even beyond 1 MiB", () => {
  const additions = 100_000;
  // Start with a small buffer so the retry has to grow it.
  assert.throws(
    () => Program.load({ type: ProgramType.SocketFilter, instructions: longRejectedProgram(additions), license: "GPL", name: "huge_log" }, { logSize: 4096 }),
    (e: unknown) => {
      assert.ok(e instanceof VerifierError);
      assert.equal(e.errno, 13);
      assert.ok(e.log.length > 1024 * 1024, `log is ${e.log.length} bytes`);
      // The log starts at the first instruction …
      assert.match(e.log.slice(0, 200), /^0: R1=ctx\(\) R10=fp0\n0: \(b7\) r0 = 0/);
      // … shows every instruction the verifier walked …
      assert.ok(e.log.includes(`\n${additions}: (07) r0 += 1`), "the last addition is in the log");
      // … and ends with the kernel's final summary line: nothing was cut.
      const lines = e.log.trimEnd().split("\n");
      assert.match(lines.at(-1)!, /^processed \d+ insns \(limit \d+\) max_states_per_insn \d+ total_states \d+ peak_states \d+ mark_read \d+$/);
      assert.equal(lines.at(-2), "R2 !read_ok");
      assert.equal(e.reason, "R2 !read_ok");
      assert.match(e.hint ?? "", /read before anything was written/);
      assert.equal(e.instruction, additions + 1);
      return true;
    },
  );
});

test("a verbose log of a successful load beyond 1 MiB is complete too", () => {
  // log_level 2 prints the register state at every instruction.
  const b = new ProgramBuilder().mov64Imm(R0, 0);
  for (let i = 0; i < 20_000; i++) b.add64Imm(R0, 1);
  using prog = Program.load(
    { type: ProgramType.SocketFilter, instructions: b.exit().build(), license: "GPL" },
    { logLevel: LogLevel.INSTRUCTIONS | LogLevel.VERBOSE, logSize: 1024 },
  );
  const log = prog.verifierLog ?? "";
  assert.ok(log.length > 1024 * 1024, `log is ${log.length} bytes`);
  assert.match(log.trimEnd().split("\n").at(-1)!, /^processed 20002 insns/);
});

test("summarizeVerifierLog finds reason, instruction and source line", () => {
  const log = [
    "func#0 @0",
    "0: R1=ctx() R10=fp0",
    "; int x = ctx->len; @ prog.c:12",
    "0: (61) r2 = *(u32 *)(r1 +0)        ; R1=ctx() R2_w=scalar()",
    "; return *(int *)x; @ prog.c:13",
    "1: (61) r0 = *(u32 *)(r2 +0)",
    "R2 invalid mem access 'scalar'",
    "processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0",
    "",
  ].join("\n");
  const s = summarizeVerifierLog(log);
  assert.equal(s.reason, "R2 invalid mem access 'scalar'");
  assert.equal(s.instruction, 1);
  assert.equal(s.instructionText, "1: (61) r0 = *(u32 *)(r2 +0)");
  assert.equal(s.sourceLine, "return *(int *)x; @ prog.c:13");
  assert.deepEqual(summarizeVerifierLog(""), { reason: "", instruction: undefined, instructionText: undefined, sourceLine: undefined });
});
