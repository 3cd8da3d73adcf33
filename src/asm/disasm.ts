// One instruction → one line of text, in the notation of the kernel's
// kernel/bpf/disasm.c (print_bpf_insn), which is what the verifier log and
// `bpftool prog dump xlated` print: "(bf) r6 = r1", "if r1 != 0x0 goto pc+5",
// "r0 = atomic64_fetch_add((u64 *)(r1 +0), r0)", "call bpf_map_lookup_elem#1".
//
// Two dialects: "modern" is today's disasm.c (cpu v4 mnemonics: movsx, sdiv,
// bswap, gotol, may_goto, load_acquire …); "legacy" is the disasm.c of
// Linux ≤ 6.5, shipped in bpftool ≤ 7.2 (e.g. Debian 12), which prints those
// newer encodings as their v3 look-alikes or BUG_ lines.
import { helperName } from "./helpers.js";
import { joinImm64, type Instruction } from "./instruction.js";
import { AluOp, AtomicOp, Class, Endian, JmpOp, LD_IMM64, Mode, PseudoCall, PseudoLd, Size, Source } from "./opcodes.js";

/** Which generation of the kernel's disassembler to imitate. */
export type DisasmDialect = "modern" | "legacy";

/**
 * Resolution hooks, like struct bpf_insn_cbs: the disassembler itself knows
 * nothing about maps, kallsyms or subprogram names.
 */
export interface DisasmSymbolizer {
  /**
   * Text for a call the helper table cannot name: for bpf-to-bpf calls the
   * part after "call pc" (e.g. "+5" or "+5#bpf_prog_…_sub"), otherwise the
   * callee name printed before "#imm". Undefined falls back to the default.
   */
  call?(insn: Instruction): string | undefined;
  /** Text for the right-hand side of ld_imm64 (e.g. "map[id:12]"). Undefined falls back to "0x…". */
  imm64?(insn: Instruction, value: bigint): string | undefined;
}

/** Options of {@link formatInstruction}. */
export interface DisasmOptions {
  symbolizer?: DisasmSymbolizer;
  /** Defaults to "modern". */
  dialect?: DisasmDialect;
}

const aluString: readonly (string | undefined)[] = [
  "+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=", "^=", "=", "s>>=", "endian",
];
const aluSignedString: Readonly<Record<number, string>> = { [AluOp.DIV]: "s/=", [AluOp.MOD]: "s%=" };
const atomicAluString: Record<number, string> = { [AtomicOp.ADD]: "add", [AtomicOp.AND]: "and", [AtomicOp.OR]: "or", [AtomicOp.XOR]: "xor" };
const jmpString: readonly (string | undefined)[] = [
  "jmp", "==", ">", ">=", "&", "!=", "s>", "s>=", "call", "exit", "<", "<=", "s<", "s<=",
];
const BPF_ADDR_SPACE_CAST = 1;
const BPF_ADDR_PERCPU = -1;
const BPF_MAY_GOTO = 0;

/** C's "%s" of a possibly missing table entry. */
function str(s: string | undefined): string {
  return s ?? "(null)";
}

/** C's "%02x". */
export function hex2(n: number): string {
  return (n & 0xff).toString(16).padStart(2, "0");
}

/** C's "%+d". */
function signed(n: number): string {
  return n < 0 ? String(n) : `+${n}`;
}

function ldstString(opcode: number): string {
  switch (opcode & 0x18) {
    case Size.W: return "u32";
    case Size.H: return "u16";
    case Size.B: return "u8";
    default: return "u64";
  }
}

function ldsxString(opcode: number): string {
  switch (opcode & 0x18) {
    case Size.W: return "s32";
    case Size.H: return "s16";
    case Size.B: return "s8";
    default: return "s64";
  }
}

/**
 * Formats one instruction as disasm.c does, without index or newline:
 * "(bf) r6 = r1". For ld_imm64 pass the logical instruction (with imm64).
 */
export function formatInstruction(insn: Instruction, options: DisasmOptions = {}): string {
  const modern = (options.dialect ?? "modern") === "modern";
  const cbs = options.symbolizer;
  const code = insn.opcode & 0xff;
  const c = `(${hex2(code)})`;
  const cls = code & 0x07;
  const op = code & 0xf0;
  const { dst, src, offset: off, imm } = insn;

  if (cls === Class.ALU || cls === Class.ALU64) {
    const r = cls === Class.ALU ? "w" : "r";
    if (op === AluOp.END) {
      if (cls === Class.ALU64) {
        return modern ? `${c} r${dst} = bswap${imm} r${dst}` : `BUG_alu64_${hex2(code)}`;
      }
      return `${c} r${dst} = ${(code & 0x08) === Endian.TO_BE ? "be" : "le"}${imm} r${dst}`;
    }
    if (op === AluOp.NEG) return `${c} ${r}${dst} = -${r}${dst}`;
    if (modern && code === (Class.ALU64 | AluOp.MOV | Source.X) && off === BPF_ADDR_SPACE_CAST) {
      return `${c} r${dst} = addr_space_cast(r${src}, ${(imm >>> 16) & 0xffff}, ${imm & 0xffff})`;
    }
    if (modern && code === (Class.ALU64 | AluOp.MOV | Source.X) && off === BPF_ADDR_PERCPU) {
      return `${c} r${dst} = &(void __percpu *)(r${src})`;
    }
    const sdivSmod = modern && (op === AluOp.DIV || op === AluOp.MOD) && off === 1;
    const opText = str(sdivSmod ? aluSignedString[op] : aluString[op >> 4]);
    if ((code & 0x08) === Source.X) {
      const movsx = modern && op === AluOp.MOV && (off === 8 || off === 16 || off === 32);
      return `${c} ${r}${dst} ${opText} ${movsx ? `(s${off})` : ""}${r}${src}`;
    }
    return `${c} ${r}${dst} ${opText} ${imm}`;
  }

  if (cls === Class.STX) {
    const mode = code & 0xe0;
    const size = ldstString(code);
    const w = (code & 0x18) === Size.DW ? "64" : "";
    if (mode === Mode.MEM) return `${c} *(${size} *)(r${dst} ${signed(off)}) = r${src}`;
    if (mode === Mode.ATOMIC) {
      if (imm === AtomicOp.ADD || imm === AtomicOp.AND || imm === AtomicOp.OR || imm === AtomicOp.XOR) {
        return `${c} lock *(${size} *)(r${dst} ${signed(off)}) ${str(aluString[(imm & 0xf0) >> 4])} r${src}`;
      }
      const base = imm & ~AtomicOp.FETCH;
      if ((imm & AtomicOp.FETCH) && (base === AtomicOp.ADD || base === AtomicOp.AND || base === AtomicOp.OR || base === AtomicOp.XOR)) {
        return `${c} r${src} = atomic${w}_fetch_${atomicAluString[base]}((${size} *)(r${dst} ${signed(off)}), r${src})`;
      }
      if (imm === AtomicOp.CMPXCHG) return `${c} r0 = atomic${w}_cmpxchg((${size} *)(r${dst} ${signed(off)}), r0, r${src})`;
      if (imm === AtomicOp.XCHG) return `${c} r${src} = atomic${w}_xchg((${size} *)(r${dst} ${signed(off)}), r${src})`;
      if (modern && imm === AtomicOp.LOAD_ACQ) return `${c} r${dst} = load_acquire((${size} *)(r${src} ${signed(off)}))`;
      if (modern && imm === AtomicOp.STORE_REL) return `${c} store_release((${size} *)(r${dst} ${signed(off)}), r${src})`;
    }
    return `BUG_${hex2(code)}`;
  }

  if (cls === Class.ST) {
    if ((code & 0xe0) !== Mode.MEM) return `BUG_st_${hex2(code)}`;
    return `${c} *(${ldstString(code)} *)(r${dst} ${signed(off)}) = ${imm}`;
  }

  if (cls === Class.LDX) {
    const mode = code & 0xe0;
    if (mode !== Mode.MEM && !(modern && mode === Mode.MEMSX)) return `BUG_ldx_${hex2(code)}`;
    return `${c} r${dst} = *(${mode === Mode.MEM ? ldstString(code) : ldsxString(code)} *)(r${src} ${signed(off)})`;
  }

  if (cls === Class.LD) {
    const mode = code & 0xe0;
    if (mode === Mode.ABS) return `${c} r0 = *(${ldstString(code)} *)skb[${imm}]`;
    if (mode === Mode.IND) return `${c} r0 = *(${ldstString(code)} *)skb[r${src} + ${imm}]`;
    if (code === LD_IMM64) {
      const value = insn.imm64 ?? joinImm64(imm, 0);
      return `${c} r${dst} = ${cbs?.imm64?.(insn, value) ?? `0x${value.toString(16)}`}`;
    }
    return `BUG_ld_${hex2(code)}`;
  }

  // JMP and JMP32.
  const r = cls === Class.JMP32 ? "w" : "r";
  if (op === JmpOp.CALL) {
    if (src === PseudoCall.CALL) return `${c} call pc${callName(insn, cbs)}`;
    return `${c} call ${callName(insn, cbs)}#${imm}`;
  }
  if (code === (Class.JMP | JmpOp.JA)) return `${c} goto pc${signed(off)}`;
  if (modern && code === (Class.JMP | JmpOp.JCOND) && src === BPF_MAY_GOTO) return `${c} may_goto pc${signed(off)}`;
  if (modern && code === (Class.JMP32 | JmpOp.JA)) return `${c} gotol pc${signed(imm)}`;
  if (code === (Class.JMP | JmpOp.EXIT)) return `${c} exit`;
  if ((code & 0x08) === Source.X) return `${c} if ${r}${dst} ${str(jmpString[op >> 4])} ${r}${src} goto pc${signed(off)}`;
  return `${c} if ${r}${dst} ${str(jmpString[op >> 4])} 0x${(imm >>> 0).toString(16)} goto pc${signed(off)}`;
}

/** __func_get_name: the helper table first, then the symbolizer, then a default. */
function callName(insn: Instruction, cbs: DisasmSymbolizer | undefined): string {
  if (insn.src === PseudoCall.HELPER && insn.imm >= 0) {
    const name = helperName(insn.imm);
    if (name !== undefined) return `bpf_${name}`;
  }
  const resolved = cbs?.call?.(insn);
  if (resolved !== undefined) return resolved;
  if (insn.src === PseudoCall.CALL) return signed(insn.imm);
  if (insn.src === PseudoCall.KFUNC_CALL) return "kernel-function";
  return "unknown";
}

/** The ld_imm64 text bpftool prints for map references and callbacks (print_imm in xlated_dumper.c). */
export function bpftoolImm64(insn: Instruction, value: bigint): string | undefined {
  const lo = Number(BigInt.asUintN(32, value));
  const hi = Number(BigInt.asUintN(32, value >> 32n));
  switch (insn.src) {
    case PseudoLd.MAP_FD: return `map[id:${lo}]`;
    case PseudoLd.MAP_VALUE: return `map[id:${lo}][0]+${hi}`;
    case PseudoLd.MAP_IDX_VALUE: return `map[idx:${lo}]+${hi}`;
    case PseudoLd.FUNC: return `subprog[${signed(lo | 0)}]`;
    default: return undefined;
  }
}
