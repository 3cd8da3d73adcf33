// A program made ready for the machine: the asm layer decodes it, then it is
// checked once for what the ISA forbids (unknown opcodes, registers past r10,
// writes to r10, jumps outside the program or into the middle of ld_imm64,
// a last instruction that could fall off the end) and laid out in typed
// arrays indexed by slot, the unit jump offsets count in. Everything a check
// here rules out, the engines never test again.
import { decode, type ByteOrder } from "../asm/encoding.js";
import { InvalidInstructionError } from "../asm/errors.js";
import type { Instruction } from "../asm/instruction.js";
import { AluOp, AtomicOp, Class, JmpOp, LD_IMM64, Mode, PseudoCall, PseudoLd, Size, Source } from "../asm/opcodes.js";

/** Registers r0–r10; r10 is the read-only frame pointer. */
const FRAME_POINTER = 10;

/**
 * Resolves an ld_imm64 whose src_reg names a map, a map value or a kernel
 * variable (PseudoLd.MAP_FD, MAP_VALUE, BTF_ID, MAP_IDX, MAP_IDX_VALUE):
 * returns the 64-bit value the register gets (e.g. a map value region's base
 * + `offset`). `imm` is the first slot's immediate, `offset` the second's.
 */
export type LdImm64Resolver = (src: number, imm: number, offset: number, index: number) => bigint;

/** Options of {@link VmProgram}. */
export interface VmProgramOptions {
  /** Resolves map and variable references of ld_imm64; without it they are invalid. */
  resolveLdImm64?: LdImm64Resolver;
  /** Byte order of the instruction bytes (default "le"). */
  byteOrder?: ByteOrder;
}

/** Base of code addresses: ld_imm64 with PseudoLd.FUNC loads `CODE_BASE + slot` (callbacks of bpf_loop & co.). */
export const CODE_BASE = 0xc0de_0000_0000_0000n;

/** A validated program, one entry per 8-byte slot. */
export class VmProgram {
  /** Number of 8-byte slots. */
  readonly length: number;
  readonly opcode: Uint8Array;
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly offset: Int16Array;
  readonly imm: Int32Array;
  /** ld_imm64: the value loaded (relocated for pseudo sources), at the first slot. */
  readonly imm64: BigUint64Array;
  /** Each slot's imm sign-extended to 64 bits, as unsigned (ALU64/JMP operands). */
  readonly immU64: BigUint64Array;
  /** Each slot's imm sign-extended to 64 bits. */
  readonly immS64: BigInt64Array;
  /** The decoded instructions (ld_imm64 is one of them). */
  readonly instructions: readonly Instruction[];
  readonly #secondSlots: ReadonlySet<number>;

  /** Validates and lays out `instructions` (ld_imm64 as one Instruction with imm64). */
  constructor(instructions: readonly Instruction[], options: VmProgramOptions = {}) {
    let slots = 0;
    for (const i of instructions) slots += i.opcode === LD_IMM64 ? 2 : 1;
    if (slots === 0) throw new InvalidInstructionError("the program is empty");
    this.length = slots;
    this.opcode = new Uint8Array(slots);
    this.dst = new Uint8Array(slots);
    this.src = new Uint8Array(slots);
    this.offset = new Int16Array(slots);
    this.imm = new Int32Array(slots);
    this.imm64 = new BigUint64Array(slots);
    this.immU64 = new BigUint64Array(slots);
    this.immS64 = new BigInt64Array(this.immU64.buffer);
    this.instructions = instructions;
    const secondSlots = new Set<number>();
    let slot = 0;
    for (const insn of instructions) {
      this.opcode[slot] = insn.opcode;
      this.dst[slot] = insn.dst;
      this.src[slot] = insn.src;
      this.offset[slot] = insn.offset;
      this.imm[slot] = insn.imm;
      this.immS64[slot] = BigInt(insn.imm | 0);
      if (insn.opcode === LD_IMM64) {
        const raw = insn.imm64 ?? BigInt.asUintN(32, BigInt(insn.imm));
        this.imm64[slot] = ldImm64Value(insn, raw, slot, options.resolveLdImm64);
        secondSlots.add(slot + 1);
        slot += 2;
      } else {
        slot += 1;
      }
    }
    this.#secondSlots = secondSlots;
    for (let i = 0; i < slots; i++) if (!secondSlots.has(i)) this.check(i, secondSlots);
    const last = lastInstructionSlot(this, secondSlots);
    const op = this.opcode[last] ?? 0;
    if (op !== (Class.JMP | JmpOp.EXIT) && op !== (Class.JMP | JmpOp.JA) && op !== (Class.JMP32 | JmpOp.JA)) {
      throw new InvalidInstructionError("the last instruction must be exit or an unconditional jump (execution would fall off the end)", last);
    }
  }

  /** True when an instruction starts at `slot` (it is in range and not the second half of an ld_imm64). */
  startsInstruction(slot: number): boolean {
    return Number.isInteger(slot) && slot >= 0 && slot < this.length && !this.#secondSlots.has(slot);
  }

  /** Decodes and validates wire-format instructions (8 bytes a slot). */
  static fromBytes(bytes: Uint8Array, options: VmProgramOptions = {}): VmProgram {
    return new VmProgram(decode(bytes, options.byteOrder ?? "le"), options);
  }

  private check(i: number, secondSlots: ReadonlySet<number>): void {
    const op = this.opcode[i] as number;
    const dst = this.dst[i] as number;
    const src = this.src[i] as number;
    const off = this.offset[i] as number;
    const imm = this.imm[i] as number;
    const fail = (why: string): never => { throw new InvalidInstructionError(`${why} (opcode 0x${op.toString(16).padStart(2, "0")})`, i); };
    if (dst > FRAME_POINTER) fail(`dst register r${dst} does not exist`);
    if (src > FRAME_POINTER && !(op === LD_IMM64 || op === (Class.JMP | JmpOp.CALL))) fail(`src register r${src} does not exist`);
    const target = (delta: number): void => {
      const t = i + delta + 1;
      if (t < 0 || t >= this.length) fail(`jump target ${t} is outside the program (0–${this.length - 1})`);
      if (secondSlots.has(t)) fail(`jump target ${t} is the second slot of an ld_imm64`);
    };
    const cls = op & 0x07;
    switch (cls) {
      case Class.ALU:
      case Class.ALU64: {
        const aluOp = op & 0xf0;
        const x = (op & Source.X) !== 0;
        if (dst === FRAME_POINTER) fail("r10 is read-only");
        if (aluOp === AluOp.END) {
          if (cls === Class.ALU64 && x) fail("bswap (ALU64 END) takes no source flag");
          if (imm !== 16 && imm !== 32 && imm !== 64) fail(`byte swap width ${imm} is not 16, 32 or 64`);
          return;
        }
        if (aluOp > AluOp.END) fail("unknown ALU operation");
        if (aluOp === AluOp.NEG && x) fail("neg takes no source register");
        if (aluOp === AluOp.DIV || aluOp === AluOp.MOD) {
          if (off !== 0 && off !== 1) fail(`offset ${off} of div/mod must be 0 (unsigned) or 1 (signed)`);
        } else if (aluOp === AluOp.MOV) {
          const widths = cls === Class.ALU64 ? [0, 8, 16, 32] : [0, 8, 16];
          if (!widths.includes(off)) fail(`mov offset ${off} is not a sign-extension width (${widths.join(", ")})`);
          if (off !== 0 && !x) fail("movsx takes a source register");
        } else if (off !== 0) {
          fail(`offset ${off} must be 0`);
        }
        return;
      }
      case Class.JMP:
      case Class.JMP32: {
        const jmpOp = op & 0xf0;
        const x = (op & Source.X) !== 0;
        switch (jmpOp) {
          case JmpOp.JA:
            if (x) fail("ja takes no source register");
            target(cls === Class.JMP32 ? imm : off);
            return;
          case JmpOp.CALL:
            if (cls !== Class.JMP || x) fail("call must be BPF_JMP | BPF_CALL | BPF_K");
            if (src === PseudoCall.CALL) target(imm);
            else if (src !== PseudoCall.HELPER && src !== PseudoCall.KFUNC_CALL) fail(`call src ${src} is not a helper, local or kfunc call`);
            return;
          case JmpOp.EXIT:
            if (cls !== Class.JMP || x) fail("exit must be BPF_JMP | BPF_EXIT");
            return;
          case JmpOp.JCOND:
            if (cls !== Class.JMP || x || src !== 0) fail("only may_goto (JMP JCOND, src 0) is defined");
            target(off);
            return;
          default:
            if (jmpOp > JmpOp.JCOND) fail("unknown jump operation");
            target(off);
            return;
        }
      }
      case Class.LD:
        if (op === LD_IMM64) {
          if (dst === FRAME_POINTER) fail("r10 is read-only");
          if (src === PseudoLd.FUNC) target(imm);
          return;
        }
        if ((op & 0xe0) === Mode.ABS || (op & 0xe0) === Mode.IND) {
          if ((op & 0x18) === Size.DW) fail("legacy packet loads have no 64-bit size");
          return;
        }
        return fail("unknown load instruction");
      case Class.LDX: {
        const mode = op & 0xe0;
        if (dst === FRAME_POINTER) fail("r10 is read-only");
        if (mode === Mode.MEMSX && (op & 0x18) === Size.DW) fail("sign-extending loads have no 64-bit size");
        if (mode !== Mode.MEM && mode !== Mode.MEMSX) fail("unknown LDX mode");
        return;
      }
      case Class.ST:
        if ((op & 0xe0) !== Mode.MEM) fail("unknown ST mode");
        return;
      default: {
        // Class.STX
        const mode = op & 0xe0;
        if (mode === Mode.MEM) return;
        if (mode !== Mode.ATOMIC) fail("unknown STX mode");
        const size = op & 0x18;
        if (imm === AtomicOp.LOAD_ACQ) {
          if (src === FRAME_POINTER || dst === FRAME_POINTER) fail("load-acquire cannot write r10");
          return;
        }
        if (imm === AtomicOp.STORE_REL) return;
        if (size !== Size.W && size !== Size.DW) fail("atomic operations are 32 or 64 bits wide");
        const known: number[] = [AtomicOp.ADD, AtomicOp.OR, AtomicOp.AND, AtomicOp.XOR];
        const base = imm & ~AtomicOp.FETCH;
        if (imm === AtomicOp.XCHG || imm === AtomicOp.CMPXCHG) {
          if (imm === AtomicOp.XCHG && src === FRAME_POINTER) fail("xchg cannot write r10");
          return;
        }
        if (!known.includes(base) || (imm & ~0xf1) !== 0) fail(`unknown atomic operation 0x${imm.toString(16)}`);
        if ((imm & AtomicOp.FETCH) !== 0 && src === FRAME_POINTER) fail("a fetching atomic cannot write r10");
        return;
      }
    }
  }
}

function lastInstructionSlot(program: VmProgram, secondSlots: ReadonlySet<number>): number {
  const last = program.length - 1;
  return secondSlots.has(last) ? last - 1 : last;
}

function ldImm64Value(insn: Instruction, raw: bigint, slot: number, resolve: LdImm64Resolver | undefined): bigint {
  switch (insn.src) {
    case PseudoLd.NONE:
      return raw;
    case PseudoLd.FUNC:
      return CODE_BASE + BigInt(slot + insn.imm + 1);
    case PseudoLd.MAP_FD:
    case PseudoLd.MAP_VALUE:
    case PseudoLd.BTF_ID:
    case PseudoLd.MAP_IDX:
    case PseudoLd.MAP_IDX_VALUE: {
      if (!resolve) throw new InvalidInstructionError(`ld_imm64 with src ${insn.src} references a map or kernel variable, and no resolver was given`, slot);
      const high = Number(BigInt.asIntN(32, raw >> 32n));
      return BigInt.asUintN(64, resolve(insn.src, insn.imm, high, slot));
    }
    default:
      throw new InvalidInstructionError(`ld_imm64 src ${insn.src} is not defined`, slot);
  }
}
