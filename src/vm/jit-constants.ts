// Registers whose value the JIT knows at compile time: set by mov/ld_imm64
// of an immediate and not written since, on every path. The emitters then
// write the constant instead of the register's locals, and V8 folds it —
// e.g. FNV's 64-bit prime, loaded once before the loop, turns the multiply's
// sixteen-bit limb arithmetic into shifts and a few products. A forward
// dataflow over the basic blocks, starting from "nothing known" at the
// program's entries (slot 0 and code addresses: compiled code sends any other
// entry to the interpreter); what a call may change becomes unknown.
import { AluOp, AtomicOp, Class, JmpOp, LD_IMM64, Mode, PseudoCall, PseudoLd, Source } from "../asm/opcodes.js";
import type { Block } from "./jit-blocks.js";
import type { VmProgram } from "./program.js";

/** Known register values (unsigned 64-bit) by register number; absent = unknown. */
export type Constants = ReadonlyMap<number, bigint>;

/** Slots compiled code may be entered at: slot 0 and the targets of ld_imm64 code addresses. */
export function programEntries(p: VmProgram): Set<number> {
  const out = new Set<number>([0]);
  for (let i = 0; i < p.length; i += p.opcode[i] === LD_IMM64 ? 2 : 1) {
    if (p.opcode[i] === LD_IMM64 && p.src[i] === PseudoLd.FUNC) out.add(i + (p.imm[i] as number) + 1);
  }
  return out;
}

/** Applies instruction `i` to `known` (in place). */
export function step(p: VmProgram, i: number, known: Map<number, bigint>): void {
  const op = p.opcode[i] as number;
  const d = p.dst[i] as number;
  const cls = op & 0x07;
  if (op === LD_IMM64) {
    if (p.src[i] === PseudoLd.NONE) known.set(d, p.imm64[i] as bigint);
    else known.delete(d);
    return;
  }
  switch (cls) {
    case Class.ALU64:
      if ((op & 0xf0) === AluOp.MOV && (op & Source.X) === 0) known.set(d, p.immU64[i] as bigint);
      else known.delete(d);
      return;
    case Class.ALU:
      if ((op & 0xf0) === AluOp.MOV && (op & Source.X) === 0 && p.offset[i] === 0) known.set(d, BigInt((p.imm[i] as number) >>> 0));
      else known.delete(d);
      return;
    case Class.LDX:
      known.delete(d);
      return;
    case Class.STX:
      if ((op & 0xe0) !== Mode.ATOMIC) return;
      // Load-acquire writes dst; fetching atomics write src; cmpxchg writes r0.
      if (p.imm[i] === AtomicOp.LOAD_ACQ) known.delete(d);
      else if (p.imm[i] === AtomicOp.CMPXCHG) known.delete(0);
      else if (((p.imm[i] as number) & AtomicOp.FETCH) !== 0) known.delete(p.src[i] as number);
      return;
    case Class.JMP:
      if ((op & 0xf0) === JmpOp.CALL) {
        // A helper changes r0 (its r1–r5 are left as they were); a subprogram may change r0–r5, and restores r6–r9.
        const clobbered = p.src[i] === PseudoCall.CALL ? [0, 1, 2, 3, 4, 5] : [0];
        for (const r of clobbered) known.delete(r);
      }
      return;
    case Class.LD:
      // Legacy packet loads write r0.
      known.delete(0);
      return;
    default:
      return;
  }
}

/** The slots control may go to after block `b` (fall-through included), with what its last instruction does. */
function successors(p: VmProgram, b: Block): { targets: number[]; fallsThrough: boolean } {
  let last = b.start;
  for (let i = b.start; i < b.end; i += p.opcode[i] === LD_IMM64 ? 2 : 1) last = i;
  const op = p.opcode[last] as number;
  const cls = op & 0x07;
  if (cls !== Class.JMP && cls !== Class.JMP32) return { targets: [], fallsThrough: true };
  const jmpOp = op & 0xf0;
  if (jmpOp === JmpOp.EXIT) return { targets: [], fallsThrough: false };
  // A call's fall-through is its return point (helper or subprogram); the callee starts with nothing known.
  if (jmpOp === JmpOp.CALL) return { targets: [], fallsThrough: true };
  const target = last + (cls === Class.JMP32 && jmpOp === JmpOp.JA ? (p.imm[last] as number) : (p.offset[last] as number)) + 1;
  return { targets: [target], fallsThrough: jmpOp !== JmpOp.JA };
}

/** Constants known at the start of each block (by its start slot). */
export function constantsAtBlocks(p: VmProgram, blocks: readonly Block[]): Map<number, Constants> {
  const entries = programEntries(p);
  // Subprogram starts: entered by calls from anywhere, with whatever the caller had.
  for (let i = 0; i < p.length; i += p.opcode[i] === LD_IMM64 ? 2 : 1) {
    if (p.opcode[i] === (Class.JMP | JmpOp.CALL) && p.src[i] === PseudoCall.CALL) entries.add(i + (p.imm[i] as number) + 1);
  }
  const atStart = new Map<number, Map<number, bigint>>();
  for (const e of entries) atStart.set(e, new Map());
  const byStart = new Map(blocks.map((b) => [b.start, b]));
  const work = [...entries].filter((s) => byStart.has(s));
  while (work.length > 0) {
    const start = work.pop() as number;
    const block = byStart.get(start) as Block;
    const known = new Map(atStart.get(start));
    for (let i = block.start; i < block.end; i += p.opcode[i] === LD_IMM64 ? 2 : 1) step(p, i, known);
    const { targets, fallsThrough } = successors(p, block);
    if (fallsThrough && block.end < p.length) targets.push(block.end);
    for (const t of targets) {
      const before = atStart.get(t);
      // Meet: keep what every path agrees on. Entries stay at "nothing known".
      const next = before === undefined ? new Map(known) : new Map([...before].filter(([r, v]) => known.get(r) === v));
      if (before !== undefined && next.size === before.size) continue;
      atStart.set(t, next);
      work.push(t);
    }
  }
  return atStart;
}
