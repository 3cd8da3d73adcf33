// ProgramBuilder: writes BPF programs instruction by instruction, with named
// labels for jumps, bpf-to-bpf calls and callback addresses. Labels are
// resolved in build(), so forward references just work.
//
//   new ProgramBuilder()
//     .mov64Imm(R0, 0)
//     .jeqImm(R1, 0, "out")
//     .mov64Imm(R0, 1)
//     .label("out")
//     .exit()
//     .build();
import { encode, type ByteOrder } from "./encoding.js";
import { InvalidInstructionError, LabelError } from "./errors.js";
import { helperId, type HelperRef } from "./helpers.js";
import { slotCount, type Instruction } from "./instruction.js";
import { AluOp, AtomicOp, Class, Endian, JmpOp, LD_IMM64, Mode, PseudoCall, PseudoLd, Size, Source } from "./opcodes.js";
import type { Register } from "./registers.js";
import type { FD } from "../sys/fd.js";

/** A map given by raw descriptor number or by its FD owner. */
export type MapFdRef = number | Pick<FD, "raw">;

function rawFd(fd: MapFdRef): number {
  return typeof fd === "number" ? fd : fd.raw;
}

/** Where a jump goes: a label name, or a raw offset in slots relative to the next instruction. */
export type JumpTarget = string | number;

/** Options of the plain atomic read-modify-write operations. */
export interface AtomicOptions {
  /** Also load the old value into the source register (BPF_FETCH, Linux 5.12). */
  fetch?: boolean;
}

/** Which field of an instruction a label fills in. */
type LabelField = "offset" | "imm";

interface LabelRef {
  readonly label: string;
  readonly field: LabelField;
}

type MemSize = "B" | "H" | "W" | "DW";
const sizeBits: Record<MemSize, number> = { B: Size.B, H: Size.H, W: Size.W, DW: Size.DW };

/** Builds an instruction stream; every method appends and returns `this`. */
export class ProgramBuilder {
  readonly #insns: Instruction[] = [];
  readonly #refs: (LabelRef | undefined)[] = [];
  /** Label → index of the logical instruction it precedes. */
  readonly #labels = new Map<string, number>();

  /** Number of logical instructions so far (ld_imm64 counts once). */
  get length(): number {
    return this.#insns.length;
  }

  /** Appends a raw instruction (copied). */
  raw(insn: Instruction): this {
    return this.#push({ ...insn });
  }

  /** Appends several raw instructions (copied). */
  append(insns: Iterable<Instruction>): this {
    for (const i of insns) this.raw(i);
    return this;
  }

  /** Names the position of the next instruction. Each name may be defined once. */
  label(name: string): this {
    if (this.#labels.has(name)) throw new LabelError(name, "defined twice");
    this.#labels.set(name, this.#insns.length);
    return this;
  }

  // ---- ALU, 64-bit (BPF_ALU64) -------------------------------------------
  /** dst = imm (sign-extended to 64 bits). */ mov64Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU64, AluOp.MOV, dst, imm); }
  /** dst = src. */ mov64Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU64, AluOp.MOV, dst, src); }
  /** dst += imm. */ add64Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU64, AluOp.ADD, dst, imm); }
  /** dst += src. */ add64Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU64, AluOp.ADD, dst, src); }
  /** dst -= imm. */ sub64Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU64, AluOp.SUB, dst, imm); }
  /** dst -= src. */ sub64Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU64, AluOp.SUB, dst, src); }
  /** dst *= imm. */ mul64Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU64, AluOp.MUL, dst, imm); }
  /** dst *= src. */ mul64Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU64, AluOp.MUL, dst, src); }
  /** dst /= imm (unsigned). */ div64Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU64, AluOp.DIV, dst, imm); }
  /** dst /= src (unsigned). */ div64Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU64, AluOp.DIV, dst, src); }
  /** dst s/= imm (signed; cpu v4, Linux 6.6). */ sdiv64Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU64, AluOp.DIV, dst, imm, 1); }
  /** dst s/= src (signed; cpu v4, Linux 6.6). */ sdiv64Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU64, AluOp.DIV, dst, src, 1); }
  /** dst %= imm (unsigned). */ mod64Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU64, AluOp.MOD, dst, imm); }
  /** dst %= src (unsigned). */ mod64Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU64, AluOp.MOD, dst, src); }
  /** dst s%= imm (signed; cpu v4, Linux 6.6). */ smod64Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU64, AluOp.MOD, dst, imm, 1); }
  /** dst s%= src (signed; cpu v4, Linux 6.6). */ smod64Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU64, AluOp.MOD, dst, src, 1); }
  /** dst |= imm. */ or64Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU64, AluOp.OR, dst, imm); }
  /** dst |= src. */ or64Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU64, AluOp.OR, dst, src); }
  /** dst &= imm. */ and64Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU64, AluOp.AND, dst, imm); }
  /** dst &= src. */ and64Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU64, AluOp.AND, dst, src); }
  /** dst ^= imm. */ xor64Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU64, AluOp.XOR, dst, imm); }
  /** dst ^= src. */ xor64Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU64, AluOp.XOR, dst, src); }
  /** dst <<= imm. */ lsh64Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU64, AluOp.LSH, dst, imm); }
  /** dst <<= src. */ lsh64Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU64, AluOp.LSH, dst, src); }
  /** dst >>= imm (logical). */ rsh64Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU64, AluOp.RSH, dst, imm); }
  /** dst >>= src (logical). */ rsh64Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU64, AluOp.RSH, dst, src); }
  /** dst s>>= imm (arithmetic). */ arsh64Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU64, AluOp.ARSH, dst, imm); }
  /** dst s>>= src (arithmetic). */ arsh64Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU64, AluOp.ARSH, dst, src); }
  /** dst = -dst. */ neg64(dst: Register): this { return this.#alu(Class.ALU64, AluOp.NEG, dst, 0); }
  /** dst = (s8|s16|s32) src, sign-extended to 64 bits (cpu v4, Linux 6.6). */
  movsx64(dst: Register, src: Register, bits: 8 | 16 | 32): this { return this.#aluReg(Class.ALU64, AluOp.MOV, dst, src, bits); }

  // ---- ALU, 32-bit (BPF_ALU; results are zero-extended) -------------------
  /** w(dst) = imm. */ mov32Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU, AluOp.MOV, dst, imm); }
  /** w(dst) = w(src). */ mov32Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU, AluOp.MOV, dst, src); }
  /** w(dst) += imm. */ add32Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU, AluOp.ADD, dst, imm); }
  /** w(dst) += w(src). */ add32Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU, AluOp.ADD, dst, src); }
  /** w(dst) -= imm. */ sub32Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU, AluOp.SUB, dst, imm); }
  /** w(dst) -= w(src). */ sub32Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU, AluOp.SUB, dst, src); }
  /** w(dst) *= imm. */ mul32Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU, AluOp.MUL, dst, imm); }
  /** w(dst) *= w(src). */ mul32Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU, AluOp.MUL, dst, src); }
  /** w(dst) /= imm (unsigned). */ div32Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU, AluOp.DIV, dst, imm); }
  /** w(dst) /= w(src) (unsigned). */ div32Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU, AluOp.DIV, dst, src); }
  /** w(dst) s/= imm (cpu v4). */ sdiv32Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU, AluOp.DIV, dst, imm, 1); }
  /** w(dst) s/= w(src) (cpu v4). */ sdiv32Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU, AluOp.DIV, dst, src, 1); }
  /** w(dst) %= imm (unsigned). */ mod32Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU, AluOp.MOD, dst, imm); }
  /** w(dst) %= w(src) (unsigned). */ mod32Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU, AluOp.MOD, dst, src); }
  /** w(dst) s%= imm (cpu v4). */ smod32Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU, AluOp.MOD, dst, imm, 1); }
  /** w(dst) s%= w(src) (cpu v4). */ smod32Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU, AluOp.MOD, dst, src, 1); }
  /** w(dst) |= imm. */ or32Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU, AluOp.OR, dst, imm); }
  /** w(dst) |= w(src). */ or32Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU, AluOp.OR, dst, src); }
  /** w(dst) &= imm. */ and32Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU, AluOp.AND, dst, imm); }
  /** w(dst) &= w(src). */ and32Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU, AluOp.AND, dst, src); }
  /** w(dst) ^= imm. */ xor32Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU, AluOp.XOR, dst, imm); }
  /** w(dst) ^= w(src). */ xor32Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU, AluOp.XOR, dst, src); }
  /** w(dst) <<= imm. */ lsh32Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU, AluOp.LSH, dst, imm); }
  /** w(dst) <<= w(src). */ lsh32Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU, AluOp.LSH, dst, src); }
  /** w(dst) >>= imm. */ rsh32Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU, AluOp.RSH, dst, imm); }
  /** w(dst) >>= w(src). */ rsh32Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU, AluOp.RSH, dst, src); }
  /** w(dst) s>>= imm. */ arsh32Imm(dst: Register, imm: number): this { return this.#alu(Class.ALU, AluOp.ARSH, dst, imm); }
  /** w(dst) s>>= w(src). */ arsh32Reg(dst: Register, src: Register): this { return this.#aluReg(Class.ALU, AluOp.ARSH, dst, src); }
  /** w(dst) = -w(dst). */ neg32(dst: Register): this { return this.#alu(Class.ALU, AluOp.NEG, dst, 0); }
  /** w(dst) = (s8|s16) w(src), sign-extended to 32 bits (cpu v4, Linux 6.6). */
  movsx32(dst: Register, src: Register, bits: 8 | 16): this { return this.#aluReg(Class.ALU, AluOp.MOV, dst, src, bits); }

  // ---- byte swaps ----------------------------------------------------------
  /** dst = htole{16,32,64}(dst): truncates to `bits` on little-endian targets. */
  toLe(dst: Register, bits: 16 | 32 | 64): this { return this.#push({ opcode: Class.ALU | AluOp.END | Endian.TO_LE, dst, src: 0, offset: 0, imm: bits }); }
  /** dst = htobe{16,32,64}(dst). */
  toBe(dst: Register, bits: 16 | 32 | 64): this { return this.#push({ opcode: Class.ALU | AluOp.END | Endian.TO_BE, dst, src: 0, offset: 0, imm: bits }); }
  /** dst = bswap{16,32,64}(dst), unconditionally (ALU64 BPF_END; cpu v4, Linux 6.6). */
  bswap(dst: Register, bits: 16 | 32 | 64): this { return this.#push({ opcode: Class.ALU64 | AluOp.END, dst, src: 0, offset: 0, imm: bits }); }

  // ---- loads and stores ----------------------------------------------------
  /** dst = *(u8 *)(src + off). */ ldxB(dst: Register, src: Register, off: number): this { return this.#ldx("B", Mode.MEM, dst, src, off); }
  /** dst = *(u16 *)(src + off). */ ldxH(dst: Register, src: Register, off: number): this { return this.#ldx("H", Mode.MEM, dst, src, off); }
  /** dst = *(u32 *)(src + off). */ ldxW(dst: Register, src: Register, off: number): this { return this.#ldx("W", Mode.MEM, dst, src, off); }
  /** dst = *(u64 *)(src + off). */ ldxDW(dst: Register, src: Register, off: number): this { return this.#ldx("DW", Mode.MEM, dst, src, off); }
  /** dst = *(s8 *)(src + off), sign-extended (cpu v4, Linux 6.6). */ ldxsB(dst: Register, src: Register, off: number): this { return this.#ldx("B", Mode.MEMSX, dst, src, off); }
  /** dst = *(s16 *)(src + off), sign-extended (cpu v4). */ ldxsH(dst: Register, src: Register, off: number): this { return this.#ldx("H", Mode.MEMSX, dst, src, off); }
  /** dst = *(s32 *)(src + off), sign-extended (cpu v4). */ ldxsW(dst: Register, src: Register, off: number): this { return this.#ldx("W", Mode.MEMSX, dst, src, off); }
  /** *(u8 *)(dst + off) = src. */ stxB(dst: Register, src: Register, off: number): this { return this.#stx("B", Mode.MEM, dst, src, off, 0); }
  /** *(u16 *)(dst + off) = src. */ stxH(dst: Register, src: Register, off: number): this { return this.#stx("H", Mode.MEM, dst, src, off, 0); }
  /** *(u32 *)(dst + off) = src. */ stxW(dst: Register, src: Register, off: number): this { return this.#stx("W", Mode.MEM, dst, src, off, 0); }
  /** *(u64 *)(dst + off) = src. */ stxDW(dst: Register, src: Register, off: number): this { return this.#stx("DW", Mode.MEM, dst, src, off, 0); }
  /** *(u8 *)(dst + off) = imm. */ stB(dst: Register, off: number, imm: number): this { return this.#st("B", dst, off, imm); }
  /** *(u16 *)(dst + off) = imm. */ stH(dst: Register, off: number, imm: number): this { return this.#st("H", dst, off, imm); }
  /** *(u32 *)(dst + off) = imm. */ stW(dst: Register, off: number, imm: number): this { return this.#st("W", dst, off, imm); }
  /** *(u64 *)(dst + off) = imm (sign-extended). */ stDW(dst: Register, off: number, imm: number): this { return this.#st("DW", dst, off, imm); }

  /** R0 = ntoh(*(u8|u16|u32 *)(skb->data + imm)): legacy socket-filter load. */
  ldAbs(size: "B" | "H" | "W", imm: number): this { return this.#push({ opcode: Class.LD | Mode.ABS | sizeBits[size], dst: 0, src: 0, offset: 0, imm }); }
  /** R0 = ntoh(*(u8|u16|u32 *)(skb->data + src + imm)): legacy socket-filter load. */
  ldInd(size: "B" | "H" | "W", src: Register, imm: number): this { return this.#push({ opcode: Class.LD | Mode.IND | sizeBits[size], dst: 0, src, offset: 0, imm }); }

  // ---- atomics (BPF_STX | BPF_ATOMIC) ----------------------------------------
  /** lock *(u64 *)(dst + off) += src; with fetch, src receives the old value. */
  atomicAdd64(dst: Register, src: Register, off: number, opts: AtomicOptions = {}): this { return this.#atomic("DW", AtomicOp.ADD, dst, src, off, opts); }
  /** 32-bit atomic add. */ atomicAdd32(dst: Register, src: Register, off: number, opts: AtomicOptions = {}): this { return this.#atomic("W", AtomicOp.ADD, dst, src, off, opts); }
  /** 64-bit atomic or (Linux 5.12). */ atomicOr64(dst: Register, src: Register, off: number, opts: AtomicOptions = {}): this { return this.#atomic("DW", AtomicOp.OR, dst, src, off, opts); }
  /** 32-bit atomic or (Linux 5.12). */ atomicOr32(dst: Register, src: Register, off: number, opts: AtomicOptions = {}): this { return this.#atomic("W", AtomicOp.OR, dst, src, off, opts); }
  /** 64-bit atomic and (Linux 5.12). */ atomicAnd64(dst: Register, src: Register, off: number, opts: AtomicOptions = {}): this { return this.#atomic("DW", AtomicOp.AND, dst, src, off, opts); }
  /** 32-bit atomic and (Linux 5.12). */ atomicAnd32(dst: Register, src: Register, off: number, opts: AtomicOptions = {}): this { return this.#atomic("W", AtomicOp.AND, dst, src, off, opts); }
  /** 64-bit atomic xor (Linux 5.12). */ atomicXor64(dst: Register, src: Register, off: number, opts: AtomicOptions = {}): this { return this.#atomic("DW", AtomicOp.XOR, dst, src, off, opts); }
  /** 32-bit atomic xor (Linux 5.12). */ atomicXor32(dst: Register, src: Register, off: number, opts: AtomicOptions = {}): this { return this.#atomic("W", AtomicOp.XOR, dst, src, off, opts); }
  /** src = xchg(*(u64 *)(dst + off), src) (Linux 5.12). */
  atomicXchg64(dst: Register, src: Register, off: number): this { return this.#stx("DW", Mode.ATOMIC, dst, src, off, AtomicOp.XCHG); }
  /** 32-bit exchange (Linux 5.12). */ atomicXchg32(dst: Register, src: Register, off: number): this { return this.#stx("W", Mode.ATOMIC, dst, src, off, AtomicOp.XCHG); }
  /** R0 = cmpxchg(*(u64 *)(dst + off), R0, src) (Linux 5.12). */
  atomicCmpXchg64(dst: Register, src: Register, off: number): this { return this.#stx("DW", Mode.ATOMIC, dst, src, off, AtomicOp.CMPXCHG); }
  /** 32-bit compare-and-exchange (Linux 5.12). */ atomicCmpXchg32(dst: Register, src: Register, off: number): this { return this.#stx("W", Mode.ATOMIC, dst, src, off, AtomicOp.CMPXCHG); }
  /** dst = load_acquire((size *)(src + off)) (Linux 6.15). */
  loadAcquire(size: MemSize, dst: Register, src: Register, off: number): this { return this.#stx(size, Mode.ATOMIC, dst, src, off, AtomicOp.LOAD_ACQ); }
  /** store_release((size *)(dst + off), src) (Linux 6.15). */
  storeRelease(size: MemSize, dst: Register, src: Register, off: number): this { return this.#stx(size, Mode.ATOMIC, dst, src, off, AtomicOp.STORE_REL); }

  // ---- 64-bit immediates (ld_imm64) -------------------------------------------
  /** dst = a 64-bit constant. */
  ldImm64(dst: Register, value: bigint | number): this {
    if (typeof value === "number" && !Number.isSafeInteger(value)) {
      throw new InvalidInstructionError(`ld_imm64 value ${value} is not a safe integer (pass a bigint)`, this.#insns.length);
    }
    return this.#ldImm64(dst, PseudoLd.NONE, BigInt.asUintN(64, BigInt(value)));
  }
  /** dst = the map behind `mapFd` (the kernel substitutes the map pointer). */
  ldMapFd(dst: Register, mapFd: MapFdRef): this { return this.#ldImm64(dst, PseudoLd.MAP_FD, BigInt(rawFd(mapFd) >>> 0)); }
  /** dst = &value_of(map behind `mapFd`) + off (array maps, global data; Linux 5.2). */
  ldMapValue(dst: Register, mapFd: MapFdRef, off = 0): this { return this.#ldImm64(dst, PseudoLd.MAP_VALUE, pair(rawFd(mapFd), off)); }
  /** dst = the map at `fd_array[index]` (Linux 5.14). */
  ldMapIdx(dst: Register, index: number): this { return this.#ldImm64(dst, PseudoLd.MAP_IDX, BigInt(index >>> 0)); }
  /** dst = &value_of(map at `fd_array[index]`) + off (Linux 5.14). */
  ldMapIdxValue(dst: Register, index: number, off = 0): this { return this.#ldImm64(dst, PseudoLd.MAP_IDX_VALUE, pair(index, off)); }
  /** dst = address of the kernel variable with this vmlinux BTF id (ksym, Linux 5.10). */
  ldBtfId(dst: Register, btfId: number, btfObjFd = 0): this { return this.#ldImm64(dst, PseudoLd.BTF_ID, pair(btfId, btfObjFd)); }
  /** dst = address of the subprogram at `target` (callbacks such as bpf_loop; Linux 5.13). */
  ldFunc(dst: Register, target: JumpTarget): this {
    return this.#push({ opcode: LD_IMM64, dst, src: PseudoLd.FUNC, offset: 0, imm: 0, imm64: 0n }, target, "imm");
  }

  // ---- jumps -------------------------------------------------------------------
  /** goto target (16-bit offset). */ ja(target: JumpTarget): this { return this.#push({ opcode: Class.JMP | JmpOp.JA, dst: 0, src: 0, offset: 0, imm: 0 }, target, "offset"); }
  /** goto target with a 32-bit offset ("gotol"; cpu v4, Linux 6.6). */
  gotol(target: JumpTarget): this { return this.#push({ opcode: Class.JMP32 | JmpOp.JA, dst: 0, src: 0, offset: 0, imm: 0 }, target, "imm"); }
  /** may_goto target: a bounded-loop escape the kernel may take (Linux 6.9). */
  mayGoto(target: JumpTarget): this { return this.#push({ opcode: Class.JMP | JmpOp.JCOND, dst: 0, src: 0, offset: 0, imm: 0 }, target, "offset"); }
  /** if dst == imm goto target. */ jeqImm(dst: Register, imm: number, target: JumpTarget): this { return this.#jmp(Class.JMP, JmpOp.JEQ, dst, imm, target); }
  /** if dst == src goto target. */ jeqReg(dst: Register, src: Register, target: JumpTarget): this { return this.#jmpReg(Class.JMP, JmpOp.JEQ, dst, src, target); }
  /** if dst != imm goto target. */ jneImm(dst: Register, imm: number, target: JumpTarget): this { return this.#jmp(Class.JMP, JmpOp.JNE, dst, imm, target); }
  /** if dst != src goto target. */ jneReg(dst: Register, src: Register, target: JumpTarget): this { return this.#jmpReg(Class.JMP, JmpOp.JNE, dst, src, target); }
  /** if dst > imm (unsigned) goto target. */ jgtImm(dst: Register, imm: number, target: JumpTarget): this { return this.#jmp(Class.JMP, JmpOp.JGT, dst, imm, target); }
  /** if dst > src (unsigned) goto target. */ jgtReg(dst: Register, src: Register, target: JumpTarget): this { return this.#jmpReg(Class.JMP, JmpOp.JGT, dst, src, target); }
  /** if dst >= imm (unsigned) goto target. */ jgeImm(dst: Register, imm: number, target: JumpTarget): this { return this.#jmp(Class.JMP, JmpOp.JGE, dst, imm, target); }
  /** if dst >= src (unsigned) goto target. */ jgeReg(dst: Register, src: Register, target: JumpTarget): this { return this.#jmpReg(Class.JMP, JmpOp.JGE, dst, src, target); }
  /** if dst < imm (unsigned) goto target. */ jltImm(dst: Register, imm: number, target: JumpTarget): this { return this.#jmp(Class.JMP, JmpOp.JLT, dst, imm, target); }
  /** if dst < src (unsigned) goto target. */ jltReg(dst: Register, src: Register, target: JumpTarget): this { return this.#jmpReg(Class.JMP, JmpOp.JLT, dst, src, target); }
  /** if dst <= imm (unsigned) goto target. */ jleImm(dst: Register, imm: number, target: JumpTarget): this { return this.#jmp(Class.JMP, JmpOp.JLE, dst, imm, target); }
  /** if dst <= src (unsigned) goto target. */ jleReg(dst: Register, src: Register, target: JumpTarget): this { return this.#jmpReg(Class.JMP, JmpOp.JLE, dst, src, target); }
  /** if dst s> imm goto target. */ jsgtImm(dst: Register, imm: number, target: JumpTarget): this { return this.#jmp(Class.JMP, JmpOp.JSGT, dst, imm, target); }
  /** if dst s> src goto target. */ jsgtReg(dst: Register, src: Register, target: JumpTarget): this { return this.#jmpReg(Class.JMP, JmpOp.JSGT, dst, src, target); }
  /** if dst s>= imm goto target. */ jsgeImm(dst: Register, imm: number, target: JumpTarget): this { return this.#jmp(Class.JMP, JmpOp.JSGE, dst, imm, target); }
  /** if dst s>= src goto target. */ jsgeReg(dst: Register, src: Register, target: JumpTarget): this { return this.#jmpReg(Class.JMP, JmpOp.JSGE, dst, src, target); }
  /** if dst s< imm goto target. */ jsltImm(dst: Register, imm: number, target: JumpTarget): this { return this.#jmp(Class.JMP, JmpOp.JSLT, dst, imm, target); }
  /** if dst s< src goto target. */ jsltReg(dst: Register, src: Register, target: JumpTarget): this { return this.#jmpReg(Class.JMP, JmpOp.JSLT, dst, src, target); }
  /** if dst s<= imm goto target. */ jsleImm(dst: Register, imm: number, target: JumpTarget): this { return this.#jmp(Class.JMP, JmpOp.JSLE, dst, imm, target); }
  /** if dst s<= src goto target. */ jsleReg(dst: Register, src: Register, target: JumpTarget): this { return this.#jmpReg(Class.JMP, JmpOp.JSLE, dst, src, target); }
  /** if dst & imm goto target. */ jsetImm(dst: Register, imm: number, target: JumpTarget): this { return this.#jmp(Class.JMP, JmpOp.JSET, dst, imm, target); }
  /** if dst & src goto target. */ jsetReg(dst: Register, src: Register, target: JumpTarget): this { return this.#jmpReg(Class.JMP, JmpOp.JSET, dst, src, target); }
  /** if w(dst) == imm goto target (JMP32, Linux 5.1). */ jeq32Imm(dst: Register, imm: number, target: JumpTarget): this { return this.#jmp(Class.JMP32, JmpOp.JEQ, dst, imm, target); }
  /** if w(dst) == w(src) goto target. */ jeq32Reg(dst: Register, src: Register, target: JumpTarget): this { return this.#jmpReg(Class.JMP32, JmpOp.JEQ, dst, src, target); }
  /** if w(dst) != imm goto target. */ jne32Imm(dst: Register, imm: number, target: JumpTarget): this { return this.#jmp(Class.JMP32, JmpOp.JNE, dst, imm, target); }
  /** if w(dst) != w(src) goto target. */ jne32Reg(dst: Register, src: Register, target: JumpTarget): this { return this.#jmpReg(Class.JMP32, JmpOp.JNE, dst, src, target); }
  /** if w(dst) > imm goto target. */ jgt32Imm(dst: Register, imm: number, target: JumpTarget): this { return this.#jmp(Class.JMP32, JmpOp.JGT, dst, imm, target); }
  /** if w(dst) > w(src) goto target. */ jgt32Reg(dst: Register, src: Register, target: JumpTarget): this { return this.#jmpReg(Class.JMP32, JmpOp.JGT, dst, src, target); }
  /** if w(dst) >= imm goto target. */ jge32Imm(dst: Register, imm: number, target: JumpTarget): this { return this.#jmp(Class.JMP32, JmpOp.JGE, dst, imm, target); }
  /** if w(dst) >= w(src) goto target. */ jge32Reg(dst: Register, src: Register, target: JumpTarget): this { return this.#jmpReg(Class.JMP32, JmpOp.JGE, dst, src, target); }
  /** if w(dst) < imm goto target. */ jlt32Imm(dst: Register, imm: number, target: JumpTarget): this { return this.#jmp(Class.JMP32, JmpOp.JLT, dst, imm, target); }
  /** if w(dst) < w(src) goto target. */ jlt32Reg(dst: Register, src: Register, target: JumpTarget): this { return this.#jmpReg(Class.JMP32, JmpOp.JLT, dst, src, target); }
  /** if w(dst) <= imm goto target. */ jle32Imm(dst: Register, imm: number, target: JumpTarget): this { return this.#jmp(Class.JMP32, JmpOp.JLE, dst, imm, target); }
  /** if w(dst) <= w(src) goto target. */ jle32Reg(dst: Register, src: Register, target: JumpTarget): this { return this.#jmpReg(Class.JMP32, JmpOp.JLE, dst, src, target); }
  /** if w(dst) s> imm goto target. */ jsgt32Imm(dst: Register, imm: number, target: JumpTarget): this { return this.#jmp(Class.JMP32, JmpOp.JSGT, dst, imm, target); }
  /** if w(dst) s> w(src) goto target. */ jsgt32Reg(dst: Register, src: Register, target: JumpTarget): this { return this.#jmpReg(Class.JMP32, JmpOp.JSGT, dst, src, target); }
  /** if w(dst) s>= imm goto target. */ jsge32Imm(dst: Register, imm: number, target: JumpTarget): this { return this.#jmp(Class.JMP32, JmpOp.JSGE, dst, imm, target); }
  /** if w(dst) s>= w(src) goto target. */ jsge32Reg(dst: Register, src: Register, target: JumpTarget): this { return this.#jmpReg(Class.JMP32, JmpOp.JSGE, dst, src, target); }
  /** if w(dst) s< imm goto target. */ jslt32Imm(dst: Register, imm: number, target: JumpTarget): this { return this.#jmp(Class.JMP32, JmpOp.JSLT, dst, imm, target); }
  /** if w(dst) s< w(src) goto target. */ jslt32Reg(dst: Register, src: Register, target: JumpTarget): this { return this.#jmpReg(Class.JMP32, JmpOp.JSLT, dst, src, target); }
  /** if w(dst) s<= imm goto target. */ jsle32Imm(dst: Register, imm: number, target: JumpTarget): this { return this.#jmp(Class.JMP32, JmpOp.JSLE, dst, imm, target); }
  /** if w(dst) s<= w(src) goto target. */ jsle32Reg(dst: Register, src: Register, target: JumpTarget): this { return this.#jmpReg(Class.JMP32, JmpOp.JSLE, dst, src, target); }
  /** if w(dst) & imm goto target. */ jset32Imm(dst: Register, imm: number, target: JumpTarget): this { return this.#jmp(Class.JMP32, JmpOp.JSET, dst, imm, target); }
  /** if w(dst) & w(src) goto target. */ jset32Reg(dst: Register, src: Register, target: JumpTarget): this { return this.#jmpReg(Class.JMP32, JmpOp.JSET, dst, src, target); }

  // ---- calls and exit ----------------------------------------------------------------
  /** Calls a helper by id or name ("bpf_map_lookup_elem", "map_lookup_elem" or 1). */
  call(helper: HelperRef): this {
    return this.#push({ opcode: Class.JMP | JmpOp.CALL, dst: 0, src: PseudoCall.HELPER, offset: 0, imm: helperId(helper) });
  }
  /** Calls a kernel function by BTF id; `btfFdIndex` selects module BTF in fd_array (0 = vmlinux; Linux 5.13). */
  callKfunc(btfId: number, btfFdIndex = 0): this {
    return this.#push({ opcode: Class.JMP | JmpOp.CALL, dst: 0, src: PseudoCall.KFUNC_CALL, offset: btfFdIndex, imm: btfId });
  }
  /** bpf-to-bpf call of the subprogram starting at `target` (Linux 4.16). */
  callSubprog(target: JumpTarget): this {
    return this.#push({ opcode: Class.JMP | JmpOp.CALL, dst: 0, src: PseudoCall.CALL, offset: 0, imm: 0 }, target, "imm");
  }
  /** Returns R0 to the caller (or ends the program). */
  exit(): this { return this.#push({ opcode: Class.JMP | JmpOp.EXIT, dst: 0, src: 0, offset: 0, imm: 0 }); }

  // ---- output --------------------------------------------------------------------------
  /** The instructions with every label resolved. Throws LabelError for unknown or out-of-range labels. */
  instructions(): Instruction[] {
    const slotOf: number[] = new Array<number>(this.#insns.length + 1);
    let slot = 0;
    for (let i = 0; i < this.#insns.length; i++) {
      slotOf[i] = slot;
      slot += slotCount(this.#insns[i]!);
    }
    slotOf[this.#insns.length] = slot;
    return this.#insns.map((insn, i) => {
      const ref = this.#refs[i];
      if (!ref) return { ...insn };
      const target = this.#labels.get(ref.label);
      if (target === undefined) throw new LabelError(ref.label, "is not defined");
      const delta = slotOf[target]! - (slotOf[i]! + 1);
      if (ref.field === "offset") {
        if (delta < -0x8000 || delta > 0x7fff) {
          throw new LabelError(ref.label, `is ${delta} instructions away, beyond the 16-bit jump range (use gotol)`);
        }
        return { ...insn, offset: delta };
      }
      return insn.opcode === LD_IMM64 ? { ...insn, imm: delta, imm64: BigInt.asUintN(32, BigInt(delta)) } : { ...insn, imm: delta };
    });
  }

  /** Encodes the program (labels resolved) for BPF_PROG_LOAD or an ELF section. */
  build(byteOrder: ByteOrder = "le"): Uint8Array {
    return encode(this.instructions(), byteOrder);
  }

  #push(insn: Instruction, target?: JumpTarget, field?: LabelField): this {
    if (typeof target === "number") {
      if (!Number.isInteger(target)) throw new InvalidInstructionError(`jump offset ${target} is not an integer`, this.#insns.length);
      if (field === "offset") insn.offset = target;
      else if (insn.opcode === LD_IMM64) { insn.imm = target; insn.imm64 = BigInt.asUintN(32, BigInt(target)); }
      else insn.imm = target;
    }
    this.#insns.push(insn);
    this.#refs.push(typeof target === "string" && field ? { label: target, field } : undefined);
    return this;
  }

  #alu(cls: number, op: number, dst: Register, imm: number, offset = 0): this {
    return this.#push({ opcode: cls | op | Source.K, dst, src: 0, offset, imm });
  }

  #aluReg(cls: number, op: number, dst: Register, src: Register, offset = 0): this {
    return this.#push({ opcode: cls | op | Source.X, dst, src, offset, imm: 0 });
  }

  #jmp(cls: number, op: number, dst: Register, imm: number, target: JumpTarget): this {
    return this.#push({ opcode: cls | op | Source.K, dst, src: 0, offset: 0, imm }, target, "offset");
  }

  #jmpReg(cls: number, op: number, dst: Register, src: Register, target: JumpTarget): this {
    return this.#push({ opcode: cls | op | Source.X, dst, src, offset: 0, imm: 0 }, target, "offset");
  }

  #ldx(size: MemSize, mode: number, dst: Register, src: Register, off: number): this {
    return this.#push({ opcode: Class.LDX | mode | sizeBits[size], dst, src, offset: off, imm: 0 });
  }

  #stx(size: MemSize, mode: number, dst: Register, src: Register, off: number, imm: number): this {
    return this.#push({ opcode: Class.STX | mode | sizeBits[size], dst, src, offset: off, imm });
  }

  #st(size: MemSize, dst: Register, off: number, imm: number): this {
    return this.#push({ opcode: Class.ST | Mode.MEM | sizeBits[size], dst, src: 0, offset: off, imm });
  }

  #atomic(size: "W" | "DW", op: number, dst: Register, src: Register, off: number, opts: AtomicOptions): this {
    return this.#stx(size, Mode.ATOMIC, dst, src, off, op | (opts.fetch ? AtomicOp.FETCH : 0));
  }

  #ldImm64(dst: Register, pseudo: number, value: bigint): this {
    return this.#push({ opcode: LD_IMM64, dst, src: pseudo, offset: 0, imm: Number(BigInt.asIntN(32, value)), imm64: value });
  }
}

/** A 64-bit immediate from the first slot's imm (low) and the second's (high). */
function pair(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}
