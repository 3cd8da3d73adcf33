// The handful of raw instructions the feature probes load. They are encoded
// here directly (little-endian host layout) so the probes depend on nothing
// but the sys layer.
import { stableBytes } from "../sys/attr.js";

/** One encoded instruction: [opcode, dst|src<<4, off16, imm32], host (LE) order. */
export interface RawInsn {
  readonly op: number;
  readonly dst?: number;
  readonly src?: number;
  readonly off?: number;
  readonly imm?: number;
}

/** Encodes instructions into a buffer whose address never moves. */
export function encodeProbe(insns: readonly RawInsn[]): Uint8Array {
  const out = stableBytes(insns.length * 8);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  insns.forEach((insn, i) => {
    view.setUint8(i * 8, insn.op);
    view.setUint8(i * 8 + 1, ((insn.src ?? 0) << 4) | (insn.dst ?? 0));
    view.setInt16(i * 8 + 2, insn.off ?? 0, true);
    view.setInt32(i * 8 + 4, insn.imm ?? 0, true);
  });
  return out;
}

/** Opcodes used by probes (class | op | source). */
export const Op = {
  MOV64_IMM: 0xb7, // BPF_ALU64 | BPF_MOV | BPF_K
  SUB64_IMM: 0x17, // BPF_ALU64 | BPF_SUB | BPF_K
  MOV64_REG: 0xbf, // BPF_ALU64 | BPF_MOV | BPF_X (off=8/16/32: movsx, ISA v4)
  BSWAP64: 0xd7, // BPF_ALU64 | BPF_END | BPF_TO_LE: unconditional bswap, ISA v4
  JNE_IMM: 0x55, // BPF_JMP | BPF_JNE | BPF_K
  JLT_IMM: 0xa5, // BPF_JMP | BPF_JLT | BPF_K (ISA v2)
  JMP32_JLT_IMM: 0xa6, // BPF_JMP32 | BPF_JLT | BPF_K (ISA v3)
  CALL: 0x85,
  EXIT: 0x95,
} as const;

/** `r0 = 0; exit`: the smallest valid program of any type. */
export const RETURN_ZERO: readonly RawInsn[] = [{ op: Op.MOV64_IMM, imm: 0 }, { op: Op.EXIT }];
