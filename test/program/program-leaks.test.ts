import { test } from "node:test";
import assert from "node:assert/strict";
import { ProgramBuilder, R0, R2, R6, R1 } from "../../src/asm/index.js";
import { Program, ProgramType, VerifierError } from "../../src/program.js";
import { BpfError, ClosedError, FD, InvalidArgumentError, NoSpaceError } from "../../src/sys/index.js";
import { openFdCount } from "../util/kernel.js";
import { createArrayMap, frame, returnConstant } from "./program-util.js";

test("thousands of failing and succeeding loads and runs leak no fds", () => {
  const good = returnConstant(5);
  const rejected = new ProgramBuilder().mov64Reg(R0, R2).exit().build();
  const badAccess = new ProgramBuilder().mov64Reg(R6, R1).ldxDW(R0, R6, 4000).exit().build();
  const data = frame(64);
  const closedMap = createArrayMap(8, 1);
  closedMap.close();

  // Warm up once so lazily opened descriptors (worker pools, the addon) are counted before.
  Program.load({ type: ProgramType.SocketFilter, instructions: good, license: "GPL" }).close();
  const fdsBefore = openFdCount();
  const ownedBefore = FD.openCount;
  const failures = new Map<string, number>();
  const note = (e: unknown): void => {
    assert.ok(e instanceof BpfError, `unexpected ${String(e)}`);
    failures.set(e.name, (failures.get(e.name) ?? 0) + 1);
  };

  for (let i = 0; i < 1000; i++) {
    using prog = Program.load({ type: ProgramType.SocketFilter, instructions: good, license: "GPL", name: "leak_ok" });
    assert.equal(prog.testRun({ data }).retval, 5);
    try { prog.testRun({ data, dataOut: new Uint8Array(4) }); } catch (e) { note(e); }
    try { Program.load({ type: ProgramType.SocketFilter, instructions: rejected, license: "GPL" }); } catch (e) { note(e); }
    try { Program.load({ type: ProgramType.SocketFilter, instructions: badAccess, license: "GPL" }, { logLevel: 1 }); } catch (e) { note(e); }
    try { Program.load({ type: 4242 as ProgramType, instructions: good, license: "GPL" }); } catch (e) { note(e); }
    try { Program.load({ type: ProgramType.SocketFilter, instructions: new Uint8Array(0), license: "GPL" }); } catch (e) { note(e); }
    try { Program.load({ type: ProgramType.SocketFilter, instructions: good, license: "GPL", btfFd: closedMap }); } catch (e) { note(e); }
    try { Program.fromId(0x7fff_fff0); } catch (e) { note(e); }
    const closed = Program.fromFd(prog.fd.dup());
    closed.close();
    try { closed.testRun({ data }); } catch (e) { note(e); }
  }

  assert.equal(failures.get(VerifierError.name), 2000);
  assert.equal(failures.get(InvalidArgumentError.name), 2000);
  assert.equal(failures.get(ClosedError.name), 2000);
  assert.equal(failures.get(NoSpaceError.name), 1000);
  assert.equal(failures.get("NotFoundError"), 1000);
  assert.equal(FD.openCount, ownedBefore, "every FD object was closed");
  assert.equal(openFdCount(), fdsBefore, "the process has as many fds as before");
});
