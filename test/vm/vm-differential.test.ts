// The machine against the kernel on random programs the verifier accepts
// (test/vm/random-program.ts). Each program holds 64 cases whose r0–r5 come
// from the packet of an XDP test run and go back into it, so one load checks
// the program's code and each BPF_PROG_TEST_RUN checks 64 cases on new
// inputs: 50 programs × 32 inputs × 64 cases = 102,400 cases, in about a
// hundred milliseconds of verifier time per program and one syscall per 64
// cases. The machine runs the same body, interpreted (and JIT-compiled for
// one program in five) (only the prologue that finds the
// packet differs: the kernel's reads xdp_md, the machine's loads the
// region's address) and the packets must agree byte for byte. Seeds are
// fixed; a failure names the seed, the input, the case and the register.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProgramBuilder, R0, R1, R2, R3, R4, R9 } from "../../src/asm/index.js";
import { Program, ProgramType } from "../../src/program.js";
import { Machine, VmProgram } from "../../src/vm/index.js";
import { CASE_RESULT_BYTES, MAX_CASES, Random, randomBody, randomInputs } from "./random-program.js";

const PROGRAMS = 50;
const INPUTS_PER_PROGRAM = 32;
const CASES = MAX_CASES;
const PACKET_BYTES = CASES * CASE_RESULT_BYTES;
const FIRST_SEED = 0x5eed_0000;
const XDP_PASS = 2;
/**
 * The JIT runs every JIT_EVERY-th program (20,480 cases): compiling a
 * 1,500-slot program costs V8 a few hundred milliseconds, more than the 32
 * runs it then serves.
 */
const JIT_EVERY = 5;

/** r0–r5 of case `c` in a packet. */
function caseRegisters(bytes: Uint8Array, c: number): bigint[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: 6 }, (_, r) => view.getBigUint64(c * CASE_RESULT_BYTES + r * 8, true));
}

/** The kernel's program: r9 = xdp_md->data after a bounds check for the whole packet. */
function kernelProgram(seed: number): Uint8Array {
  const b = new ProgramBuilder()
    .ldxW(R2, R1, 0).ldxW(R3, R1, 4).mov64Reg(R9, R2).mov64Reg(R4, R2).add64Imm(R4, PACKET_BYTES).jgtReg(R4, R3, "short");
  randomBody(b, new Random(seed), CASES);
  return b.mov64Imm(R0, XDP_PASS).exit().label("short").mov64Imm(R0, 0).exit().build();
}

/** The machine's program: r9 = the packet region's address, then the same body. */
function machineProgram(seed: number, packetBase: bigint): VmProgram {
  const b = new ProgramBuilder().ldImm64(R9, packetBase);
  randomBody(b, new Random(seed), CASES);
  return new VmProgram(b.mov64Imm(R0, XDP_PASS).exit().instructions());
}

test(`random verifier-accepted programs agree with the kernel on r0–r5, in the interpreter and the JIT (${PROGRAMS * INPUTS_PER_PROGRAM * CASES} cases)`, () => {
  const timing = { load: 0, kernelRuns: 0, interpreter: 0, jit: 0, instructions: 0 };
  const machine = new Machine();
  const packet = machine.memory.map("packet", new Uint8Array(PACKET_BYTES));
  const dataOut = new Uint8Array(PACKET_BYTES);
  for (let p = 0; p < PROGRAMS; p++) {
    const seed = FIRST_SEED + p;
    let t = performance.now();
    const prog = Program.load({ type: ProgramType.XDP, instructions: kernelProgram(seed), license: "GPL", name: "vm_diff" });
    timing.load += performance.now() - t;
    const vmProgram = machineProgram(seed, packet.base);
    const inputs = new Random(~seed);
    try {
      for (let i = 0; i < INPUTS_PER_PROGRAM; i++) {
        const data = randomInputs(inputs, CASES);
        t = performance.now();
        const kernel = prog.testRun({ data, dataOut });
        timing.kernelRuns += performance.now() - t;
        assert.equal(kernel.retval, XDP_PASS);
        const want = kernel.dataOut as Uint8Array;
        for (const engine of p % JIT_EVERY === 0 ? (["interpreter", "jit"] as const) : (["interpreter"] as const)) {
          t = performance.now();
          packet.bytes.set(data);
          const run = machine.run(vmProgram, { engine });
          timing[engine] += performance.now() - t;
          timing.instructions += run.instructions;
          assert.equal(run.r0, BigInt(XDP_PASS));
          if (Buffer.compare(want, packet.bytes) === 0) continue;
          for (let c = 0; c < CASES; c++) {
            const k = caseRegisters(want, c);
            const m = caseRegisters(packet.bytes, c);
            for (let r = 0; r < 6; r++) {
              assert.equal(m[r], k[r], `${engine}: seed 0x${seed.toString(16)}, input ${i}, case ${c}, r${r}: machine 0x${m[r]?.toString(16)}, kernel 0x${k[r]?.toString(16)}`);
            }
          }
        }
      }
    } finally {
      prog.close();
    }
  }
  const ms = (v: number): string => `${Math.round(v)} ms`;
  process.stdout.write(`# vm differential: ${PROGRAMS * INPUTS_PER_PROGRAM * CASES} cases; kernel: load ${ms(timing.load)}, test runs ${ms(timing.kernelRuns)}; machine: interpreter ${ms(timing.interpreter)}, JIT ${ms(timing.jit)} (compiling included; every ${JIT_EVERY}th program), ${timing.instructions} instructions\n`);
});
