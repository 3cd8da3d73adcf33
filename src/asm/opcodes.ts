// Opcode bit fields of the BPF instruction set, named as in the kernel's
// include/uapi/linux/bpf.h and Documentation/bpf/standardization/instruction-set.rst.
// The 8-bit opcode is `class | ...`; what the upper five bits mean depends on the class.

/** Instruction classes (the low three opcode bits). */
export const Class = {
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  JMP32: 0x06,
  ALU64: 0x07,
} as const;
/** One of {@link Class}. */
export type Class = (typeof Class)[keyof typeof Class];

/** Access sizes of load/store instructions (opcode bits 3–4). */
export const Size = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;
/** One of {@link Size}. */
export type Size = (typeof Size)[keyof typeof Size];

/** Addressing modes of load/store instructions (opcode bits 5–7). */
export const Mode = {
  IMM: 0x00,
  /** Legacy packet access (socket filters), BPF_LD only. */
  ABS: 0x20,
  IND: 0x40,
  MEM: 0x60,
  /** Sign-extending load (BPF_LDX only); cpu v4, Linux 6.6. */
  MEMSX: 0x80,
  ATOMIC: 0xc0,
} as const;
/** One of {@link Mode}. */
export type Mode = (typeof Mode)[keyof typeof Mode];

/** Operand source of ALU/JMP instructions (opcode bit 3). */
export const Source = { K: 0x00, X: 0x08 } as const;

/** ALU operations (opcode bits 4–7 of ALU/ALU64). */
export const AluOp = {
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  /** With offset 1: signed division (cpu v4). */
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  /** With offset 1: signed modulo (cpu v4). */
  MOD: 0x90,
  XOR: 0xa0,
  /** With offset 8/16/32: sign-extending move (cpu v4). */
  MOV: 0xb0,
  ARSH: 0xc0,
  /** Byte swap; the source bit picks le/be, ALU64 means unconditional bswap (cpu v4). */
  END: 0xd0,
} as const;
/** One of {@link AluOp}. */
export type AluOp = (typeof AluOp)[keyof typeof AluOp];

/** Byte-swap direction of BPF_END in the ALU class (shares the source bit). */
export const Endian = { TO_LE: 0x00, TO_BE: 0x08 } as const;

/** Jump operations (opcode bits 4–7 of JMP/JMP32). */
export const JmpOp = {
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  JNE: 0x50,
  JSGT: 0x60,
  JSGE: 0x70,
  CALL: 0x80,
  EXIT: 0x90,
  JLT: 0xa0,
  JLE: 0xb0,
  JSLT: 0xc0,
  JSLE: 0xd0,
  /** may_goto (src_reg 0), Linux 6.9. */
  JCOND: 0xe0,
} as const;
/** One of {@link JmpOp}. */
export type JmpOp = (typeof JmpOp)[keyof typeof JmpOp];

/** Atomic operations (the `imm` field of BPF_STX | BPF_ATOMIC). */
export const AtomicOp = {
  ADD: 0x00,
  OR: 0x40,
  AND: 0x50,
  XOR: 0xa0,
  /** Flag: also return the old value in the source register (Linux 5.12). */
  FETCH: 0x01,
  XCHG: 0xe0 | 0x01,
  CMPXCHG: 0xf0 | 0x01,
  /** Load-acquire (Linux 6.15). */
  LOAD_ACQ: 0x100,
  /** Store-release (Linux 6.15). */
  STORE_REL: 0x110,
} as const;

/** `src_reg` values of ld_imm64 that give the immediate a special meaning. */
export const PseudoLd = {
  /** A plain 64-bit constant. */
  NONE: 0,
  /** imm is a map fd; the kernel substitutes the map pointer. */
  MAP_FD: 1,
  /** imm is a map fd, the second imm an offset into its value. */
  MAP_VALUE: 2,
  /** imm is a BTF id of a kernel variable (ksym). */
  BTF_ID: 3,
  /** imm is the pc-relative offset of a subprogram (callbacks). */
  FUNC: 4,
  /** imm is an index into fd_array. */
  MAP_IDX: 5,
  /** imm is an index into fd_array, the second imm an offset into the value. */
  MAP_IDX_VALUE: 6,
} as const;

/** `src_reg` values of BPF_CALL. */
export const PseudoCall = {
  /** imm is a helper id (enum bpf_func_id). */
  HELPER: 0,
  /** imm is the pc-relative offset of a bpf-to-bpf call. */
  CALL: 1,
  /** imm is a kfunc BTF id, offset an index into fd_array for module BTF. */
  KFUNC_CALL: 2,
} as const;

/** The ld_imm64 opcode (BPF_LD | BPF_IMM | BPF_DW), the only 16-byte instruction. */
export const LD_IMM64 = Class.LD | Mode.IMM | Size.DW;

/** The class of an opcode. */
export function classOf(opcode: number): Class {
  return (opcode & 0x07) as Class;
}

/** True for ALU and ALU64. */
export function isAluClass(cls: number): boolean {
  return cls === Class.ALU || cls === Class.ALU64;
}

/** True for JMP and JMP32. */
export function isJmpClass(cls: number): boolean {
  return cls === Class.JMP || cls === Class.JMP32;
}

/** Size in bytes of a load/store size field. */
export function sizeBytes(size: number): 1 | 2 | 4 | 8 {
  switch (size & 0x18) {
    case Size.B: return 1;
    case Size.H: return 2;
    case Size.W: return 4;
    default: return 8;
  }
}
