// The interpreter: runs a validated VmProgram instruction by instruction,
// following instruction-set.rst. ALU32, loads, stores and addresses work on
// the registers' 32-bit halves (numbers); ALU64 uses bigints. The program was
// checked by VmProgram, so only run-time conditions are tested here: memory
// accesses (AddressSpace faults), the budget, the call depth, helpers.
import { AluOp, AtomicOp, Class, JmpOp, LD_IMM64, Mode, PseudoCall, Source, sizeBytes } from "../asm/opcodes.js";
import { helperName } from "../asm/helpers.js";
import { bswap16, bswap32, sdiv32, sdiv64, smod32, smod64, udiv32, udiv64, umod32, umod64 } from "./alu.js";
import { VmFaultError, VmLimitError, VmUnknownHelperError } from "./errors.js";
import type { HelperContext, VmHelper } from "./helpers.js";
import { addressHigh, addressLow, type AddressSpace, type Region } from "./memory.js";
import { CODE_BASE, type VmProgram } from "./program.js";
import { HI, LO, Registers } from "./registers.js";

/** Bytes of stack each frame gets (the kernel's MAX_BPF_STACK). */
export const STACK_SIZE = 512;
/** Tail calls one run may take (the kernel's MAX_TAIL_CALL_CNT); the next one fails and the program goes on. */
export const MAX_TAIL_CALLS = 33;
/** may_goto's budget per program run (the kernel's BPF_MAX_LOOPS). */
export const MAY_GOTO_LOOPS = 8 * 1024 * 1024;

/** Everything one run shares across frames and helper callbacks. */
export interface Execution {
  readonly program: VmProgram;
  readonly regs: Registers;
  readonly memory: AddressSpace;
  /** One region per call depth; frame k's r10 is stacks[k].base + STACK_SIZE. */
  readonly stacks: readonly Region[];
  readonly helpers: ReadonlyMap<number, VmHelper>;
  /** The packet legacy BPF_ABS/BPF_IND loads read, if any. */
  readonly packet: Region | undefined;
  /** Instructions still allowed. */
  remaining: number;
  /** may_goto iterations still allowed. */
  mayGoto: number;
  /** Current call depth (0 = the entry frame). */
  depth: number;
  /** Tail calls taken so far in this run (the kernel allows MAX_TAIL_CALL_CNT). */
  tailCalls: number;
  /** Set by HelperContext.tailCall: the program the calling frame continues in. */
  pendingTailCall: VmProgram | undefined;
  /** The engine running this execution: runs from a slot until that frame exits (callbacks re-enter it). */
  readonly enter: (ex: Execution, entry: number) => bigint;
}

/** The error of an exhausted budget at slot `pc`. */
export function budgetError(pc: number): VmLimitError {
  return new VmLimitError("instructions", pc, "the instruction budget is exhausted (raise the budget option if the program is meant to run this long)");
}

/** The error of a bpf-to-bpf call one frame too deep. */
export function depthError(pc: number, frames: number): VmLimitError {
  return new VmLimitError("call-depth", pc, `bpf-to-bpf calls nest deeper than ${frames} frames`);
}

interface SavedFrame {
  readonly returnPc: number;
  /** r6–r9 of the caller. */
  readonly saved: bigint[];
}

/**
 * Runs from slot `entry` in frame `ex.depth` until that frame exits; returns
 * r0. Registers are whatever the caller set (r1–r5, r10).
 */
export function interpret(ex: Execution, entry: number): bigint {
  const { program, memory, regs } = ex;
  const { u64, s64, u32, s32 } = regs;
  const { opcode, dst: dstRegs, src: srcRegs, offset: offsets, imm: imms, imm64 } = program;
  const kU64 = program.immU64;
  const kS64 = program.immS64;
  const baseDepth = ex.depth;
  const frames: SavedFrame[] = [];
  let pc = entry;
  for (;;) {
    if (--ex.remaining < 0) throw budgetError(pc);
    const op = opcode[pc] as number;
    const d = dstRegs[pc] as number;
    const s = srcRegs[pc] as number;
    const off = offsets[pc] as number;
    const imm = imms[pc] as number;
    const dl = 2 * d + LO;
    const dh = 2 * d + HI;
    switch (op & 0x07) {
      case Class.ALU64: {
        const x = (op & Source.X) !== 0;
        switch (op & 0xf0) {
          case AluOp.ADD: u64[d] = (u64[d] as bigint) + (x ? u64[s] as bigint : kU64[pc] as bigint); break;
          case AluOp.SUB: u64[d] = (u64[d] as bigint) - (x ? u64[s] as bigint : kU64[pc] as bigint); break;
          case AluOp.MUL: u64[d] = (u64[d] as bigint) * (x ? u64[s] as bigint : kU64[pc] as bigint); break;
          case AluOp.DIV:
            if (off === 1) s64[d] = sdiv64(s64[d] as bigint, x ? s64[s] as bigint : kS64[pc] as bigint);
            else u64[d] = udiv64(u64[d] as bigint, x ? u64[s] as bigint : kU64[pc] as bigint);
            break;
          case AluOp.MOD:
            if (off === 1) s64[d] = smod64(s64[d] as bigint, x ? s64[s] as bigint : kS64[pc] as bigint);
            else u64[d] = umod64(u64[d] as bigint, x ? u64[s] as bigint : kU64[pc] as bigint);
            break;
          case AluOp.OR: u64[d] = (u64[d] as bigint) | (x ? u64[s] as bigint : kU64[pc] as bigint); break;
          case AluOp.AND: u64[d] = (u64[d] as bigint) & (x ? u64[s] as bigint : kU64[pc] as bigint); break;
          case AluOp.XOR: u64[d] = (u64[d] as bigint) ^ (x ? u64[s] as bigint : kU64[pc] as bigint); break;
          case AluOp.LSH: u64[d] = (u64[d] as bigint) << BigInt((x ? u32[2 * s + LO] as number : imm) & 63); break;
          case AluOp.RSH: u64[d] = (u64[d] as bigint) >> BigInt((x ? u32[2 * s + LO] as number : imm) & 63); break;
          case AluOp.ARSH: s64[d] = (s64[d] as bigint) >> BigInt((x ? u32[2 * s + LO] as number : imm) & 63); break;
          case AluOp.NEG: u64[d] = -(u64[d] as bigint); break;
          case AluOp.MOV:
            if (!x) { u64[d] = kU64[pc] as bigint; break; }
            if (off === 0) { u64[d] = u64[s] as bigint; break; }
            setSigned(s32, dl, dh, signExtend(u32[2 * s + LO] as number, off));
            break;
          default: {
            // AluOp.END in ALU64: unconditional byte swap.
            const lo = u32[dl] as number;
            const hi = u32[dh] as number;
            if (imm === 16) { u32[dl] = bswap16(lo); u32[dh] = 0; }
            else if (imm === 32) { u32[dl] = bswap32(lo); u32[dh] = 0; }
            else { u32[dl] = bswap32(hi); u32[dh] = bswap32(lo); }
          }
        }
        pc++;
        continue;
      }
      case Class.ALU: {
        const x = (op & Source.X) !== 0;
        const a = u32[dl] as number;
        const b = x ? u32[2 * s + LO] as number : imm >>> 0;
        let r: number;
        switch (op & 0xf0) {
          case AluOp.ADD: r = (a + b) >>> 0; break;
          case AluOp.SUB: r = (a - b) >>> 0; break;
          case AluOp.MUL: r = Math.imul(a, b) >>> 0; break;
          case AluOp.DIV: r = off === 1 ? sdiv32(a | 0, b | 0) : udiv32(a, b); break;
          case AluOp.MOD: r = off === 1 ? smod32(a | 0, b | 0) : umod32(a, b); break;
          case AluOp.OR: r = (a | b) >>> 0; break;
          case AluOp.AND: r = (a & b) >>> 0; break;
          case AluOp.XOR: r = (a ^ b) >>> 0; break;
          case AluOp.LSH: r = (a << (b & 31)) >>> 0; break;
          case AluOp.RSH: r = a >>> (b & 31); break;
          case AluOp.ARSH: r = ((a | 0) >> (b & 31)) >>> 0; break;
          case AluOp.NEG: r = -a >>> 0; break;
          case AluOp.MOV: r = off === 0 ? b : signExtend(b, off) >>> 0; break;
          default: {
            // AluOp.END: to little-endian truncates (the machine is little-endian), to big-endian swaps.
            const hi = u32[dh] as number;
            if ((op & Source.X) === 0) {
              if (imm === 64) { pc++; continue; }
              r = imm === 16 ? a & 0xffff : a;
            } else if (imm === 16) {
              r = bswap16(a);
            } else if (imm === 32) {
              r = bswap32(a);
            } else {
              u32[dl] = bswap32(hi);
              u32[dh] = bswap32(a);
              pc++;
              continue;
            }
          }
        }
        u32[dl] = r;
        u32[dh] = 0;
        pc++;
        continue;
      }
      case Class.JMP:
      case Class.JMP32: {
        const jmpOp = op & 0xf0;
        if (jmpOp === JmpOp.JA) {
          pc += ((op & 0x07) === Class.JMP32 ? imm : off) + 1;
          continue;
        }
        if (jmpOp === JmpOp.CALL) {
          if (s === PseudoCall.CALL) {
            if (ex.depth + 1 >= ex.stacks.length) throw depthError(pc, ex.stacks.length);
            frames.push({ returnPc: pc + 1, saved: [u64[6] as bigint, u64[7] as bigint, u64[8] as bigint, u64[9] as bigint] });
            ex.depth++;
            u64[10] = (ex.stacks[ex.depth] as Region).base + BigInt(STACK_SIZE);
            pc += imm + 1;
            continue;
          }
          // A helper that tail-called ends the frame, with the target's r0 in r0.
          if (!callHelper(ex, pc, s, imm)) {
            pc++;
            continue;
          }
        }
        if (jmpOp === JmpOp.EXIT || jmpOp === JmpOp.CALL) {
          const frame = frames.pop();
          if (frame === undefined) return u64[0] as bigint;
          ex.depth--;
          [u64[6], u64[7], u64[8], u64[9]] = frame.saved as [bigint, bigint, bigint, bigint];
          u64[10] = (ex.stacks[ex.depth] as Region).base + BigInt(STACK_SIZE);
          pc = frame.returnPc;
          continue;
        }
        if (jmpOp === JmpOp.JCOND) {
          // may_goto: falls through while its loop budget lasts, then jumps.
          if (ex.mayGoto === 0) pc += off + 1;
          else { ex.mayGoto--; pc++; }
          continue;
        }
        const taken = (op & 0x07) === Class.JMP32
          ? compare32(jmpOp, u32[dl] as number, (op & Source.X) !== 0 ? u32[2 * s + LO] as number : imm >>> 0)
          : compare64(jmpOp, u64, s64, d, s, (op & Source.X) !== 0, kU64[pc] as bigint, kS64[pc] as bigint);
        pc += taken ? off + 1 : 1;
        continue;
      }
      case Class.LDX: {
        const size = sizeBytes(op);
        const sl = 2 * s + LO;
        const hi = addressHigh(u32[sl - LO + HI] as number, u32[sl] as number, off);
        const lo = addressLow(u32[sl] as number, off);
        if (size === 8) {
          const o = memory.offsetOf(hi, lo, 8, "read", pc);
          const view = (memory.hit as Region).view;
          u32[dl] = view.getUint32(o, true);
          u32[dh] = view.getUint32(o + 4, true);
        } else if ((op & 0xe0) === Mode.MEMSX) {
          setSigned(s32, dl, dh, signExtend(memory.load(hi, lo, size, pc), size * 8));
        } else {
          u32[dl] = memory.load(hi, lo, size, pc);
          u32[dh] = 0;
        }
        pc++;
        continue;
      }
      case Class.ST:
      case Class.STX: {
        if (imm === AtomicOp.LOAD_ACQ && (op & 0xe0) === Mode.ATOMIC) {
          // Load-acquire: dst = *(src + off), zero-extended (one thread: a plain load).
          const sl = 2 * s + LO;
          const ahi = addressHigh(u32[sl - LO + HI] as number, u32[sl] as number, off);
          const alo = addressLow(u32[sl] as number, off);
          const size = sizeBytes(op);
          if (size === 8) {
            const o = memory.offsetOf(ahi, alo, 8, "read", pc);
            const view = (memory.hit as Region).view;
            u32[dl] = view.getUint32(o, true);
            u32[dh] = view.getUint32(o + 4, true);
          } else {
            u32[dl] = memory.load(ahi, alo, size, pc);
            u32[dh] = 0;
          }
          pc++;
          continue;
        }
        const hi = addressHigh(u32[dh] as number, u32[dl] as number, off);
        const lo = addressLow(u32[dl] as number, off);
        if ((op & 0xe0) === Mode.ATOMIC) {
          atomic(ex, pc, op, s, hi, lo, imm);
          pc++;
          continue;
        }
        const size = sizeBytes(op);
        const isReg = (op & 0x07) === Class.STX;
        const vlo = isReg ? u32[2 * s + LO] as number : imm >>> 0;
        if (size === 8) {
          const vhi = isReg ? u32[2 * s + HI] as number : (imm >> 31) >>> 0;
          const o = memory.offsetOf(hi, lo, 8, "write", pc);
          const view = (memory.hit as Region).view;
          view.setUint32(o, vlo, true);
          view.setUint32(o + 4, vhi, true);
        } else {
          memory.store(hi, lo, size, vlo, pc);
        }
        pc++;
        continue;
      }
      default: {
        // Class.LD
        if (op === LD_IMM64) {
          u64[d] = imm64[pc] as bigint;
          pc += 2;
          continue;
        }
        if (legacyPacketLoad(ex, pc, op, s, imm)) {
          ex.depth = baseDepth;
          return 0n;
        }
        pc++;
        continue;
      }
    }
  }
}

/**
 * Legacy BPF_ABS / BPF_IND: r0 = the packet's big-endian bytes at imm (+ src).
 * Returns true when the load is out of bounds: the kernel then ends the
 * program with r0 = 0, from any frame.
 */
export function legacyPacketLoad(ex: Execution, pc: number, op: number, s: number, imm: number): boolean {
  const { u64, u32, s32 } = ex.regs;
  const size = sizeBytes(op);
  const packet = ex.packet;
  if (!packet) throw new VmFaultError(pc, 0n, size, "read", undefined, "legacy packet load (BPF_ABS/BPF_IND) without a packet");
  let at = imm;
  if ((op & 0xe0) === Mode.IND) at = (at + (s32[2 * s + LO] as number)) | 0;
  if (at < 0 || at + size > packet.bytes.byteLength) {
    u64[0] = 0n;
    return true;
  }
  const view = packet.view;
  u32[LO] = size === 4 ? view.getUint32(at, false) : size === 2 ? view.getUint16(at, false) : view.getUint8(at);
  u32[HI] = 0;
  return false;
}


/** The low `bits` (8, 16 or 32) of `v`, sign-extended to a signed 32-bit number. */
function signExtend(v: number, bits: number): number {
  return bits === 32 ? v | 0 : (v << (32 - bits)) >> (32 - bits);
}

/** Sets a register to a signed 32-bit value sign-extended to 64 bits. */
function setSigned(s32: Int32Array, lo: number, hi: number, v: number): void {
  s32[lo] = v;
  s32[hi] = v >> 31;
}

function compare32(jmpOp: number, a: number, b: number): boolean {
  switch (jmpOp) {
    case JmpOp.JEQ: return a === b;
    case JmpOp.JNE: return a !== b;
    case JmpOp.JGT: return a > b;
    case JmpOp.JGE: return a >= b;
    case JmpOp.JLT: return a < b;
    case JmpOp.JLE: return a <= b;
    case JmpOp.JSET: return (a & b) !== 0;
    case JmpOp.JSGT: return (a | 0) > (b | 0);
    case JmpOp.JSGE: return (a | 0) >= (b | 0);
    case JmpOp.JSLT: return (a | 0) < (b | 0);
    default: return (a | 0) <= (b | 0); // JSLE
  }
}

function compare64(jmpOp: number, u64: BigUint64Array, s64: BigInt64Array, d: number, s: number, x: boolean, kU: bigint, kS: bigint): boolean {
  switch (jmpOp) {
    case JmpOp.JEQ: return u64[d] === (x ? u64[s] : kU);
    case JmpOp.JNE: return u64[d] !== (x ? u64[s] : kU);
    case JmpOp.JGT: return (u64[d] as bigint) > (x ? u64[s] as bigint : kU);
    case JmpOp.JGE: return (u64[d] as bigint) >= (x ? u64[s] as bigint : kU);
    case JmpOp.JLT: return (u64[d] as bigint) < (x ? u64[s] as bigint : kU);
    case JmpOp.JLE: return (u64[d] as bigint) <= (x ? u64[s] as bigint : kU);
    case JmpOp.JSET: return ((u64[d] as bigint) & (x ? u64[s] as bigint : kU)) !== 0n;
    case JmpOp.JSGT: return (s64[d] as bigint) > (x ? s64[s] as bigint : kS);
    case JmpOp.JSGE: return (s64[d] as bigint) >= (x ? s64[s] as bigint : kS);
    case JmpOp.JSLT: return (s64[d] as bigint) < (x ? s64[s] as bigint : kS);
    default: return (s64[d] as bigint) <= (x ? s64[s] as bigint : kS); // JSLE
  }
}

/** BPF_STX | BPF_ATOMIC (store-release included; load-acquire is a load, done by the caller) at `hi:lo`. */
export function atomic(ex: Execution, pc: number, op: number, s: number, hi: number, lo: number, imm: number): void {
  const { memory } = ex;
  const { u64, u32 } = ex.regs;
  const size = sizeBytes(op);
  if (imm === AtomicOp.STORE_REL) {
    const vlo = u32[2 * s + LO] as number;
    if (size === 8) {
      const o = memory.offsetOf(hi, lo, 8, "write", pc);
      const view = (memory.hit as Region).view;
      view.setUint32(o, vlo, true);
      view.setUint32(o + 4, u32[2 * s + HI] as number, true);
    } else {
      memory.store(hi, lo, size, vlo, pc);
    }
    return;
  }
  const offset = memory.offsetOf(hi, lo, size, "write", pc);
  const view = (memory.hit as Region).view;
  if (size === 4) {
    const old = view.getUint32(offset, true);
    const v = u32[2 * s + LO] as number;
    let next: number;
    switch (imm) {
      case AtomicOp.XCHG: next = v; break;
      case AtomicOp.CMPXCHG: {
        if (old === u32[LO]) view.setUint32(offset, v, true);
        u64[0] = BigInt(old);
        return;
      }
      default:
        switch (imm & ~AtomicOp.FETCH) {
          case AtomicOp.ADD: next = (old + v) >>> 0; break;
          case AtomicOp.OR: next = (old | v) >>> 0; break;
          case AtomicOp.AND: next = (old & v) >>> 0; break;
          default: next = (old ^ v) >>> 0; break;
        }
    }
    view.setUint32(offset, next, true);
    if ((imm & AtomicOp.FETCH) !== 0) u64[s] = BigInt(old);
    return;
  }
  const old = view.getBigUint64(offset, true);
  const v = u64[s] as bigint;
  let next: bigint;
  switch (imm) {
    case AtomicOp.XCHG: next = v; break;
    case AtomicOp.CMPXCHG: {
      if (old === u64[0]) view.setBigUint64(offset, v, true);
      u64[0] = old;
      return;
    }
    default:
      switch (imm & ~AtomicOp.FETCH) {
        case AtomicOp.ADD: next = BigInt.asUintN(64, old + v); break;
        case AtomicOp.OR: next = old | v; break;
        case AtomicOp.AND: next = old & v; break;
        default: next = old ^ v; break;
      }
  }
  view.setBigUint64(offset, next, true);
  if ((imm & AtomicOp.FETCH) !== 0) u64[s] = old;
}

/**
 * Calls helper `id` with r1–r5 and stores its r0. Returns true when the
 * helper tail-called: the target ran (its r0 is in r0) and the calling frame
 * must now exit, as if the target had replaced it.
 */
export function callHelper(ex: Execution, pc: number, kind: number, id: number): boolean {
  if (kind === PseudoCall.KFUNC_CALL) throw new VmUnknownHelperError(pc, id, undefined, "kfunc");
  const fn = ex.helpers.get(id);
  if (!fn) throw new VmUnknownHelperError(pc, id, helperName(id));
  const { u64 } = ex.regs;
  const ctx: HelperContext = {
    memory: ex.memory,
    index: pc,
    callFunction: (address, args) => callFunction(ex, pc, address, args),
    tailCall: (target) => {
      if (ex.tailCalls >= MAX_TAIL_CALLS) return false;
      ex.tailCalls++;
      ex.pendingTailCall = target;
      return true;
    },
  };
  const r1 = u64[1] as bigint;
  const r0 = fn(ctx, r1, u64[2] as bigint, u64[3] as bigint, u64[4] as bigint, u64[5] as bigint);
  u64[0] = typeof r0 === "bigint" ? r0 : BigInt(r0);
  const target = ex.pendingTailCall;
  if (target === undefined) return false;
  ex.pendingTailCall = undefined;
  runTailCall(ex, target, r1);
  return true;
}

/**
 * Runs a tail call's target from its first instruction with r1 = the
 * caller's context, on the calling frame's stack (as the kernel reuses it).
 * Budget, may_goto count and tail call count carry over.
 */
function runTailCall(ex: Execution, target: VmProgram, context: bigint): void {
  const { u64 } = ex.regs;
  const child: Execution = { ...ex, program: target };
  u64[1] = context;
  try {
    u64[0] = child.enter(child, 0);
  } finally {
    ex.remaining = child.remaining;
    ex.mayGoto = child.mayGoto;
    ex.tailCalls = child.tailCalls;
  }
}

/** Runs a callback subprogram on the next frame and restores the caller's registers. */
function callFunction(ex: Execution, pc: number, address: bigint, args: readonly bigint[]): bigint {
  const slot = address >= CODE_BASE ? Number(address - CODE_BASE) : -1;
  if (!ex.program.startsInstruction(slot)) {
    throw new VmFaultError(pc, address, 8, "read", undefined, "not a code address of this program (expected an ld_imm64 of a subprogram)");
  }
  if (ex.depth + 1 >= ex.stacks.length) throw depthError(pc, ex.stacks.length);
  const { u64 } = ex.regs;
  const saved = u64.slice();
  for (let i = 0; i < 5; i++) u64[i + 1] = args[i] ?? 0n;
  ex.depth++;
  u64[10] = (ex.stacks[ex.depth] as Region).base + BigInt(STACK_SIZE);
  try {
    return ex.enter(ex, slot);
  } finally {
    ex.depth--;
    u64.set(saved);
  }
}
