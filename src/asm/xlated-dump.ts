// A whole program as text, line for line what `bpftool prog dump xlated`
// prints (plain output, optionally with `opcodes` and `linum`): function
// signatures from func info, source lines from line info, then one
// "% 4d: (op) …" line per instruction; ld_imm64 uses two indices.
// dumpXlatedJson gives the `-j` form.
import type { Btf } from "../btf/btf.js";
import { typeSignature } from "../btf/signature.js";
import { bpftoolImm64, formatInstruction, hex2, type DisasmDialect, type DisasmOptions, type DisasmSymbolizer } from "./disasm.js";
import { decode, encode, type ByteOrder } from "./encoding.js";
import type { Instruction } from "./instruction.js";
import { LD_IMM64 } from "./opcodes.js";

/**
 * One bpf_func_info record of a loaded program: the function starting at
 * instruction `instruction` has FUNC type `typeId` in the program's BTF
 * (the shape `Program.info().funcInfo` returns).
 */
export interface FuncInfoRecord {
  readonly instruction: number;
  readonly typeId: number;
}

/**
 * One bpf_line_info record of a loaded program; the offsets index the
 * program BTF's string section (the shape `Program.info().lineInfo` returns).
 */
export interface LineInfoRecord {
  readonly instruction: number;
  readonly fileNameOffset: number;
  readonly lineOffset: number;
  readonly line: number;
  readonly column: number;
}

/** Options of {@link dumpXlated} and {@link dumpXlatedJson}. */
export interface XlatedDumpOptions {
  /** Call and ld_imm64 resolution (e.g. {@link xlatedCallSymbolizer}); map references print as bpftool prints them. */
  symbolizer?: DisasmSymbolizer;
  /** Disassembler generation to imitate; "legacy" matches bpftool ≤ 7.2. Defaults to "modern". */
  dialect?: DisasmDialect;
  /** Also print each instruction's bytes (bpftool's `opcodes`). */
  opcodes?: boolean;
  /** Add file, line and column to source lines (bpftool's `linum`). */
  linum?: boolean;
  /** The program's BTF: needed for function signatures and source lines. */
  btf?: Btf;
  funcInfo?: readonly FuncInfoRecord[];
  lineInfo?: readonly LineInfoRecord[];
  /** Byte order of `program` when given as bytes, and of the `opcodes` output. Defaults to "le". */
  byteOrder?: ByteOrder;
}

/** One instruction of a dump with its annotations. */
interface DumpStep {
  slot: number;
  insn: Instruction;
  /** Bytes of the instruction (16 for ld_imm64); only with `opcodes`. */
  bytes: Uint8Array | undefined;
  /** Function signature starting here ("" when bpftool would print none). */
  signature: string | undefined;
  line: LineInfoRecord | undefined;
  text: string;
}

function* steps(program: Uint8Array | readonly Instruction[], options: XlatedDumpOptions): Generator<DumpStep> {
  const byteOrder = options.byteOrder ?? "le";
  const insns = program instanceof Uint8Array ? decode(program, byteOrder) : program;
  const bytes = options.opcodes ? (program instanceof Uint8Array ? program : encode(insns, byteOrder)) : undefined;
  const user = options.symbolizer;
  const disasm: DisasmOptions = {
    dialect: options.dialect ?? "modern",
    symbolizer: {
      call: user?.call ? (i) => user.call!(i) : undefined,
      imm64: (i, v) => user?.imm64?.(i, v) ?? bpftoolImm64(i, v),
    },
  };
  const { btf, funcInfo = [], lineInfo = [] } = options;
  let nextFunc = 0;
  let linesSkipped = 0;
  let slot = 0;
  for (const insn of insns) {
    let signature: string | undefined;
    if (btf && nextFunc < funcInfo.length && funcInfo[nextFunc]!.instruction === slot) {
      signature = typeSignature(btf, funcInfo[nextFunc]!.typeId);
      nextFunc++;
    }
    let line: LineInfoRecord | undefined;
    if (btf && lineInfo.length > 0) {
      line = findLineInfo(lineInfo, slot, linesSkipped);
      if (line) linesSkipped++;
    }
    const width = insn.opcode === LD_IMM64 ? 2 : 1;
    yield { slot, insn, signature, line, text: formatInstruction(insn, disasm), bytes: bytes?.subarray(slot * 8, (slot + width) * 8) };
    slot += width;
  }
}

/** Dumps a program (bytes or decoded instructions) in bpftool's xlated format; every line ends in "\n". */
export function dumpXlated(program: Uint8Array | readonly Instruction[], options: XlatedDumpOptions = {}): string {
  const out: string[] = [];
  const linum = options.linum ?? false;
  for (const step of steps(program, options)) {
    if (step.signature) out.push(`${step.signature}:\n`);
    if (step.line && options.btf) out.push(formatSourceLine(options.btf, step.line, linum));
    out.push(`${index(step.slot)}: ${step.text}\n`);
    if (step.bytes) out.push(`       ${Array.from(step.bytes, hex2).join(" ")}\n`);
  }
  return out.join("");
}

/** One element of bpftool's `-j prog dump xlated` array. */
export interface XlatedJsonInsn {
  /** Function signature, on the first instruction of each function. */
  proto?: string;
  /** Source line (leading blanks trimmed). */
  src?: string;
  file?: string;
  line_num?: number;
  line_col?: number;
  disasm: string;
  opcodes?: {
    code: string;
    src_reg: string;
    dst_reg: string;
    /** The offset's two bytes, as "0x.." strings in memory order. */
    off: string[];
    /** The immediate's bytes (12 for ld_imm64: imm plus the whole second slot). */
    imm: string[];
  };
}

/** The `-j` form of {@link dumpXlated}: the array bpftool prints, as objects. */
export function dumpXlatedJson(program: Uint8Array | readonly Instruction[], options: XlatedDumpOptions = {}): XlatedJsonInsn[] {
  const out: XlatedJsonInsn[] = [];
  const { btf, linum = false } = options;
  for (const step of steps(program, options)) {
    const item: Partial<XlatedJsonInsn> = {};
    if (step.signature) item.proto = step.signature;
    if (step.line && btf) {
      const src = stringAt(btf, step.line.lineOffset);
      if (src !== undefined) item.src = trimLeft(src);
      if (linum) {
        const file = stringAt(btf, step.line.fileNameOffset);
        if (file !== undefined) item.file = file;
        if (step.line.line) item.line_num = step.line.line;
        if (step.line.column) item.line_col = step.line.column;
      }
    }
    item.disasm = step.text;
    if (step.bytes) {
      const b = step.bytes;
      const hex = (from: number, to: number): string[] => Array.from(b.subarray(from, to), (x) => `0x${hex2(x)}`);
      // The register byte holds both nibbles in the target's bitfield order.
      item.opcodes = {
        code: `0x${hex2(b[0]!)}`,
        src_reg: `0x${step.insn.src.toString(16)}`,
        dst_reg: `0x${step.insn.dst.toString(16)}`,
        off: hex(2, 4),
        imm: hex(4, b.length > 8 ? 16 : 8),
      };
    }
    out.push(item as XlatedJsonInsn);
  }
  return out;
}

/** printf("% 4d", i). */
function index(i: number): string {
  return ` ${i}`.padStart(4);
}

/** C isspace() trimming, as bpftool's ltrim. */
function trimLeft(s: string): string {
  return s.replace(/^[ \t\n\v\f\r]+/, "");
}

/**
 * libbpf's bpf_prog_linfo__lfind as bpftool uses it: among the records from
 * `skip` on, the last one starting at or before `slot` — provided the first
 * of them does. bpftool then skips just one record, so a record can repeat.
 */
function findLineInfo(lines: readonly LineInfoRecord[], slot: number, skip: number): LineInfoRecord | undefined {
  if (skip >= lines.length || slot < lines[skip]!.instruction) return undefined;
  let i = skip;
  while (i + 1 < lines.length && lines[i + 1]!.instruction <= slot) i++;
  return lines[i];
}

/** btf_dump_linfo_plain: "; <source line>", with file/line/column under linum. */
function formatSourceLine(btf: Btf, line: LineInfoRecord, linum: boolean): string {
  const text = stringAt(btf, line.lineOffset);
  if (text === undefined) return "";
  const src = trimLeft(text);
  if (!linum) return `; ${src}\n`;
  const file = stringAt(btf, line.fileNameOffset) ?? "";
  return `; ${src} [file:${file} line_num:${line.line} line_col:${line.column}]\n`;
}

/** A string of the program's BTF, or undefined for an offset it does not hold (bpftool then prints nothing). */
function stringAt(btf: Btf, offset: number): string | undefined {
  try {
    return btf.stringAt(offset);
  } catch {
    return undefined;
  }
}
