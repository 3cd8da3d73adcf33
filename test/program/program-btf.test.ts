import { test } from "node:test";
import assert from "node:assert/strict";
import { ProgramBuilder, R0, R2 } from "../../src/asm/index.js";
import { Program, ProgramType, VerifierError } from "../../src/program.js";
import { InvalidArgumentError } from "../../src/sys/index.js";
import { funcInfoBytes, lineInfoBytes, loadTinyBtf } from "./program-util.js";

test("func info and line info are loaded and read back through info()", () => {
  const tiny = loadTinyBtf();
  using btf = tiny.fd;
  const insns = new ProgramBuilder().mov64Imm(R0, 1).exit().build();
  using prog = Program.load({
    type: ProgramType.SocketFilter, instructions: insns, license: "GPL", name: "with_btf",
    btfFd: btf,
    funcInfo: funcInfoBytes([[0, tiny.funcTypeId]]),
    lineInfo: lineInfoBytes([[0, tiny.fileNameOffset, tiny.lineOffset, 12, 5], [1, tiny.fileNameOffset, tiny.lineOffset, 13, 3]]),
  });
  assert.ok(!btf.closed, "loading borrows the BTF fd, it does not take it");
  const info = prog.info();
  assert.ok(info.btfId > 0);
  assert.deepEqual(info.funcInfo, [{ instruction: 0, typeId: tiny.funcTypeId }]);
  assert.deepEqual(info.lineInfo, [
    { instruction: 0, fileNameOffset: tiny.fileNameOffset, lineOffset: tiny.lineOffset, line: 12, column: 5 },
    { instruction: 1, fileNameOffset: tiny.fileNameOffset, lineOffset: tiny.lineOffset, line: 13, column: 3 },
  ]);
  assert.equal(info.subprogramTags.length, 1);
  assert.equal(info.subprogramTags[0], info.tag);
});

test("a verifier error points at the C source line from line info", () => {
  const tiny = loadTinyBtf("return uninitialised;");
  using _fd = tiny.fd;
  const insns = new ProgramBuilder().mov64Reg(R0, R2).exit().build();
  assert.throws(
    () => Program.load({
      type: ProgramType.SocketFilter, instructions: insns, license: "GPL", btfFd: tiny.fd,
      funcInfo: funcInfoBytes([[0, tiny.funcTypeId]]),
      lineInfo: lineInfoBytes([[0, tiny.fileNameOffset, tiny.lineOffset, 7, 2]]),
    }),
    (e: unknown) => {
      assert.ok(e instanceof VerifierError);
      assert.equal(e.reason, "R2 !read_ok");
      assert.equal(e.instruction, 0);
      assert.match(e.sourceLine ?? "", /^return uninitialised;/);
      assert.match(e.message, /source: return uninitialised;/);
      return true;
    },
  );
});

test("func info without BTF is rejected before the kernel", () => {
  assert.throws(
    () => Program.load({ type: ProgramType.SocketFilter, instructions: new ProgramBuilder().mov64Imm(R0, 0).exit().build(), license: "GPL", funcInfo: funcInfoBytes([[0, 3]]) }),
    (e: unknown) => e instanceof InvalidArgumentError && e.field === "btfFd",
  );
});
