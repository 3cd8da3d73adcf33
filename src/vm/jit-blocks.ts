// Basic blocks of a program, for the JIT. A block is a run of instructions
// that execute all together or not at all, unless one faults: control enters
// only at its first slot and leaves only after its last. That is what lets
// the compiled code charge the instruction budget once per block (its
// length, on entry) and keep the count exact. Every instruction that may
// leave the frame or transfer control — jumps, calls (a helper may tail-call
// or run callbacks), exit, legacy packet loads (which can end the program) —
// therefore ends its block, and every slot control may reach by any other way
// than falling through starts one.
import { Class, JmpOp, LD_IMM64, PseudoCall, PseudoLd } from "../asm/opcodes.js";
import type { VmProgram } from "./program.js";

/** One basic block: slots [start, end), holding `count` instructions (ld_imm64 is one instruction in two slots). */
export interface Block {
  readonly start: number;
  readonly end: number;
  readonly count: number;
}

/** Whether the instruction at `i` ends its block. */
function endsBlock(p: VmProgram, i: number): boolean {
  const op = p.opcode[i] as number;
  const cls = op & 0x07;
  if (cls === Class.JMP || cls === Class.JMP32) return true;
  // BPF_LD other than ld_imm64: legacy BPF_ABS/BPF_IND packet loads.
  return cls === Class.LD && op !== LD_IMM64;
}

/** Slots that control can reach other than by falling through: entry, jump and call targets, code addresses. */
function leaders(p: VmProgram): Set<number> {
  const out = new Set<number>([0]);
  for (let i = 0; i < p.length; i += p.opcode[i] === LD_IMM64 ? 2 : 1) {
    const op = p.opcode[i] as number;
    const cls = op & 0x07;
    if (op === LD_IMM64) {
      // A code address (callbacks of bpf_loop & co.) is entered by callFunction.
      if (p.src[i] === PseudoLd.FUNC) out.add(i + (p.imm[i] as number) + 1);
      continue;
    }
    if (endsBlock(p, i)) out.add(i + 1);
    if (cls !== Class.JMP && cls !== Class.JMP32) continue;
    const jmpOp = op & 0xf0;
    if (jmpOp === JmpOp.EXIT) continue;
    if (jmpOp === JmpOp.CALL) {
      if (p.src[i] === PseudoCall.CALL) out.add(i + (p.imm[i] as number) + 1);
      continue;
    }
    out.add(i + (cls === Class.JMP32 && jmpOp === JmpOp.JA ? (p.imm[i] as number) : (p.offset[i] as number)) + 1);
  }
  out.delete(p.length);
  return out;
}

/** The program's basic blocks in slot order (they cover every slot). */
export function basicBlocks(p: VmProgram): Block[] {
  const starts = [...leaders(p)].sort((a, b) => a - b);
  return starts.map((start, k) => {
    const end = starts[k + 1] ?? p.length;
    let count = 0;
    for (let i = start; i < end; i += p.opcode[i] === LD_IMM64 ? 2 : 1) count++;
    return { start, end, count };
  });
}
