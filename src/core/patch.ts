// Applying resolved CO-RE fixups to instructions, as libbpf's
// bpf_core_patch_insn does: ALU/ALU64 immediates, LDX/ST/STX offsets (with
// the access width adjusted when the field size changed and that is safe),
// ld_imm64 64-bit immediates; poisoned relocations turn the instruction
// (both slots of an ld_imm64) into a call to an invalid helper.
import type { ByteOrder } from "../asm/encoding.js";
import { decode, encode } from "../asm/encoding.js";
import type { Instruction } from "../asm/instruction.js";
import { Class, LD_IMM64, Size, sizeBytes } from "../asm/opcodes.js";
import { CoreRelocationError } from "./errors.js";
import type { CoreFixup } from "./fixup.js";
import { poisonSlot } from "./poison.js";

/** Options of applyCoreFixups. */
export interface ApplyFixupsOptions {
  /** Byte order of the instructions (the object's), default "le". */
  byteOrder?: ByteOrder;
  /** Slot index of `code[0]` within the section the fixups refer to (for a program that starts mid-section). */
  firstSlot?: number;
}

const SHRT_MAX = 0x7fff;

function sizeField(bytes: number): number | undefined {
  switch (bytes) {
    case 1: return Size.B;
    case 2: return Size.H;
    case 4: return Size.W;
    case 8: return Size.DW;
    default: return undefined;
  }
}

/**
 * Patches `code` (wire-format instructions) in place. Fixups outside
 * `[firstSlot, firstSlot + slots)` are ignored, so one call per program
 * with the section's fixups works. Returns the slot indexes (relative to
 * `code`) that were poisoned. Throws CoreRelocationError when an
 * instruction does not have the form or value its relocation expects.
 */
export function applyCoreFixups(code: Uint8Array, fixups: Iterable<CoreFixup>, options: ApplyFixupsOptions = {}): number[] {
  const le = (options.byteOrder ?? "le") === "le";
  const first = options.firstSlot ?? 0;
  const slots = Math.floor(code.byteLength / 8);
  const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
  const poisoned: number[] = [];
  for (const f of fixups) {
    const slot = f.insnIndex - first;
    if (slot < 0 || slot >= slots) continue;
    const pos = slot * 8;
    const fail = (why: string): never => {
      throw new CoreRelocationError(why, { section: f.section, insnIndex: f.insnIndex, description: f.description, target: f.targetName });
    };
    const opcode = view.getUint8(pos);
    const cls = opcode & 0x07;
    const poison = (): void => {
      if (opcode === LD_IMM64 && slot + 1 < slots) poisonSlot(view, pos + 8, le);
      poisonSlot(view, pos, le);
      poisoned.push(slot);
    };
    if (f.poisoned) {
      poison();
      continue;
    }
    switch (cls) {
      case Class.ALU: case Class.ALU64: {
        if ((opcode & 0x08) !== 0) fail(`ALU instruction 0x${opcode.toString(16)} has a register source; CO-RE needs an immediate`);
        const imm = view.getInt32(pos + 4, le);
        if (f.validate && BigInt.asUintN(64, BigInt(imm)) !== f.localValue) {
          fail(`instruction holds ${imm}, expected the local value ${f.localValue}`);
        }
        view.setInt32(pos + 4, Number(BigInt.asIntN(32, f.targetValue)), le);
        break;
      }
      case Class.LDX: case Class.ST: case Class.STX: {
        const off = view.getInt16(pos + 2, le);
        if (f.validate && BigInt.asUintN(64, BigInt(off)) !== f.localValue) fail(`instruction offset is ${off}, expected the local value ${f.localValue}`);
        if (f.targetValue > BigInt(SHRT_MAX)) fail(`target offset ${f.targetValue} does not fit the 16-bit instruction offset`);
        if (f.memSizeMismatch) {
          // Reading a differently sized signed field would give a wrong value: refuse to run it.
          poison();
          continue;
        }
        view.setInt16(pos + 2, Number(f.targetValue), le);
        if (f.localMemSize !== f.targetMemSize) {
          const width = sizeBytes(opcode);
          if (width !== f.localMemSize) fail(`instruction accesses ${width} bytes, expected the field size ${f.localMemSize}`);
          const size = sizeField(f.targetMemSize);
          if (size === undefined) fail(`target field size ${f.targetMemSize} is not 1, 2, 4 or 8 bytes`);
          view.setUint8(pos, (opcode & 0xe0) | (size as number) | cls);
        }
        break;
      }
      case Class.LD: {
        if (opcode !== LD_IMM64 || slot + 1 >= slots) fail("only ld_imm64 can be relocated in the LD class");
        const regs = view.getUint8(pos + 1);
        const srcReg = le ? regs >> 4 : regs & 0x0f;
        if (srcReg !== 0 || view.getInt16(pos + 2, le) !== 0 || view.getUint8(pos + 8) !== 0 || view.getUint8(pos + 9) !== 0 || view.getInt16(pos + 10, le) !== 0) {
          fail("ld_imm64 has an unexpected form (pseudo source or non-zero second slot)");
        }
        const imm = (BigInt(view.getUint32(pos + 12, le)) << 32n) | BigInt(view.getUint32(pos + 4, le));
        if (f.validate && imm !== f.localValue) fail(`ld_imm64 holds ${imm}, expected the local value ${f.localValue}`);
        view.setUint32(pos + 4, Number(f.targetValue & 0xffffffffn), le);
        view.setUint32(pos + 12, Number((f.targetValue >> 32n) & 0xffffffffn), le);
        break;
      }
      default:
        fail(`instruction class 0x${cls.toString(16)} (opcode 0x${opcode.toString(16)}) cannot carry a CO-RE relocation`);
    }
  }
  return poisoned;
}

/**
 * Applies fixups to decoded instructions (slot-addressed, ld_imm64 counts
 * two) and returns the new instruction list. A poisoned ld_imm64 becomes
 * two poison calls, so the list may grow; slot positions never move.
 */
export function applyCoreFixupsToInstructions(insns: readonly Instruction[], fixups: Iterable<CoreFixup>, options: ApplyFixupsOptions = {}): Instruction[] {
  const bytes = encode(insns, options.byteOrder ?? "le");
  applyCoreFixups(bytes, fixups, options);
  return decode(bytes, options.byteOrder ?? "le");
}
