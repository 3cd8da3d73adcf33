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

/** The slots a block's last instruction may jump to (not its fall-through). */
function jumpTargets(p: VmProgram, block: Block): number[] {
  let last = block.start;
  for (let i = block.start; i < block.end; i += p.opcode[i] === LD_IMM64 ? 2 : 1) last = i;
  const op = p.opcode[last] as number;
  const cls = op & 0x07;
  if (cls !== Class.JMP && cls !== Class.JMP32) return [];
  const jmpOp = op & 0xf0;
  if (jmpOp === JmpOp.EXIT || jmpOp === JmpOp.CALL) return [];
  return [last + (cls === Class.JMP32 && jmpOp === JmpOp.JA ? (p.imm[last] as number) : (p.offset[last] as number)) + 1];
}

/** Slots entered from outside the normal flow: the entry, call targets, return points, code addresses. */
function outsideEntries(p: VmProgram): Set<number> {
  const out = new Set<number>([0]);
  for (let i = 0; i < p.length; i += p.opcode[i] === LD_IMM64 ? 2 : 1) {
    const op = p.opcode[i] as number;
    if (op === LD_IMM64 && p.src[i] === PseudoLd.FUNC) out.add(i + (p.imm[i] as number) + 1);
    if (op === (Class.JMP | JmpOp.CALL) && p.src[i] === PseudoCall.CALL) {
      out.add(i + (p.imm[i] as number) + 1);
      out.add(i + 1);
    }
  }
  return out;
}

/**
 * A loop the JIT emits as a JavaScript loop: blocks [first, last] (indices
 * into the block list), entered only at `first` — no jump from outside and
 * no call, return or code address lands on a later block. Its back edges
 * then stay inside one JS loop instead of going through the dispatch of the
 * whole program, whose loop header merges every register local from every
 * jump in the program.
 */
export interface LoopRegion {
  readonly first: number;
  readonly last: number;
  /** Whether a jump inside the region targets a block other than `first` (then the region needs its own dispatch). */
  readonly innerTargets: boolean;
}

/** Innermost loops that qualify as {@link LoopRegion}s, disjoint, in block order. */
export function loopRegions(p: VmProgram, blocks: readonly Block[]): LoopRegion[] {
  const indexOf = new Map(blocks.map((b, k) => [b.start, k]));
  const targets = blocks.map((b) => jumpTargets(p, b).map((t) => indexOf.get(t) as number));
  const external = outsideEntries(p);
  const candidates: LoopRegion[] = [];
  targets.forEach((ts, from) => {
    for (const to of ts) {
      if (to > from) continue;
      let ok = true;
      let innerTargets = false;
      for (let k = 0; k < blocks.length && ok; k++) {
        for (const t of targets[k] as number[]) {
          const inside = k >= to && k <= from;
          if (t > to && t <= from && !inside) ok = false;
          if (inside && t > to && t <= from) innerTargets = true;
        }
      }
      for (let k = to + 1; k <= from && ok; k++) if (external.has((blocks[k] as Block).start)) ok = false;
      if (ok) candidates.push({ first: to, last: from, innerTargets });
    }
  });
  // Per header, the widest qualifying loop (all its back edges, e.g. C's `continue`s, stay inside).
  const widest = new Map<number, LoopRegion>();
  for (const c of candidates) if ((widest.get(c.first)?.last ?? -1) < c.last) widest.set(c.first, c);
  const chosen: LoopRegion[] = [];
  for (const c of [...widest.values()].sort((a, b) => a.last - a.first - (b.last - b.first))) {
    if (chosen.every((r) => c.last < r.first || c.first > r.last)) chosen.push(c);
  }
  return chosen.sort((a, b) => a.first - b.first);
}
