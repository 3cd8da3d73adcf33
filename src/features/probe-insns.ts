// The handful of raw instructions the feature probes load, in a compact
// notation. Encoding and opcodes come from the asm layer.
import { stableBytes } from "../sys/attr.js";
import { encodeInto } from "../asm/encoding.js";
import { AluOp, Class, Endian, JmpOp, Source } from "../asm/opcodes.js";

/** One instruction: opcode plus the fields a probe sets (the rest are 0). */
export interface RawInsn {
  readonly op: number;
  readonly dst?: number;
  readonly src?: number;
  readonly off?: number;
  readonly imm?: number;
}

/** Encodes instructions (host little-endian) into a buffer whose address never moves. */
export function encodeProbe(insns: readonly RawInsn[]): Uint8Array {
  const out = stableBytes(insns.length * 8);
  encodeInto(insns.map((i) => ({ opcode: i.op, dst: i.dst ?? 0, src: i.src ?? 0, offset: i.off ?? 0, imm: i.imm ?? 0 })), out, 0, "le");
  return out;
}

/** Opcodes used by probes (class | op | source). */
export const Op = {
  MOV64_IMM: Class.ALU64 | AluOp.MOV | Source.K,
  SUB64_IMM: Class.ALU64 | AluOp.SUB | Source.K,
  /** off=8/16/32 makes it movsx (ISA v4). */
  MOV64_REG: Class.ALU64 | AluOp.MOV | Source.X,
  /** Unconditional bswap (ISA v4). */
  BSWAP64: Class.ALU64 | AluOp.END | Endian.TO_LE,
  JNE_IMM: Class.JMP | JmpOp.JNE | Source.K,
  /** ISA v2. */
  JLT_IMM: Class.JMP | JmpOp.JLT | Source.K,
  /** ISA v3. */
  JMP32_JLT_IMM: Class.JMP32 | JmpOp.JLT | Source.K,
  CALL: Class.JMP | JmpOp.CALL,
  EXIT: Class.JMP | JmpOp.EXIT,
} as const;

/** `r0 = 0; exit`: the smallest valid program of any type. */
export const RETURN_ZERO: readonly RawInsn[] = [{ op: Op.MOV64_IMM, imm: 0 }, { op: Op.EXIT }];
