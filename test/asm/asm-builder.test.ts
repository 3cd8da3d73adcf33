import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import {
  ProgramBuilder, LabelError, InvalidInstructionError, decode, R0, R1, R2, R3, R6, R10, type Instruction,
} from "../../src/asm/index.js";
import { InvalidArgumentError } from "../../src/sys/errors.js";
import { Attr, stableBytes } from "../../src/sys/attr.js";
import { Cmd, ProgTestRunAttr } from "../../src/sys/layouts.js";
import { bpfRaw } from "../../src/sys/syscall.js";
import type { FD } from "../../src/sys/fd.js";
import { loadSocketFilter } from "../util/raw-prog-load.js";
import { createArrayMap, updateArray } from "../program/program-util.js";
import { skipFor } from "../util/environment.js";

test("the documented entry point builds mov r0, 42; exit", () => {
  const bytes = new ProgramBuilder().mov64Imm(R0, 42).exit().build();
  assert.deepEqual([...bytes], [0xb7, 0, 0, 0, 42, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
});

test("labels resolve forward and backward, counting ld_imm64 as two slots", () => {
  const insns = new ProgramBuilder()
    .label("top") // slot 0
    .jeqImm(R1, 0, "out") // slot 0 → 5: off 4
    .ldImm64(R2, 1n) // slots 1–2
    .ja("top") // slot 3 → 0: off -4
    .mov64Imm(R0, 1) // slot 4
    .label("out")
    .exit() // slot 5
    .instructions();
  assert.equal(insns[0]!.offset, 4);
  assert.equal(insns[2]!.offset, -4);
});

test("label-valued imm fields: bpf-to-bpf call, callback address, gotol", () => {
  const insns = new ProgramBuilder()
    .callSubprog("f") // slot 0 → 4: imm 3
    .ldFunc(R2, "f") // slots 1–2 → 4: imm 2 (relative to the first slot, like every pc-relative field)
    .gotol("f") // slot 3 → 4: imm 0
    .label("f")
    .exit()
    .instructions();
  assert.equal(insns[0]!.imm, 3);
  assert.equal(insns[0]!.src, 1);
  assert.equal(insns[1]!.imm, 2);
  assert.equal(insns[1]!.imm64, 2n);
  assert.equal(insns[1]!.src, 4);
  assert.equal(insns[2]!.imm, 0);
});

test("numeric jump targets are raw offsets", () => {
  const insns = new ProgramBuilder().ja(-1).jneReg(R1, R2, 7).callSubprog(-3).instructions();
  assert.deepEqual(insns.map((i: Instruction) => [i.offset, i.imm]), [[-1, 0], [7, 0], [0, -3]]);
});

test("label errors: unknown, duplicate, out of 16-bit range", () => {
  assert.throws(() => new ProgramBuilder().ja("nowhere").build(), (e: unknown) => e instanceof LabelError && e.label === "nowhere");
  assert.throws(() => new ProgramBuilder().label("a").label("a"), LabelError);
  const far = new ProgramBuilder().ja("far");
  for (let i = 0; i < 40000; i++) far.mov64Imm(R0, i);
  far.label("far").exit();
  assert.throws(() => far.build(), /16-bit jump range/);
  // gotol has a 32-bit reach.
  const farL = new ProgramBuilder().gotol("far");
  for (let i = 0; i < 40000; i++) farL.mov64Imm(R0, i);
  assert.equal(farL.label("far").exit().instructions()[0]!.imm, 40000);
});

test("helpers by id, bare name, C name or enum name; unknown names are typed errors", () => {
  const imms = new ProgramBuilder()
    .call(1).call("map_lookup_elem").call("bpf_map_lookup_elem").call("BPF_FUNC_map_lookup_elem").call("bpf_ktime_get_ns")
    .instructions().map((i) => i.imm);
  assert.deepEqual(imms, [1, 1, 1, 1, 5]);
  assert.throws(() => new ProgramBuilder().call("bpf_no_such_helper" as never), InvalidArgumentError);
  assert.throws(() => new ProgramBuilder().ja(0.5), InvalidInstructionError);
});

test("raw/append copy instructions, and build() equals encode(instructions())", () => {
  const src: Instruction = { opcode: 0xb7, dst: 0, src: 0, offset: 0, imm: 3 };
  const b = new ProgramBuilder().raw(src).append([{ opcode: 0x95, dst: 0, src: 0, offset: 0, imm: 0 }]);
  src.imm = 4;
  assert.equal(b.length, 2);
  assert.deepEqual(decode(b.build())[0]!.imm, 3);
});

// ---- the kernel as oracle: programs built here load, verify and compute ----

function run(fd: FD): number {
  const data = stableBytes(64);
  const attr = new Attr(ProgTestRunAttr);
  attr.set("prog_fd", fd.raw).setPointer("data_in", data).set("data_size_in", data.length).set("repeat", 1);
  const r = bpfRaw(Cmd.PROG_TEST_RUN, attr.address, attr.size);
  if (r < 0) throw new Error(`BPF_PROG_TEST_RUN failed (errno ${-r})`);
  return attr.get("retval");
}

/** Kernel tests need CAP_BPF/CAP_SYS_ADMIN; report why they do not run. */
function lacksPrivilege(t: TestContext): boolean {
  if (process.getuid?.() === 0) return false;
  skipFor(t, "not root");
  return true;
}

function loadAndRun(b: ProgramBuilder): number {
  const fd = loadSocketFilter(b.build());
  try {
    return run(fd);
  } finally {
    fd.close();
  }
}

test("kernel: a bounded loop with a backward label sums 1..10", (t) => {
  if (lacksPrivilege(t)) return;
  const b = new ProgramBuilder()
    .mov64Imm(R0, 0).mov64Imm(R1, 1)
    .label("loop").add64Reg(R0, R1).add64Imm(R1, 1).jleImm(R1, 10, "loop")
    .exit();
  assert.equal(loadAndRun(b), 55);
});

test("kernel: bpf-to-bpf call through a label", (t) => {
  if (lacksPrivilege(t)) return;
  const b = new ProgramBuilder()
    .mov64Imm(R1, 21).callSubprog("double").exit()
    .label("double").mov64Reg(R0, R1).lsh64Imm(R0, 1).exit();
  assert.equal(loadAndRun(b), 42);
});

test("kernel: stack stores, loads and atomics (fetch, xchg, cmpxchg)", (t) => {
  if (lacksPrivilege(t)) return;
  const b = new ProgramBuilder()
    .stDW(R10, -8, 5) // *(u64 *)(fp-8) = 5
    .mov64Imm(R1, 3).atomicAdd64(R10, R1, -8, { fetch: true }) // r1 = 5, mem = 8
    .mov64Imm(R2, 1).atomicOr64(R10, R2, -8) // mem = 9
    .mov64Imm(R3, 100).atomicXchg64(R10, R3, -8) // r3 = 9, mem = 100
    .mov64Imm(R0, 100).mov64Imm(R2, 7).atomicCmpXchg64(R10, R2, -8) // r0 = 100 (matched), mem = 7
    .ldxDW(R6, R10, -8) // r6 = 7
    .stxW(R10, R6, -16).ldxW(R6, R10, -16)
    // r0 = r1 * 1000 + r3 * 10 + r6 = 5000 + 90 + 7
    .mov64Reg(R0, R1).mul64Imm(R0, 1000).mul64Imm(R3, 10).add64Reg(R0, R3).add64Reg(R0, R6)
    .exit();
  assert.equal(loadAndRun(b), 5097);
});

test("kernel: cpu v4 instructions (sdiv, smod, movsx, bswap, ldsx, gotol)", (t) => {
  if (lacksPrivilege(t)) return;
  const b = new ProgramBuilder()
    .mov64Imm(R1, -7).sdiv64Imm(R1, 2) // -3
    .mov64Imm(R2, -7).smod64Imm(R2, 4) // -3
    .add64Reg(R1, R2) // -6
    .mov64Imm(R3, 0xff).movsx64(R3, R3, 8) // -1
    .add64Reg(R1, R3) // -7
    .stH(R10, -2, 0x8001).ldxsH(R6, R10, -2) // -32767
    .add64Reg(R1, R6) // -32774
    .mov64Imm(R2, 0x1234).bswap(R2, 16) // 0x3412
    .add64Reg(R1, R2) // -32774 + 13330 = -19444
    .gotol("out") // the verifier rejects unreachable code, so jump to the next instruction
    .label("out").mov64Reg(R0, R1).neg64(R0) // 19444
    .exit();
  let fd: FD;
  try {
    fd = loadSocketFilter(b.build());
  } catch (e) {
    if (/unknown opcode|invalid/.test(String(e))) return skipFor(t, "kernel older than", { linux: "6.6", feature: "cpu v4 instructions" });
    throw e;
  }
  try {
    assert.equal(run(fd), 19444);
  } finally {
    fd.close();
  }
});

test("kernel: jmp32 compares only the low 32 bits", (t) => {
  if (lacksPrivilege(t)) return;
  const b = new ProgramBuilder()
    .ldImm64(R1, 0x1_0000_0005n)
    .mov64Imm(R0, 1)
    .jeq32Imm(R1, 5, "ok").mov64Imm(R0, 0)
    .label("ok")
    .jeqImm(R1, 5, "bad").exit()
    .label("bad").mov64Imm(R0, 2).exit();
  assert.equal(loadAndRun(b), 1);
});

test("ld_imm64 rejects unsafe JS numbers; map fds can be FD owners", () => {
  assert.throws(() => new ProgramBuilder().ldImm64(R1, 2 ** 60), InvalidInstructionError);
  assert.throws(() => new ProgramBuilder().ldImm64(R1, 1.5), InvalidInstructionError);
  const [a, b] = new ProgramBuilder().ldMapFd(R1, { raw: 9 }).ldMapValue(R2, { raw: 9 }, 16).instructions();
  assert.equal(a!.imm64, 9n);
  assert.equal(b!.imm64, (16n << 32n) | 9n);
});

/** A one-element u64 array map holding `value`. */
function u64ArrayMap(value: bigint): FD {
  const map = createArrayMap(8, 1);
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, value, true);
  try {
    updateArray(map, 0, bytes);
  } catch (e) {
    map.close();
    throw e;
  }
  return map;
}

test("kernel: map access through ldMapFd + helper call and through ldMapValue", (t) => {
  if (lacksPrivilege(t)) return;
  const map = u64ArrayMap(1234n);
  try {
    const viaHelper = new ProgramBuilder()
      .ldMapFd(R1, map).stW(R10, -4, 0).mov64Reg(R2, R10).add64Imm(R2, -4)
      .call("bpf_map_lookup_elem")
      .jeqImm(R0, 0, "out").ldxDW(R0, R0, 0)
      .label("out").exit();
    assert.equal(loadAndRun(viaHelper), 1234);
    const direct = new ProgramBuilder().ldMapValue(R1, map, 0).ldxDW(R0, R1, 0).add64Imm(R0, 1).exit();
    assert.equal(loadAndRun(direct), 1235);
  } finally {
    map.close();
  }
});
