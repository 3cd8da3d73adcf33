// The instruction model: one logical instruction per object. ld_imm64, which
// occupies two 8-byte slots, is a single Instruction whose `imm64` carries
// the whole 64-bit immediate.
import { Class, JmpOp, LD_IMM64, Mode, PseudoCall } from "./opcodes.js";

/** One BPF instruction (struct bpf_insn), fields as the kernel sees them. */
export interface Instruction {
  /** The 8-bit opcode: class | size/op | mode/source. */
  opcode: number;
  /** Destination register (0–10; 4 bits on the wire). */
  dst: number;
  /** Source register, or a pseudo-source tag for ld_imm64 and calls. */
  src: number;
  /** Signed 16-bit offset. */
  offset: number;
  /** Signed 32-bit immediate (for ld_imm64: the low 32 bits, signed). */
  imm: number;
  /**
   * ld_imm64 only: the full 64-bit immediate, unsigned (low word from the
   * first slot, high word from the second). Encoding uses it when present.
   */
  imm64?: bigint;
}

/** Number of 8-byte slots an instruction occupies (2 for ld_imm64). */
export function slotCount(insn: Pick<Instruction, "opcode">): 1 | 2 {
  return insn.opcode === LD_IMM64 ? 2 : 1;
}

/** True for the two-slot ld_imm64. */
export function isLdImm64(insn: Pick<Instruction, "opcode">): boolean {
  return insn.opcode === LD_IMM64;
}

/** True for BPF_JMP | BPF_CALL (helper, kfunc or bpf-to-bpf call). */
export function isCall(insn: Pick<Instruction, "opcode">): boolean {
  return insn.opcode === (Class.JMP | JmpOp.CALL);
}

/** True for a bpf-to-bpf call (src_reg = BPF_PSEUDO_CALL). */
export function isSubprogCall(insn: Pick<Instruction, "opcode" | "src">): boolean {
  return isCall(insn) && insn.src === PseudoCall.CALL;
}

/** True for legacy packet loads (BPF_LD | BPF_ABS/BPF_IND). */
export function isLegacyPacketLoad(insn: Pick<Instruction, "opcode">): boolean {
  const mode = insn.opcode & 0xe0;
  return (insn.opcode & 0x07) === Class.LD && (mode === Mode.ABS || mode === Mode.IND);
}

/** The 64-bit immediate of an ld_imm64 from its two 32-bit halves. */
export function joinImm64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Low 32 bits of a 64-bit immediate as a signed number (the first slot's imm). */
export function lowImm(imm64: bigint): number {
  return Number(BigInt.asIntN(32, imm64));
}

/** High 32 bits of a 64-bit immediate as a signed number (the second slot's imm). */
export function highImm(imm64: bigint): number {
  return Number(BigInt.asIntN(32, imm64 >> 32n));
}

/** Shorthand constructor; `imm64` is only kept for ld_imm64. */
export function insn(opcode: number, dst = 0, src = 0, offset = 0, imm = 0): Instruction {
  return { opcode, dst, src, offset, imm };
}
