// Random instruction streams that the verifier would mostly refuse — wild
// pointers, backward jumps, calls to missing helpers, runaway recursion —
// run in both engines: each ends with r0 or with one of tsbpf's typed errors
// (never a raw JS exception, never a hang), and the interpreter and the JIT
// end the same way (same r0 and instruction count, or the same error code and
// message) and leave the same bytes in memory.
import { test } from "node:test";
import assert from "node:assert/strict";
import { InvalidInstructionError, LD_IMM64, type Instruction } from "../../src/asm/index.js";
import { BpfError } from "../../src/sys/errors.js";
import { Machine, VmProgram, type Engine } from "../../src/vm/index.js";
import { Random } from "./random-program.js";

const PROGRAMS = 1_000;
const EXIT: Instruction = { opcode: 0x95, dst: 0, src: 0, offset: 0, imm: 0 };

function randomInstruction(rnd: Random): Instruction {
  const opcode = rnd.below(256);
  const call = opcode === 0x85;
  return {
    opcode,
    dst: rnd.below(11),
    src: call ? rnd.below(3) : rnd.below(11),
    offset: rnd.pick([0, 0, 1, 8, 16, 32, -8, rnd.below(64) - 32]),
    imm: rnd.pick([0, 1, 16, 32, 64, -1, rnd.imm32(), rnd.below(8)]),
  };
}

const isJump = (i: Instruction): boolean => ((i.opcode & 7) === 5 || (i.opcode & 7) === 6) && (i.opcode & 0xf0) !== 0x90;

/** A program that VmProgram accepts: single instructions are drawn until valid, then jumps get random targets. */
function randomProgram(rnd: Random): VmProgram {
  for (;;) {
    const insns: Instruction[] = [];
    const length = 4 + rnd.below(28);
    while (insns.length < length) {
      const insn = randomInstruction(rnd);
      if (insn.opcode === LD_IMM64) insn.imm64 = rnd.value64();
      const probe = isJump(insn) ? { ...insn, offset: 0, imm: (insn.opcode & 0xf0) === 0x80 && insn.src !== 1 ? insn.imm : 0 } : insn;
      try {
        new VmProgram([probe, EXIT]);
      } catch (e) {
        if (e instanceof InvalidInstructionError) continue;
        throw e;
      }
      insns.push(insn);
    }
    insns.push(EXIT);
    // Jump targets anywhere in the program, backward included.
    let slot = 0;
    const slots = insns.reduce((n, i) => n + (i.opcode === LD_IMM64 ? 2 : 1), 0);
    for (const insn of insns) {
      if (isJump(insn)) {
        const delta = rnd.below(slots) - slot - 1;
        if ((insn.opcode === 0x06) || (insn.opcode === 0x85 && insn.src === 1)) insn.imm = delta;
        else if (insn.opcode !== 0x85) insn.offset = delta;
      }
      slot += insn.opcode === LD_IMM64 ? 2 : 1;
    }
    try {
      return new VmProgram(insns);
    } catch (e) {
      if (!(e instanceof InvalidInstructionError)) throw e;
    }
  }
}

interface Outcome {
  readonly result: string;
  readonly memory: string;
}

function outcome(program: VmProgram, engine: Engine, seed: number): Outcome {
  const machine = new Machine({ budget: 1_000, helpers: { 1: (_c, r1, r2) => r1 + r2, 7: () => seed } });
  const bytes = new Uint8Array(64).map((_, i) => (i * 37 + seed) & 0xff);
  const region = machine.memory.map("memory", bytes);
  let result: string;
  try {
    const r = machine.run(program, { engine, args: [region.base, 64, region.base + 32n, 0xffff_ffff_ffff_fff8n, 3] });
    result = `r0=${r.r0} after ${r.instructions}`;
  } catch (e) {
    assert.ok(e instanceof BpfError, `a raw ${e instanceof Error ? e.name : typeof e} escaped the ${engine}: ${String(e)}`);
    result = `${e.name} ${e.code}: ${e.message}`;
  }
  return { result, memory: Buffer.from(bytes).toString("hex") };
}

test(`random instruction streams end in r0 or a typed error, the same in the interpreter and the JIT (${PROGRAMS} programs)`, () => {
  const rnd = new Random(0xf022);
  const kinds = new Map<string, number>();
  for (let p = 0; p < PROGRAMS; p++) {
    const program = randomProgram(rnd);
    const interpreted = outcome(program, "interpreter", p);
    const compiled = outcome(program, "jit", p);
    if (compiled.result !== interpreted.result || compiled.memory !== interpreted.memory) {
      const listing = program.instructions.map((i) => JSON.stringify(i, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v))).join("\n");
      assert.deepEqual(compiled, interpreted, `program ${p}:\n${listing}`);
    }
    const kind = interpreted.result.split(":")[0]?.split(" ").slice(0, 2).join(" ") ?? "";
    kinds.set(kind.startsWith("r0=") ? "r0" : kind, (kinds.get(kind.startsWith("r0=") ? "r0" : kind) ?? 0) + 1);
  }
  // The streams reach every kind of ending.
  for (const k of ["r0", "VmFaultError VM_FAULT", "VmLimitError VM_LIMIT", "VmUnknownHelperError VM_UNKNOWN_HELPER"]) {
    assert.ok((kinds.get(k) ?? 0) > 0, `no program ended with ${k}: ${JSON.stringify([...kinds])}`);
  }
});
