// The machine against Documentation/bpf/standardization/instruction-set.rst,
// one instruction class at a time: the expected values are worked out from
// the document's definitions (wrap-around, sign, the defined results of
// division and modulo by zero, shift amounts masked to the register width,
// zero-extension of 32-bit results), not from the implementation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProgramBuilder, R0, R1, R2, R3, R4, R6, R10, InvalidInstructionError } from "../../src/asm/index.js";
import { Machine, VmProgram, type Engine, type RunOptions } from "../../src/vm/index.js";

const MAX64 = (1n << 64n) - 1n;

// Every test runs once per engine: the JIT must match the interpreter on each edge case.
let engine: Engine = "interpreter";
function both(name: string, fn: () => void): void {
  for (const e of ["interpreter", "jit"] as const) {
    test(`${name} [${e}]`, () => {
      engine = e;
      fn();
    });
  }
}
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);

/** Runs what `build` emits followed by exit; returns r0. */
function run(build: (b: ProgramBuilder) => void, options: RunOptions = {}, machine = new Machine()): bigint {
  const b = new ProgramBuilder();
  build(b);
  b.exit();
  return machine.run(new VmProgram(b.instructions()), { engine, ...options }).r0;
}

/** r0 = a; r1 = b; op(r0, r1); exit. */
function binop(a: bigint, b: bigint, op: (p: ProgramBuilder) => void): bigint {
  return run((p) => { p.ldImm64(R0, a).ldImm64(R1, b); op(p); });
}

both("ALU64 add/sub/mul wrap modulo 2^64", () => {
  assert.equal(binop(MAX64, 1n, (p) => p.add64Reg(R0, R1)), 0n);
  assert.equal(binop(0n, 1n, (p) => p.sub64Reg(R0, R1)), MAX64);
  assert.equal(binop(1n << 63n, 2n, (p) => p.mul64Reg(R0, R1)), 0n);
  assert.equal(binop(0x1_0000_0001n, 0x1_0000_0001n, (p) => p.mul64Reg(R0, R1)), u64(0x1_0000_0001n * 0x1_0000_0001n));
  // The immediate is sign-extended to 64 bits.
  assert.equal(run((p) => p.mov64Imm(R0, 5).add64Imm(R0, -1)), 4n);
  assert.equal(run((p) => p.mov64Imm(R0, -1)), MAX64);
});

both("ALU32 results are zero-extended; operands are the low 32 bits", () => {
  assert.equal(binop(0xffff_ffff_ffff_ffffn, 1n, (p) => p.add32Reg(R0, R1)), 0n);
  assert.equal(binop(0xaaaa_0000_0000_0005n, 0xbbbb_0000_0000_0003n, (p) => p.sub32Reg(R0, R1)), 2n);
  assert.equal(binop(0n, 1n, (p) => p.sub32Reg(R0, R1)), 0xffff_ffffn);
  assert.equal(binop(0x1234_5678_9abc_def0n, 0n, (p) => p.mov32Reg(R0, R0)), 0x9abc_def0n);
  assert.equal(binop(0x8000_0000n, 0x8000_0000n, (p) => p.mul32Reg(R0, R1)), 0n);
  assert.equal(binop(0xffff_ffffn, 0xffff_ffffn, (p) => p.mul32Reg(R0, R1)), 1n);
  assert.equal(run((p) => p.mov32Imm(R0, -1)), 0xffff_ffffn);
  assert.equal(run((p) => p.ldImm64(R0, MAX64).or32Imm(R0, 0)), 0xffff_ffffn);
});

both("unsigned DIV: x / 0 = 0; ALU64 imm is sign-extended then unsigned, ALU32 imm is u32", () => {
  assert.equal(binop(7n, 0n, (p) => p.div64Reg(R0, R1)), 0n);
  assert.equal(binop(7n, 0n, (p) => p.div32Reg(R0, R1)), 0n);
  assert.equal(binop(MAX64, 2n, (p) => p.div64Reg(R0, R1)), MAX64 / 2n);
  // -1 as imm: ALU64 divides by 2^64-1, ALU32 by 2^32-1.
  assert.equal(run((p) => p.ldImm64(R0, MAX64).div64Imm(R0, -1)), 1n);
  assert.equal(run((p) => p.ldImm64(R0, 0xffff_fffen).div64Imm(R0, -1)), 0n);
  assert.equal(run((p) => p.mov32Imm(R0, -1).div32Imm(R0, -1)), 1n);
  assert.equal(binop(0x1_0000_0010n, 3n, (p) => p.div32Reg(R0, R1)), 5n);
});

both("unsigned MOD: x % 0 leaves dst (ALU64 whole; ALU32 truncated to 32 bits)", () => {
  assert.equal(binop(0x1234_5678_9abc_def0n, 0n, (p) => p.mod64Reg(R0, R1)), 0x1234_5678_9abc_def0n);
  assert.equal(binop(0x1234_5678_9abc_def0n, 0n, (p) => p.mod32Reg(R0, R1)), 0x9abc_def0n);
  assert.equal(binop(17n, 5n, (p) => p.mod64Reg(R0, R1)), 2n);
  assert.equal(run((p) => p.mov64Imm(R0, -1).mod64Imm(R0, -2)), 1n); // (2^64-1) % (2^64-2)
  assert.equal(run((p) => p.mov32Imm(R0, 10).mod32Imm(R0, 0)), 10n);
});

both("SDIV/SMOD (offset 1): truncation toward zero, sign of the dividend, INT_MIN / -1 wraps", () => {
  const MIN64 = 1n << 63n;
  assert.equal(binop(u64(-7n), 2n, (p) => p.sdiv64Reg(R0, R1)), u64(-3n));
  assert.equal(binop(7n, u64(-2n), (p) => p.sdiv64Reg(R0, R1)), u64(-3n));
  assert.equal(binop(u64(-13n), 3n, (p) => p.smod64Reg(R0, R1)), u64(-1n));
  assert.equal(binop(13n, u64(-3n), (p) => p.smod64Reg(R0, R1)), 1n);
  assert.equal(binop(MIN64, MAX64, (p) => p.sdiv64Reg(R0, R1)), MIN64);
  assert.equal(binop(MIN64, MAX64, (p) => p.smod64Reg(R0, R1)), 0n);
  assert.equal(binop(u64(-5n), 0n, (p) => p.sdiv64Reg(R0, R1)), 0n);
  assert.equal(binop(u64(-5n), 0n, (p) => p.smod64Reg(R0, R1)), u64(-5n));
  assert.equal(run((p) => p.mov64Imm(R0, -9).sdiv64Imm(R0, -3)), 3n);
  // 32-bit: operands are signed 32-bit, results zero-extended.
  assert.equal(run((p) => p.mov32Imm(R0, -7).sdiv32Imm(R0, 2)), 0xffff_fffdn);
  assert.equal(run((p) => p.mov32Imm(R0, -13).smod32Imm(R0, 3)), 0xffff_ffffn);
  assert.equal(run((p) => p.mov32Imm(R0, 0x8000_0000 | 0).sdiv32Imm(R0, -1)), 0x8000_0000n);
  assert.equal(run((p) => p.mov32Imm(R0, 0x8000_0000 | 0).smod32Imm(R0, -1)), 0n);
  assert.equal(run((p) => p.ldImm64(R0, 0xffff_ffff_ffff_fff9n).smod32Imm(R0, 0)), 0xffff_fff9n);
  assert.equal(run((p) => p.mov32Imm(R0, -7).sdiv32Imm(R0, 0)), 0n);
});

both("bitwise ops and NEG", () => {
  assert.equal(binop(0xf0n, 0x0fn, (p) => p.or64Reg(R0, R1)), 0xffn);
  assert.equal(binop(0xf0f0n, 0xff00n, (p) => p.and64Reg(R0, R1)), 0xf000n);
  assert.equal(binop(0xf0f0n, 0xff00n, (p) => p.xor64Reg(R0, R1)), 0x0ff0n);
  assert.equal(run((p) => p.mov64Imm(R0, 0xff).and64Imm(R0, -16)), 0xf0n); // imm sign-extended
  assert.equal(run((p) => p.mov64Imm(R0, 0).xor64Imm(R0, -1)), MAX64);
  assert.equal(run((p) => p.mov64Imm(R0, 0).xor32Imm(R0, -1)), 0xffff_ffffn);
  assert.equal(run((p) => p.mov64Imm(R0, 1).neg64(R0)), MAX64);
  assert.equal(run((p) => p.mov64Imm(R0, 1).neg32(R0)), 0xffff_ffffn);
  assert.equal(run((p) => p.ldImm64(R0, 1n << 63n).neg64(R0)), 1n << 63n);
  assert.equal(run((p) => p.mov64Imm(R0, 0).neg64(R0)), 0n);
});

both("shifts mask the amount to 63 (ALU64) or 31 (ALU32); ARSH keeps the sign", () => {
  assert.equal(binop(1n, 64n, (p) => p.lsh64Reg(R0, R1)), 1n);
  assert.equal(binop(1n, 65n, (p) => p.lsh64Reg(R0, R1)), 2n);
  assert.equal(binop(1n, 63n, (p) => p.lsh64Reg(R0, R1)), 1n << 63n);
  assert.equal(binop(1n, 32n, (p) => p.lsh32Reg(R0, R1)), 1n);
  assert.equal(binop(1n, 31n, (p) => p.lsh32Reg(R0, R1)), 0x8000_0000n);
  assert.equal(binop(1n << 63n, 63n, (p) => p.rsh64Reg(R0, R1)), 1n);
  assert.equal(binop(1n << 63n, 127n, (p) => p.rsh64Reg(R0, R1)), 1n);
  assert.equal(binop(1n << 63n, 63n, (p) => p.arsh64Reg(R0, R1)), MAX64);
  assert.equal(binop(0xffff_ffff_8000_0000n, 31n, (p) => p.rsh32Reg(R0, R1)), 1n);
  assert.equal(binop(0x8000_0000n, 31n, (p) => p.arsh32Reg(R0, R1)), 0xffff_ffffn);
  assert.equal(binop(0x8000_0000n, 32n, (p) => p.arsh32Reg(R0, R1)), 0x8000_0000n);
  // The amount is the source's low bits only: 0x1_0000_0001 shifts by 1.
  assert.equal(binop(4n, 0x1_0000_0001n, (p) => p.rsh64Reg(R0, R1)), 2n);
  assert.equal(run((p) => p.mov64Imm(R0, 1).lsh64Imm(R0, 40)), 1n << 40n);
  assert.equal(run((p) => p.mov64Imm(R0, -8).arsh64Imm(R0, 1)), u64(-4n));
  assert.equal(run((p) => p.mov64Imm(R0, -8).arsh32Imm(R0, 1)), 0xffff_fffcn);
});

both("MOV and MOVSX (offset 8/16/32): sign-extending moves", () => {
  assert.equal(binop(0n, 0x80n, (p) => p.movsx64(R0, R1, 8)), u64(-128n));
  assert.equal(binop(0n, 0x7fn, (p) => p.movsx64(R0, R1, 8)), 0x7fn);
  assert.equal(binop(0n, 0x1234_8000n, (p) => p.movsx64(R0, R1, 16)), u64(-32768n));
  assert.equal(binop(0n, 0xffff_ffff_8000_0000n, (p) => p.movsx64(R0, R1, 32)), u64(-(1n << 31n)));
  assert.equal(binop(0n, 0x0000_0001_7fff_ffffn, (p) => p.movsx64(R0, R1, 32)), 0x7fff_ffffn);
  // ALU32 MOVSX: sign-extends to 32 bits, then zero-extends.
  assert.equal(binop(0n, 0x80n, (p) => p.movsx32(R0, R1, 8)), 0xffff_ff80n);
  assert.equal(binop(0n, 0x8000n, (p) => p.movsx32(R0, R1, 16)), 0xffff_8000n);
  assert.equal(binop(0n, 0x1234_5678_9abc_def0n, (p) => p.mov64Reg(R0, R1)), 0x1234_5678_9abc_def0n);
});

both("byte swaps: le truncates (little-endian machine), be and bswap swap", () => {
  const v = 0x0123_4567_89ab_cdefn;
  const with_ = (op: (p: ProgramBuilder) => void): bigint => run((p) => { p.ldImm64(R0, v); op(p); });
  assert.equal(with_((p) => p.toLe(R0, 16)), 0xcdefn);
  assert.equal(with_((p) => p.toLe(R0, 32)), 0x89ab_cdefn);
  assert.equal(with_((p) => p.toLe(R0, 64)), v);
  assert.equal(with_((p) => p.toBe(R0, 16)), 0xefcdn);
  assert.equal(with_((p) => p.toBe(R0, 32)), 0xefcd_ab89n);
  assert.equal(with_((p) => p.toBe(R0, 64)), 0xefcd_ab89_6745_2301n);
  assert.equal(with_((p) => p.bswap(R0, 16)), 0xefcdn);
  assert.equal(with_((p) => p.bswap(R0, 32)), 0xefcd_ab89n);
  assert.equal(with_((p) => p.bswap(R0, 64)), 0xefcd_ab89_6745_2301n);
});

/** 1 when the jump emitted by `jmp` (to label "t") is taken, else 0. */
function taken(a: bigint, b: bigint, jmp: (p: ProgramBuilder) => void): bigint {
  return run((p) => {
    p.ldImm64(R1, a).ldImm64(R2, b).mov64Imm(R0, 1);
    jmp(p);
    p.mov64Imm(R0, 0).label("t");
  });
}

both("JMP conditions: unsigned and signed 64-bit, register and sign-extended immediate", () => {
  const m1 = MAX64;
  const cases: [string, (p: ProgramBuilder) => void, bigint, bigint, bigint][] = [
    ["jeq", (p) => p.jeqReg(R1, R2, "t"), 5n, 5n, 1n],
    ["jne", (p) => p.jneReg(R1, R2, "t"), 5n, 5n, 0n],
    ["jgt unsigned", (p) => p.jgtReg(R1, R2, "t"), m1, 1n, 1n],
    ["jsgt signed", (p) => p.jsgtReg(R1, R2, "t"), m1, 1n, 0n],
    ["jge", (p) => p.jgeReg(R1, R2, "t"), 1n, 1n, 1n],
    ["jsge", (p) => p.jsgeReg(R1, R2, "t"), m1, 0n, 0n],
    ["jlt", (p) => p.jltReg(R1, R2, "t"), 1n, m1, 1n],
    ["jslt", (p) => p.jsltReg(R1, R2, "t"), m1, 0n, 1n],
    ["jle", (p) => p.jleReg(R1, R2, "t"), 2n, 1n, 0n],
    ["jsle", (p) => p.jsleReg(R1, R2, "t"), m1, m1, 1n],
    ["jset", (p) => p.jsetReg(R1, R2, "t"), 0x10n, 0x11n, 1n],
    ["jset none", (p) => p.jsetReg(R1, R2, "t"), 0x10n, 0x01n, 0n],
    // imm -1 is 2^64-1 unsigned.
    ["jeq imm -1", (p) => p.jeqImm(R1, -1, "t"), m1, 0n, 1n],
    ["jgt imm -1", (p) => p.jgtImm(R1, -1, "t"), m1, 0n, 0n],
    ["jsgt imm -1", (p) => p.jsgtImm(R1, -1, "t"), 0n, 0n, 1n],
    ["jlt imm high bits", (p) => p.jltImm(R1, 1, "t"), 1n << 32n, 0n, 0n],
  ];
  for (const [name, jmp, a, b, want] of cases) assert.equal(taken(a, b, jmp), want, name);
});

both("JMP32 conditions compare the low 32 bits only", () => {
  const cases: [string, (p: ProgramBuilder) => void, bigint, bigint, bigint][] = [
    ["jeq32 ignores high bits", (p) => p.jeq32Reg(R1, R2, "t"), 0xaaaa_0000_0000_0005n, 5n, 1n],
    ["jgt32 unsigned", (p) => p.jgt32Reg(R1, R2, "t"), 0xffff_ffffn, 1n, 1n],
    ["jsgt32 signed", (p) => p.jsgt32Reg(R1, R2, "t"), 0xffff_ffffn, 1n, 0n],
    ["jslt32 imm", (p) => p.jslt32Imm(R1, 0, "t"), 0x8000_0000n, 0n, 1n],
    ["jeq32 imm -1", (p) => p.jeq32Imm(R1, -1, "t"), 0x1_ffff_ffffn, 0n, 1n],
    ["jset32 high bit outside", (p) => p.jset32Reg(R1, R2, "t"), 1n << 40n, 1n << 40n, 0n],
    ["jle32", (p) => p.jle32Imm(R1, 7, "t"), 0x1_0000_0007n, 0n, 1n],
    ["jsge32", (p) => p.jsge32Reg(R1, R2, "t"), 0x7fff_ffffn, 0x8000_0000n, 1n],
  ];
  for (const [name, jmp, a, b, want] of cases) assert.equal(taken(a, b, jmp), want, name);
});

both("JA (offset) and JA32 / gotol (imm) jump; a backward loop runs", () => {
  assert.equal(run((p) => p.mov64Imm(R0, 1).ja("x").mov64Imm(R0, 2).label("x")), 1n);
  assert.equal(run((p) => p.mov64Imm(R0, 1).gotol("x").mov64Imm(R0, 2).label("x")), 1n);
  // r0 = sum 1..10 with a backward jump.
  assert.equal(run((p) => p.mov64Imm(R0, 0).mov64Imm(R1, 10).label("l").add64Reg(R0, R1).sub64Imm(R1, 1).jneImm(R1, 0, "l")), 55n);
});

both("loads and stores: sizes, zero-extension, MEMSX sign-extension, ST imm sign-extended to 64", () => {
  const machine = new Machine();
  const mem = Uint8Array.from([0x80, 0xff, 0x01, 0x80, 0xfe, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
  const region = machine.memory.map("test memory", mem);
  const opts = { args: [region.base] };
  assert.equal(run((p) => p.ldxB(R0, R1, 0), opts, machine), 0x80n);
  assert.equal(run((p) => p.ldxH(R0, R1, 0), opts, machine), 0xff80n);
  assert.equal(run((p) => p.ldxW(R0, R1, 0), opts, machine), 0x8001_ff80n);
  assert.equal(run((p) => p.ldxDW(R0, R1, 0), opts, machine), 0xffff_fffe_8001_ff80n);
  assert.equal(run((p) => p.ldxsB(R0, R1, 0), opts, machine), u64(-128n));
  assert.equal(run((p) => p.ldxsH(R0, R1, 0), opts, machine), u64(-128n));
  assert.equal(run((p) => p.ldxsW(R0, R1, 4), opts, machine), u64(-2n));
  assert.equal(run((p) => p.ldxsB(R0, R1, 2), opts, machine), 1n);
  // Unaligned access is allowed.
  assert.equal(run((p) => p.ldxW(R0, R1, 1), opts, machine), 0xfe80_01ffn);
  // ST DW stores the sign-extended immediate; STX stores registers.
  assert.equal(run((p) => p.stDW(R1, 8, -2).ldxDW(R0, R1, 8), opts, machine), u64(-2n));
  assert.equal(run((p) => p.stW(R1, 8, 0x1234_5678).ldxDW(R0, R1, 8), opts, machine), 0xffff_ffff_1234_5678n);
  assert.equal(run((p) => p.stH(R1, 8, 0xabcd).stB(R1, 10, 0x7f).ldxW(R0, R1, 8), opts, machine), 0x127f_abcdn);
  assert.equal(run((p) => p.ldImm64(R2, 0x0102_0304_0506_0708n).stxDW(R1, R2, 8).stxB(R1, R2, 15).ldxDW(R0, R1, 8), opts, machine), 0x0802_0304_0506_0708n);
  assert.deepEqual([...mem.subarray(8)], [8, 7, 6, 5, 4, 3, 2, 8]);
});

both("the stack: r10 points past 512 bytes per frame; locals round-trip", () => {
  assert.equal(run((p) => p.stDW(R10, -8, 77).ldxDW(R0, R10, -8)), 77n);
  assert.equal(run((p) => p.stB(R10, -512, 9).ldxB(R0, R10, -512)), 9n);
  assert.throws(() => run((p) => p.ldxB(R0, R10, -513)), { code: "VM_FAULT", region: "stack frame 0", index: 0 });
  assert.throws(() => run((p) => p.ldxB(R0, R10, 0)), { code: "VM_FAULT", region: "stack frame 0" });
});

both("atomics: add/or/and/xor with and without fetch, xchg, cmpxchg (32 and 64 bits)", () => {
  const machine = new Machine();
  const mem = new Uint8Array(16);
  const region = machine.memory.map("atomics", mem);
  const view = new DataView(mem.buffer);
  const at = (build: (p: ProgramBuilder) => void, init: bigint): { r0: bigint; mem: bigint } => {
    view.setBigUint64(0, init, true);
    const r0 = run(build, { args: [region.base] }, machine);
    return { r0, mem: view.getBigUint64(0, true) };
  };
  assert.deepEqual(at((p) => p.mov64Imm(R2, 5).atomicAdd64(R1, R2, 0).mov64Reg(R0, R2), MAX64), { r0: 5n, mem: 4n });
  assert.deepEqual(at((p) => p.mov64Imm(R2, 5).atomicAdd64(R1, R2, 0, { fetch: true }).mov64Reg(R0, R2), 10n), { r0: 10n, mem: 15n });
  // 32-bit: only the low word changes; fetch zero-extends the old value.
  assert.deepEqual(at((p) => p.mov64Imm(R2, 1).atomicAdd32(R1, R2, 0, { fetch: true }).mov64Reg(R0, R2), 0x7_ffff_ffffn), { r0: 0xffff_ffffn, mem: 0x7_0000_0000n });
  assert.deepEqual(at((p) => p.mov64Imm(R2, 0x0f).atomicOr64(R1, R2, 0, { fetch: true }).mov64Reg(R0, R2), 0xf0n), { r0: 0xf0n, mem: 0xffn });
  assert.deepEqual(at((p) => p.mov64Imm(R2, 0x0f).atomicAnd32(R1, R2, 0).mov64Reg(R0, R2), 0xffn), { r0: 0x0fn, mem: 0x0fn });
  assert.deepEqual(at((p) => p.mov64Imm(R2, -1).atomicXor64(R1, R2, 0, { fetch: true }).mov64Reg(R0, R2), 0n), { r0: 0n, mem: MAX64 });
  assert.deepEqual(at((p) => p.mov64Imm(R2, 3).atomicXchg64(R1, R2, 0).mov64Reg(R0, R2), 9n), { r0: 9n, mem: 3n });
  assert.deepEqual(at((p) => p.mov64Imm(R2, 3).atomicXchg32(R1, R2, 0).mov64Reg(R0, R2), 0x1_0000_0009n), { r0: 9n, mem: 0x1_0000_0003n });
  // cmpxchg: equal → store src; r0 gets the old value either way.
  assert.deepEqual(at((p) => p.mov64Imm(R0, 9).mov64Imm(R2, 3).atomicCmpXchg64(R1, R2, 0), 9n), { r0: 9n, mem: 3n });
  assert.deepEqual(at((p) => p.mov64Imm(R0, 8).mov64Imm(R2, 3).atomicCmpXchg64(R1, R2, 0), 9n), { r0: 9n, mem: 9n });
  assert.deepEqual(at((p) => p.ldImm64(R0, 0xffff_0000_0000_0009n).mov64Imm(R2, 3).atomicCmpXchg32(R1, R2, 0), 0x5_0000_0009n), { r0: 9n, mem: 0x5_0000_0003n });
  assert.deepEqual(at((p) => p.mov64Imm(R2, 7).storeRelease("H", R1, R2, 0).loadAcquire("B", R0, R1, 0), MAX64), { r0: 7n, mem: 0xffff_ffff_ffff_0007n });
  // Atomics outside a region fault as writes.
  assert.throws(() => at((p) => p.mov64Imm(R2, 1).atomicAdd64(R1, R2, 12), 0n), { code: "VM_FAULT", access: "write", region: "atomics" });
});

both("ld_imm64 loads a full 64-bit constant; map references need a resolver", () => {
  assert.equal(run((p) => p.ldImm64(R0, 0xdead_beef_cafe_f00dn)), 0xdead_beef_cafe_f00dn);
  const map = new ProgramBuilder().ldMapValue(R0, 5, 16).exit().instructions();
  assert.throws(() => new VmProgram(map), InvalidInstructionError);
  const program = new VmProgram(map, { resolveLdImm64: (src, imm, off) => BigInt(src * 1000 + imm * 100 + off) });
  assert.equal(new Machine().run(program, { engine }).r0, 2516n);
});

both("bpf-to-bpf calls: r1–r5 passed, r0 returned, r6–r9 preserved, a fresh 512-byte stack per frame", () => {
  const r0 = run((p) => {
    p.mov64Imm(R6, 100).mov64Imm(R1, 7).stDW(R10, -8, 1000).callSubprog("f")
      .add64Reg(R0, R6).ldxDW(R2, R10, -8).add64Reg(R0, R2).exit()
      .label("f").mov64Imm(R6, 0).stDW(R10, -8, 5).ldxDW(R0, R10, -8).add64Reg(R0, R1);
  });
  assert.equal(r0, 5n + 7n + 100n + 1000n);
  // Unbounded recursion stops at the call-depth limit.
  assert.throws(() => run((p) => p.label("f").callSubprog("f")), { code: "VM_LIMIT", limit: "call-depth" });
});

both("helper calls: given helpers run, unknown ones are a typed error naming them", () => {
  const machine = new Machine({ helpers: { get_prandom_u32: () => 4, 5: (_ctx, r1) => r1 * 2n } });
  assert.equal(run((p) => p.call("get_prandom_u32"), {}, machine), 4n);
  assert.equal(run((p) => p.mov64Imm(R1, 21).call(5), {}, machine), 42n);
  assert.throws(() => run((p) => p.call("map_lookup_elem"), {}, machine), { code: "VM_UNKNOWN_HELPER", helperName: "map_lookup_elem", helper: 1 });
  assert.throws(() => run((p) => p.callKfunc(1234)), { code: "VM_UNKNOWN_HELPER", helper: 1234 });
  // A helper that throws a plain Error comes out typed.
  const bad = new Machine({ helpers: { 7: () => { throw new TypeError("boom"); } } });
  assert.throws(() => run((p) => p.call(7), {}, bad), { code: "VM_FAULT", message: /boom/ });
});

both("callbacks: a helper can run a subprogram through callFunction (bpf_loop shape)", () => {
  const machine = new Machine({
    helpers: {
      loop: (ctx, n, fn, arg) => { let i = 0n; for (; i < n; i++) if (ctx.callFunction(fn, [i, arg]) !== 0n) break; return i; },
    },
  });
  // r6 = stack slot address; loop 5 times adding the index into it.
  const r0 = run((p) => {
    p.stDW(R10, -8, 0).mov64Reg(R3, R10).add64Imm(R3, -8).mov64Imm(R1, 5).ldFunc(R2, "cb").mov64Imm(R4, 0).call("loop")
      .ldxDW(R0, R10, -8).exit()
      .label("cb").ldxDW(R3, R2, 0).add64Reg(R3, R1).stxDW(R2, R3, 0).mov64Imm(R0, 0);
  }, {}, machine);
  assert.equal(r0, 0n + 1n + 2n + 3n + 4n);
  // A value that is not the address of an instruction is a fault, not a jump into data.
  const bogus = new Machine({ helpers: { loop: (ctx, _n, fn) => ctx.callFunction(fn + 1n, []) } });
  assert.throws(() => run((p) => p.ldFunc(R2, "cb").call("loop").exit().label("cb").ldImm64(R0, 1n), {}, bogus), { code: "VM_FAULT", message: /not a code address/ });
  assert.throws(() => run((p) => p.mov64Imm(R2, 0).call("loop"), {}, bogus), { code: "VM_FAULT", message: /not a code address/ });
});

both("memory faults name the instruction, the address and the region; no raw JS exception", () => {
  const machine = new Machine();
  const region = machine.memory.map("ctx", new Uint8Array(8), { writable: false });
  assert.throws(() => run((p) => p.ldxDW(R0, R1, 4), { args: [region.base] }, machine), (e: unknown) => {
    assert.ok(e instanceof Error);
    const f = e as unknown as { code: string; index: number; address: bigint; region: string; size: number; message: string };
    assert.equal(f.code, "VM_FAULT");
    assert.equal(f.index, 0);
    assert.equal(f.address, region.base + 4n);
    assert.equal(f.region, "ctx");
    assert.equal(f.size, 8);
    assert.match(f.message, /instruction 0: read of 8 bytes at 0x[0-9a-f]+: out of bounds of ctx/);
    return true;
  });
  assert.throws(() => run((p) => p.stB(R1, 0, 1), { args: [region.base] }, machine), { code: "VM_FAULT", access: "write", message: /read-only/ });
  assert.throws(() => run((p) => p.mov64Imm(R1, 0).ldxB(R0, R1, 0)), { code: "VM_FAULT", region: undefined, message: /null pointer/ });
  assert.throws(() => run((p) => p.ldImm64(R1, MAX64).ldxW(R0, R1, 0)), { code: "VM_FAULT", message: /in no region/ });
  // Address arithmetic wraps across 2^64 without escaping a fault.
  assert.throws(() => run((p) => p.mov64Imm(R1, 0).ldxW(R0, R1, -4)), { code: "VM_FAULT" });
  // An 8-byte store that straddles the end writes nothing.
  const mem = new Uint8Array(12);
  const r = machine.memory.map("straddle", mem);
  assert.throws(() => run((p) => p.stDW(R1, 8, -1), { args: [r.base] }, machine), { code: "VM_FAULT" });
  assert.deepEqual([...mem], new Array(12).fill(0));
});

both("the instruction budget stops an endless loop", () => {
  const program = new VmProgram(new ProgramBuilder().label("l").ja("l").exit().instructions());
  assert.throws(() => new Machine({ budget: 1000 }).run(program, { engine }), { code: "VM_LIMIT", limit: "instructions" });
  const counted = new Machine().run(new VmProgram(new ProgramBuilder().mov64Imm(R0, 1).exit().instructions()), { engine });
  assert.equal(counted.instructions, 2);
});

both("may_goto falls through until its loop budget is spent", () => {
  const r0 = run((p) => p.mov64Imm(R0, 0).label("l").mayGoto("out").add64Imm(R0, 1).ja("l").label("out"), { budget: 100_000_000 });
  assert.equal(r0, 8n * 1024n * 1024n);
});

both("legacy BPF_ABS / BPF_IND loads read the packet big-endian; out of bounds ends with r0 = 0", () => {
  const machine = new Machine();
  const packet = machine.memory.map("packet", Uint8Array.from([0x12, 0x34, 0x56, 0x78, 0x9a]));
  assert.equal(run((p) => p.ldAbs("W", 1), { packet }, machine), 0x3456_789an);
  assert.equal(run((p) => p.mov64Imm(R3, 2).ldInd("H", R3, 1), { packet }, machine), 0x789an);
  assert.equal(run((p) => p.ldAbs("B", 4), { packet }, machine), 0x9an);
  assert.equal(run((p) => p.ldAbs("W", 2).mov64Imm(R0, 7), { packet }, machine), 0n);
});

both("invalid programs are refused before running, with the slot index", () => {
  const bad = (build: (p: ProgramBuilder) => void, why: RegExp): void => {
    const p = new ProgramBuilder();
    build(p);
    assert.throws(() => new VmProgram(p.instructions()), (e: unknown) => e instanceof InvalidInstructionError && why.test(e.message));
  };
  bad((p) => p.mov64Imm(R0, 0), /fall off the end/);
  bad((p) => p.mov64Imm(R10, 0).exit(), /r10 is read-only/);
  bad((p) => p.raw({ opcode: 0x05, dst: 0, src: 0, offset: 5, imm: 0 }).exit(), /outside the program/);
  bad((p) => p.raw({ opcode: 0x05, dst: 0, src: 0, offset: 1, imm: 0 }).ldImm64(R0, 1).exit(), /second slot/);
  bad((p) => p.raw({ opcode: 0xd4, dst: 0, src: 0, offset: 0, imm: 8 }).exit(), /byte swap width/);
  bad((p) => p.raw({ opcode: 0x3f, dst: 0, src: 1, offset: 2, imm: 0 }).exit(), /div\/mod/);
  bad((p) => p.raw({ opcode: 0xbc, dst: 0, src: 1, offset: 32, imm: 0 }).exit(), /sign-extension width/);
  bad((p) => p.raw({ opcode: 0xf7, dst: 0, src: 0, offset: 0, imm: 0 }).exit(), /unknown ALU/);
  bad((p) => p.raw({ opcode: 0x99, dst: 0, src: 0, offset: 0, imm: 0 }).exit(), /MEMSX|64-bit size/);
  bad((p) => p.raw({ opcode: 0xdb, dst: 1, src: 2, offset: 0, imm: 0x02 }).exit(), /unknown atomic/);
  bad((p) => p.raw({ opcode: 0xd3, dst: 1, src: 2, offset: 0, imm: 0x00 }).exit(), /32 or 64 bits/);
  bad((p) => p.raw({ opcode: 0xbf, dst: 11, src: 0, offset: 0, imm: 0 }).exit(), /does not exist/);
  assert.throws(() => VmProgram.fromBytes(new Uint8Array(12)), InvalidInstructionError);
  assert.throws(() => VmProgram.fromBytes(new Uint8Array(0)), InvalidInstructionError);
});

both("r3/r4 pass through untouched; r1–r5 come from args", () => {
  assert.equal(run((p) => p.mov64Reg(R0, R3).add64Reg(R0, R4), { args: [0, 0, 40, 2] }), 42n);
  assert.equal(run((p) => p.mov64Reg(R0, R1), { args: [-1] }), MAX64);
  assert.throws(() => run((p) => p.mov64Reg(R0, R1), { args: [1.5] }), { code: "INVALID_ARGUMENT" });
  assert.throws(() => run((p) => p.mov64Reg(R0, R1), { args: [0, 0, 0, 0, 0, 0] }), { code: "INVALID_ARGUMENT" });
});
