// The JIT's own machinery against the interpreter, where random programs
// (vm-fuzz) rarely go: budgets that run out at every instruction of a loop
// the JIT turned into a JavaScript loop (blocks are charged on entry, so the
// count and the error must still be exact), loops with inner branches and
// calls, the region cache (a read-only region cached by a load, a region a
// helper removes, a region at the top of 4 GiB that a wrapped address must
// not alias), pointers into the stack computed at run time, and a callback
// entered in the middle of a block. Each program runs in both engines on
// fresh machines; the endings (r0 and count, or the error) and the memory
// must be the same.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProgramBuilder, R0, R1, R2, R3, R4, R6, R7, R8, R9, R10 } from "../../src/asm/index.js";
import { BpfError } from "../../src/sys/errors.js";
import { Machine, VmProgram, type Engine, type Region } from "../../src/vm/index.js";
import { precompile } from "../../src/vm/jit.js";
import { Random, randomBody, randomInputs } from "./random-program.js";

/** What a test machine holds besides its stacks, and the arguments of the run. */
interface Setup {
  readonly machine: Machine;
  readonly memory: Uint8Array;
  readonly args: readonly bigint[];
}

function ending(program: VmProgram, engine: Engine, setup: () => Setup, budget?: number): string {
  const { machine, memory, args } = setup();
  let result: string;
  try {
    const r = machine.run(program, { engine, args, ...(budget === undefined ? {} : { budget }) });
    result = `r0=${r.r0} after ${r.instructions}`;
  } catch (e) {
    assert.ok(e instanceof BpfError, `a raw ${String(e)} escaped the ${engine}`);
    result = `${e.name} ${e.code}: ${e.message}`;
  }
  return `${result} | memory ${Buffer.from(memory).toString("hex")}`;
}

/** Runs in both engines; asserts they end the same way and returns that ending. */
function same(program: VmProgram, setup: () => Setup, budget?: number): string {
  const interpreted = ending(program, "interpreter", setup, budget);
  assert.equal(ending(program, "jit", setup, budget), interpreted, `budget ${budget ?? "default"}`);
  return interpreted;
}

function plain(): Setup {
  const machine = new Machine();
  const memory = new Uint8Array(64);
  const region = machine.memory.map("memory", memory);
  return { machine, memory, args: [region.base] };
}

test("JIT: a budget running out at any instruction of loops with inner branches and calls ends as in the interpreter", () => {
  // for (i = 0; i < 12; i++) { if (i & 1) continue; sum += i == 6 ? f(i) : i; mem[i] = (u8)sum } with f(x) = 100x
  const program = new VmProgram(
    new ProgramBuilder()
      .mov64Reg(R8, R1).mov64Imm(R6, 0).mov64Imm(R7, 0)
      .label("loop")
      .jsetImm(R6, 1, "next")
      .jeqImm(R6, 6, "call")
      .add64Reg(R7, R6).ja("store")
      .label("call").mov64Reg(R1, R6).callSubprog("f").add64Reg(R7, R0)
      .label("store").mov64Reg(R2, R8).add64Reg(R2, R6).stxB(R2, R7, 0)
      .label("next").add64Imm(R6, 1).jltImm(R6, 12, "loop")
      .mov64Reg(R0, R7).exit()
      .label("f").mov64Reg(R0, R1).mul64Imm(R0, 100).exit()
      .instructions(),
  );
  const full = same(program, plain);
  assert.match(full, /^r0=624 after \d+ \| memory 0000020006005e0066007000/);
  const total = Number(/after (\d+)/.exec(full)?.[1]);
  // The same program cut into chunks of one or two blocks: every jump, call and return crosses chunks.
  const chunked = new VmProgram(program.instructions);
  precompile(chunked, 2);
  for (let budget = 1; budget <= total + 1; budget++) {
    same(program, plain, budget);
    same(chunked, plain, budget);
  }
});

test("JIT: a store through a pointer whose region a load cached as read-only faults as in the interpreter", () => {
  const setup = (): Setup => {
    const machine = new Machine();
    const memory = new Uint8Array(16).fill(7);
    const region = machine.memory.map("constants", memory, { writable: false });
    return { machine, memory, args: [region.base] };
  };
  const program = new VmProgram(new ProgramBuilder().ldxB(R0, R1, 3).stxB(R1, R0, 4).exit().instructions());
  assert.match(same(program, setup), /VM_FAULT: instruction 1: write of 1 byte .*constants is read-only/);
});

test("JIT: after a helper call the cached region is forgotten (a helper may unmap it)", () => {
  const setup = (): Setup => {
    const machine = new Machine();
    const memory = new Uint8Array(16).fill(9);
    const region: Region = machine.memory.map("gone", memory);
    machine.setHelper(1, () => { machine.memory.unmap(region); return 0; });
    return { machine, memory, args: [region.base] };
  };
  const program = new VmProgram(new ProgramBuilder().mov64Reg(R6, R1).ldxB(R7, R6, 0).call(1).ldxB(R0, R6, 1).exit().instructions());
  assert.match(same(program, setup), /VM_FAULT: instruction 3: read of 1 byte .*in no region/);
});

test("JIT: an address that wraps below 0 does not alias a cached region ending at 4 GiB", () => {
  const setup = (): Setup => {
    const machine = new Machine();
    const memory = new Uint8Array(64).fill(5);
    machine.memory.mapLow("top", memory, 0x1_0000_0000 - 64);
    return { machine, memory, args: [0xffff_ffc0n, 8n] };
  };
  // r1 = the region's first byte (a hit, cached if it were cacheable); r2 - 16 = 2^64 - 8, outside every region.
  const program = new VmProgram(new ProgramBuilder().ldxB(R0, R1, 0).ldxB(R0, R2, -16).exit().instructions());
  assert.match(same(program, setup), /VM_FAULT: instruction 1: read of 1 byte at 0xfffffffffffffff8/);
});

test("JIT: stack slots through pointers computed at run time, and sign-extending loads through the region cache", () => {
  const program = new VmProgram(
    new ProgramBuilder()
      .mov64Reg(R6, R1)
      .mov64Imm(R2, 24).mov64Reg(R3, R10).add64Imm(R3, -64).add64Reg(R3, R2) // r3 = fp - 40
      .mov64Imm(R4, -2).stxDW(R3, R4, 0)
      .ldxW(R0, R10, -40) // the same slot through r10
      .ldxsB(R4, R6, 0).ldxsH(R7, R6, 2).add64Reg(R0, R4).add64Reg(R0, R7)
      .stxDW(R6, R0, 8)
      .exit()
      .instructions(),
  );
  const setup = (): Setup => {
    const s = plain();
    s.memory.set([0xfe, 0, 0x00, 0x80]);
    return s;
  };
  // fp-40 holds -2 (u32 0xfffffffe); -2 + (s8)0xfe + (s16)0x8000 = 0xfffffffe - 2 - 32768.
  assert.match(same(program, setup), /^r0=4294934524 after 14 \| memory fe00008000000000fc7fffff00000000/);
});

test("JIT: a callback entered in the middle of a block runs as in the interpreter", () => {
  const setup = (): Setup => {
    const machine = new Machine({ helpers: { 1: (ctx, fn) => ctx.callFunction(fn + 1n, []) } });
    return { machine, memory: new Uint8Array(0), args: [] };
  };
  const program = new VmProgram(new ProgramBuilder().ldFunc(R1, "cb").call(1).exit().label("cb").mov64Imm(R0, 7).mov64Imm(R0, 9).exit().instructions());
  assert.match(same(program, setup), /^r0=9 after 5 /);
});

test("JIT: a register's value known at compile time is forgotten wherever the register may change", () => {
  const cases: [string, (b: ProgramBuilder) => ProgramBuilder, bigint][] = [
    // A subprogram may change r0–r5 (its r1 comes back to the caller).
    ["subprogram call", (b) => b.mov64Imm(R1, 5).callSubprog("f").add64Reg(R0, R1).exit().label("f").mov64Imm(R1, 7).mov64Imm(R0, 0).exit(), 7n],
    // ... and r6–r9 come back as the caller had them.
    ["r6 across a call", (b) => b.mov64Imm(R6, 5).callSubprog("f").mov64Reg(R0, R6).exit().label("f").mov64Imm(R6, 7).exit(), 5n],
    ["load", (b) => b.stDW(R10, -8, 9).mov64Imm(R2, 5).ldxDW(R2, R10, -8).mov64Reg(R0, R2).exit(), 9n],
    ["fetching atomic", (b) => b.stDW(R10, -8, 9).mov64Imm(R2, 1).atomicAdd64(R10, R2, -8, { fetch: true }).mov64Reg(R0, R2).exit(), 9n],
    // cmpxchg with r0 = 8 against 9: no store, r0 = 9.
    ["cmpxchg", (b) => b.stDW(R10, -8, 9).mov64Imm(R0, 8).mov64Imm(R2, 4).atomicCmpXchg64(R10, R2, -8).mov64Reg(R4, R0).ldxDW(R3, R10, -8).mul64Imm(R4, 10).add64Reg(R4, R3).mov64Reg(R0, R4).exit(), 99n],
    ["load-acquire", (b) => b.stDW(R10, -8, 9).mov64Imm(R2, 5).mov64Reg(R3, R10).loadAcquire("DW", R2, R3, -8).mov64Reg(R0, R2).exit(), 9n],
    // Two paths with different constants meet: neither holds after.
    ["join", (b) => b.mov64Imm(R2, 1).jeqImm(R1, 0, "skip").mov64Imm(R2, 2).label("skip").mov64Reg(R0, R2).exit(), 2n],
    ["loop", (b) => b.mov64Imm(R2, 0).mov64Imm(R3, 1).label("l").add64Reg(R2, R3).mov64Imm(R3, 2).jltImm(R2, 7, "l").mov64Reg(R0, R2).exit(), 7n],
    ["32-bit mov then ALU64", (b) => b.mov32Imm(R2, -1).mov64Imm(R0, 1).add64Reg(R0, R2).exit(), 0x1_0000_0000n],
    ["ld_imm64 as an operand", (b) => b.ldImm64(R2, 0x1_0000_0001n).mov64Imm(R0, 3).mul64Reg(R0, R2).jgtReg(R0, R2, "big").exit().label("big").add64Imm(R0, 1).exit(), 0x3_0000_0004n],
  ];
  for (const [name, build, want] of cases) {
    for (const chunkSlots of [256, 1]) {
      const program = new VmProgram(build(new ProgramBuilder()).instructions());
      precompile(program, chunkSlots);
      const setup = (): Setup => ({ machine: new Machine(), memory: new Uint8Array(0), args: [1n] });
      assert.match(same(program, setup), new RegExp(`^r0=${want} after`), `${name}, chunks of ${chunkSlots} slots`);
    }
  }
});

test("JIT: a callback entered at a jump target that no code address names runs as in the interpreter", () => {
  // The helper enters "mid", a loop head inside the callback, not the callback's start.
  const setup = (): Setup => {
    const machine = new Machine({ helpers: { 1: (ctx, fn) => ctx.callFunction(fn + 2n, [3n]) } });
    return { machine, memory: new Uint8Array(0), args: [] };
  };
  const program = new VmProgram(
    new ProgramBuilder().ldFunc(R1, "cb").call(1).exit()
      .label("cb").mov64Imm(R2, 100).mov64Imm(R0, 0)
      .label("mid").add64Reg(R0, R2).add64Imm(R1, -1).jneImm(R1, 0, "mid").exit()
      .instructions(),
  );
  // Entered at "mid" with r1 = 3, r2 = 0 (callFunction's unset arguments) and r0 = 0 (the caller's): three rounds add 0,
  // where code that assumed the callback's own start (r2 = 100) would return 300.
  assert.match(same(program, setup), /^r0=0 after /);
});

test("JIT: programs cut into many chunks (as large programs are) give the interpreter's results", () => {
  // Verifier-style random programs of 30 cases each (test/vm/random-program.ts; r9 points at the cases), compiled in chunks of 16 slots.
  for (let seed = 1; seed <= 6; seed++) {
    const cases = 30;
    const setup = (): Setup => {
      const machine = new Machine();
      const memory = randomInputs(new Random(seed * 7), cases);
      const region = machine.memory.map("cases", memory);
      return { machine, memory, args: [region.base] };
    };
    const b = new ProgramBuilder().mov64Reg(R9, R1);
    randomBody(b, new Random(seed), cases);
    const program = new VmProgram(b.mov64Imm(R0, 2).exit().instructions());
    assert.ok(program.length > 200, `seed ${seed}: ${program.length} slots`);
    precompile(program, 16);
    assert.match(same(program, setup), /^r0=2 after \d+ \| memory /);
  }
});
