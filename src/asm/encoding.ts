// Wire format of instructions (struct bpf_insn, 8 bytes per slot):
//   u8 code; u8 dst_reg:4, src_reg:4; s16 off; s32 imm;
// The register nibbles follow the bitfield order of the target: on
// little-endian dst is the low nibble, on big-endian the high one.
import { InvalidInstructionError } from "./errors.js";
import { highImm, joinImm64, lowImm, type Instruction } from "./instruction.js";
import { LD_IMM64 } from "./opcodes.js";

/** Byte order of an instruction stream (the target's, not the host's). */
export type ByteOrder = "le" | "be";

/** Size of one instruction slot in bytes. */
export const INSN_SIZE = 8;

/** Number of 8-byte slots the instructions occupy. */
export function slotsOf(insns: readonly Instruction[]): number {
  let n = 0;
  for (const i of insns) n += i.opcode === LD_IMM64 ? 2 : 1;
  return n;
}

/** Encodes instructions into their wire format. Throws InvalidInstructionError for out-of-range fields. */
export function encode(insns: readonly Instruction[], byteOrder: ByteOrder = "le"): Uint8Array {
  const out = new Uint8Array(slotsOf(insns) * INSN_SIZE);
  encodeInto(insns, out, 0, byteOrder);
  return out;
}

/**
 * Encodes into an existing buffer at byte `offset` (e.g. a stable buffer
 * handed to BPF_PROG_LOAD). Returns the number of bytes written.
 */
export function encodeInto(insns: readonly Instruction[], out: Uint8Array, offset = 0, byteOrder: ByteOrder = "le"): number {
  const le = byteOrder === "le";
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let pos = offset;
  let slot = 0;
  for (const insn of insns) {
    checkFields(insn, slot);
    const wide = insn.opcode === LD_IMM64;
    if (pos + (wide ? 16 : 8) > out.byteLength) throw new InvalidInstructionError("output buffer too small", slot);
    let imm = insn.imm;
    let hi = 0;
    if (wide) {
      const v = insn.imm64 ?? BigInt.asUintN(32, BigInt(insn.imm));
      if (v < -(1n << 63n) || v >= 1n << 64n) throw new InvalidInstructionError(`imm64 ${v} does not fit in 64 bits`, slot);
      imm = lowImm(v);
      hi = highImm(v);
    }
    writeSlot(view, pos, insn.opcode, insn.dst, insn.src, insn.offset, imm, le);
    pos += 8;
    slot++;
    if (wide) {
      writeSlot(view, pos, 0, 0, 0, 0, hi, le);
      pos += 8;
      slot++;
    }
  }
  return pos - offset;
}

function writeSlot(view: DataView, pos: number, opcode: number, dst: number, src: number, off: number, imm: number, le: boolean): void {
  view.setUint8(pos, opcode);
  view.setUint8(pos + 1, le ? (src << 4) | dst : (dst << 4) | src);
  view.setInt16(pos + 2, off << 16 >> 16, le);
  view.setInt32(pos + 4, imm | 0, le);
}

function checkFields(insn: Instruction, slot: number): void {
  const { opcode, dst, src, offset, imm } = insn;
  if (!isIntIn(opcode, 0, 0xff)) throw new InvalidInstructionError(`opcode ${opcode} is not a byte`, slot);
  if (!isIntIn(dst, 0, 15)) throw new InvalidInstructionError(`dst register ${dst} is not 0–15`, slot);
  if (!isIntIn(src, 0, 15)) throw new InvalidInstructionError(`src register ${src} is not 0–15`, slot);
  // Accept both the signed and the unsigned spelling of the 16/32-bit fields.
  if (!isIntIn(offset, -0x8000, 0xffff)) throw new InvalidInstructionError(`offset ${offset} does not fit in 16 bits`, slot);
  if (!isIntIn(imm, -0x8000_0000, 0xffff_ffff)) throw new InvalidInstructionError(`imm ${imm} does not fit in 32 bits`, slot);
}

function isIntIn(v: number, lo: number, hi: number): boolean {
  return Number.isInteger(v) && v >= lo && v <= hi;
}

/**
 * Decodes an instruction stream. ld_imm64 becomes one Instruction with
 * `imm64`. Opcodes are not validated (unknown ones round-trip unchanged);
 * a truncated stream or a malformed ld_imm64 second slot is an
 * InvalidInstructionError.
 */
export function decode(bytes: Uint8Array, byteOrder: ByteOrder = "le"): Instruction[] {
  if (bytes.byteLength % INSN_SIZE !== 0) {
    throw new InvalidInstructionError(`instruction stream length ${bytes.byteLength} is not a multiple of 8`);
  }
  const le = byteOrder === "le";
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const slots = bytes.byteLength / INSN_SIZE;
  const out: Instruction[] = [];
  for (let slot = 0; slot < slots; slot++) {
    const pos = slot * INSN_SIZE;
    const opcode = view.getUint8(pos);
    const regs = view.getUint8(pos + 1);
    const insn: Instruction = {
      opcode,
      dst: le ? regs & 0x0f : regs >> 4,
      src: le ? regs >> 4 : regs & 0x0f,
      offset: view.getInt16(pos + 2, le),
      imm: view.getInt32(pos + 4, le),
    };
    if (opcode === LD_IMM64) {
      if (slot + 1 >= slots) throw new InvalidInstructionError("ld_imm64 is missing its second slot", slot);
      const next = pos + INSN_SIZE;
      if (view.getUint8(next) !== 0 || view.getUint8(next + 1) !== 0 || view.getInt16(next + 2, le) !== 0) {
        throw new InvalidInstructionError("the second slot of ld_imm64 must have zero opcode, registers and offset", slot + 1);
      }
      insn.imm64 = joinImm64(insn.imm, view.getInt32(next + 4, le));
      slot++;
    }
    out.push(insn);
  }
  return out;
}
