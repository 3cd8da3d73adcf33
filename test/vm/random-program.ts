// A seeded generator of random BPF programs the kernel's verifier accepts,
// for differential tests of the machine against the kernel (and of the JIT
// against the interpreter). One program holds many independent cases, so one
// load and one test run check dozens of them: each case loads r0–r5 from
// memory (random inputs), runs random ALU64/ALU32 operations (every operation of
// the ISA, signed division and sign-extending moves included), byte swaps,
// bounded forward jumps (JMP and JMP32, every condition, register and
// immediate; ja and gotol), stack stores and loads (every size, MEMSX) and
// atomics on the stack, then stores r0–r5 back where its inputs came from.
// What keeps the verifier happy: only r0–r5 are operands; immediate shift
// amounts stay below the width and immediate divisors are non-zero (both
// are refused at load); stack accesses stay in the 64 bytes zeroed at the
// start and are aligned to their size; jumps only go forward, inside a case.
import { ProgramBuilder, R9, R10, type Register } from "../../src/asm/index.js";

/** Bytes each case stores: r0–r5, 8 bytes each. */
export const CASE_RESULT_BYTES = 48;
const STACK_BYTES = 64;

/** mulberry32: a small, fast, seedable PRNG (uniform 32-bit outputs). */
export class Random {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** Uniform unsigned 32-bit integer. */
  u32(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Integer in [0, n). */
  below(n: number): number {
    return this.u32() % n;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)] as T;
  }
  /** A 64-bit value biased toward edges (0, ±1, sign bits, small numbers). */
  value64(): bigint {
    switch (this.below(8)) {
      case 0: return this.pick([0n, 1n, 2n, 0xffff_ffff_ffff_ffffn, 0x8000_0000_0000_0000n, 0x7fff_ffff_ffff_ffffn]);
      case 1: return this.pick([0x8000_0000n, 0x7fff_ffffn, 0xffff_ffffn, 0xffff_ffff_8000_0000n, 0x1_0000_0000n]);
      case 2: return BigInt(this.below(16));
      case 3: return BigInt.asUintN(64, -BigInt(this.below(16)));
      default: return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
    }
  }
  /** A signed 32-bit immediate biased toward edges. */
  imm32(): number {
    switch (this.below(5)) {
      case 0: return this.pick([0, 1, -1, 0x7fff_ffff, -0x8000_0000, 2, -2]);
      case 1: return this.below(64);
      default: return this.u32() | 0;
    }
  }
}

const SCALARS: readonly Register[] = [0, 1, 2, 3, 4, 5];

type Emit = (b: ProgramBuilder) => void;

/** Bytes of packet the kernel's XDP test run lets a program reach directly, with room to spare: 64 cases. */
export const MAX_CASES = 64;

/** Random inputs for `cases` cases: r0–r5 of each, 8 bytes little-endian apiece. */
export function randomInputs(rnd: Random, cases: number): Uint8Array {
  const bytes = new Uint8Array(cases * CASE_RESULT_BYTES);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < cases * 6; i++) view.setBigUint64(i * 8, rnd.value64(), true);
  return bytes;
}

/**
 * Appends the body of a random program with `cases` cases to `b`. r9 must
 * hold the address of `cases * 48` bytes: case i loads its r0–r5 from
 * offset i * 48, runs, and stores r0–r5 back there. Registers come from
 * memory the verifier cannot see into, so both sides of every branch are
 * checked and nothing is constant-folded; the kernel's prologue makes r9 the
 * XDP packet, the machine's a mapped region.
 */
export function randomBody(b: ProgramBuilder, rnd: Random, cases: number, labelPrefix = "l"): void {
  for (let off = 8; off <= STACK_BYTES; off += 8) b.stDW(R10, -off, 0);
  for (let c = 0; c < cases; c++) {
    SCALARS.forEach((r, i) => b.ldxDW(r, R9, c * CASE_RESULT_BYTES + i * 8));
    const ops = 6 + rnd.below(12);
    const body: Emit[] = [];
    const labels = new Map<number, string[]>();
    for (let i = 0; i < ops; i++) {
      if (rnd.below(6) === 0 && i < ops - 1) {
        // Unconditional jumps skip nothing: the verifier refuses unreachable instructions.
        const kind = rnd.below(13);
        const skip = kind >= 11 ? 0 : 1 + rnd.below(Math.min(3, ops - i - 1));
        const label = `${labelPrefix}${c}_${i}`;
        const at = i + 1 + skip;
        labels.set(at, [...(labels.get(at) ?? []), label]);
        body.push(jump(rnd, kind, label));
      } else {
        body.push(operation(rnd));
      }
    }
    for (let i = 0; i < body.length; i++) {
      for (const l of labels.get(i) ?? []) b.label(l);
      (body[i] as Emit)(b);
    }
    for (const l of labels.get(body.length) ?? []) b.label(l);
    SCALARS.forEach((r, i) => b.stxDW(R9, r, c * CASE_RESULT_BYTES + i * 8));
  }
}

/** Kinds 0–10: the conditions; 11: ja; 12: gotol (JMP32 ja). */
function jump(rnd: Random, kind: number, label: string): Emit {
  const d = rnd.pick(SCALARS);
  const s = rnd.pick(SCALARS);
  const imm = rnd.imm32();
  const wide = rnd.below(2) === 0;
  const reg = rnd.below(2) === 0;
  if (kind === 11) return (b) => b.ja(label);
  if (kind === 12) return (b) => b.gotol(label);
  const names = ["jeq", "jne", "jgt", "jge", "jlt", "jle", "jset", "jsgt", "jsge", "jslt", "jsle"] as const;
  const method = `${names[kind]}${wide ? "" : "32"}${reg ? "Reg" : "Imm"}` as `${(typeof names)[number]}Reg`;
  return (b) => {
    const f = b[method] as unknown as (dst: Register, src: number, target: string) => ProgramBuilder;
    f.call(b, d, reg ? s : imm, label);
  };
}

function operation(rnd: Random): Emit {
  const d = rnd.pick(SCALARS);
  const s = rnd.pick(SCALARS);
  const kind = rnd.below(20);
  if (kind < 11) return alu(rnd, d, s);
  switch (kind) {
    case 11: return rnd.below(2) === 0 ? (b) => b.neg64(d) : (b) => b.neg32(d);
    case 12: {
      const bits = rnd.pick([8, 16, 32] as const);
      if (rnd.below(2) === 0 || bits === 32) return (b) => b.movsx64(d, s, bits);
      return (b) => b.movsx32(d, s, bits);
    }
    case 13: {
      const bits = rnd.pick([16, 32, 64] as const);
      return rnd.pick<Emit>([(b) => b.toLe(d, bits), (b) => b.toBe(d, bits), (b) => b.bswap(d, bits)]);
    }
    case 14:
    case 15: {
      const size = rnd.pick(["B", "H", "W", "DW"] as const);
      const off = stackOffset(rnd, size);
      const stores: Record<typeof size, Emit> = { B: (b) => b.stxB(R10, s, off), H: (b) => b.stxH(R10, s, off), W: (b) => b.stxW(R10, s, off), DW: (b) => b.stxDW(R10, s, off) };
      return stores[size];
    }
    case 16:
    case 17: {
      const size = rnd.pick(["B", "H", "W", "DW"] as const);
      const off = stackOffset(rnd, size);
      const signed = size !== "DW" && rnd.below(2) === 0;
      const loads: Record<typeof size, Emit> = signed
        ? { B: (b) => b.ldxsB(d, R10, off), H: (b) => b.ldxsH(d, R10, off), W: (b) => b.ldxsW(d, R10, off), DW: (b) => b.ldxDW(d, R10, off) }
        : { B: (b) => b.ldxB(d, R10, off), H: (b) => b.ldxH(d, R10, off), W: (b) => b.ldxW(d, R10, off), DW: (b) => b.ldxDW(d, R10, off) };
      return loads[size];
    }
    case 18: {
      const wide = rnd.below(2) === 0;
      const off = stackOffset(rnd, wide ? "DW" : "W");
      const fetch = rnd.below(2) === 0;
      const ops: Emit[] = wide
        ? [(b) => b.atomicAdd64(R10, s, off, { fetch }), (b) => b.atomicOr64(R10, s, off, { fetch }), (b) => b.atomicAnd64(R10, s, off, { fetch }),
          (b) => b.atomicXor64(R10, s, off, { fetch }), (b) => b.atomicXchg64(R10, s, off), (b) => b.atomicCmpXchg64(R10, s, off)]
        : [(b) => b.atomicAdd32(R10, s, off, { fetch }), (b) => b.atomicOr32(R10, s, off, { fetch }), (b) => b.atomicAnd32(R10, s, off, { fetch }),
          (b) => b.atomicXor32(R10, s, off, { fetch }), (b) => b.atomicXchg32(R10, s, off), (b) => b.atomicCmpXchg32(R10, s, off)];
      return rnd.pick(ops);
    }
    default:
      return rnd.below(2) === 0 ? (b) => b.mov64Reg(d, s) : (b) => b.mov32Reg(d, s);
  }
}

/** A negative, size-aligned offset inside the zeroed 64 stack bytes. */
function stackOffset(rnd: Random, size: "B" | "H" | "W" | "DW"): number {
  const bytes = { B: 1, H: 2, W: 4, DW: 8 }[size];
  return -bytes * (1 + rnd.below(STACK_BYTES / bytes));
}

const ALU_OPS = ["add", "sub", "mul", "div", "sdiv", "mod", "smod", "or", "and", "xor", "lsh", "rsh", "arsh", "mov"] as const;

function alu(rnd: Random, d: Register, s: Register): Emit {
  const op = rnd.pick(ALU_OPS);
  const wide = rnd.below(2) === 0;
  const reg = rnd.below(2) === 0;
  const method = `${op}${wide ? "64" : "32"}${reg ? "Reg" : "Imm"}` as const;
  let imm = rnd.imm32();
  if (op === "lsh" || op === "rsh" || op === "arsh") imm = rnd.below(wide ? 64 : 32);
  if ((op === "div" || op === "sdiv" || op === "mod" || op === "smod") && imm === 0) imm = 3;
  return (b) => {
    const f = b[method] as unknown as (dst: Register, src: number) => ProgramBuilder;
    f.call(b, d, reg ? s : imm);
  };
}
