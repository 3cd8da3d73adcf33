// `prog dump xlated`: the translated instructions of a loaded program,
// printed by the asm layer's bpftool-compatible disassembler, with calls
// resolved through kallsyms and source lines from the program's BTF.
import { readProgramDumpInfo, readBtfById, type LineInfoRecord, type ProgramDumpInfo } from "../sys/prog-info.js";
import type { FD } from "../sys/fd.js";
import { BtfLite } from "../asm/btf-lite.js";
import { Kallsyms, xlatedCallSymbolizer } from "../asm/kallsyms.js";
import { dumpXlated } from "../asm/xlated-dump.js";
import { formatInstruction, type DisasmDialect, type DisasmSymbolizer } from "../asm/disasm.js";
import { bpftoolImm64 } from "../asm/disasm.js";
import { decode } from "../asm/encoding.js";
import { LD_IMM64 } from "../asm/opcodes.js";
import { PermissionError } from "../sys/errors.js";
import { hex2 } from "./output.js";

/** Options of the dump verb. */
export interface DumpOptions {
  readonly opcodes: boolean;
  readonly linum: boolean;
  /**
   * Disassembler generation: "legacy" prints what bpftool ≤ 7.2 prints.
   * Chosen with TSBPF_DISASM=legacy|modern; the default is "modern".
   */
  readonly dialect: DisasmDialect;
}

interface Prepared {
  readonly info: ProgramDumpInfo;
  readonly btf: BtfLite | undefined;
  readonly symbolizer: DisasmSymbolizer;
}

function prepare(fd: FD): Prepared {
  const info = readProgramDumpInfo(fd);
  if (info.xlated.byteLength === 0) {
    throw new PermissionError(`program ${info.id} has no translated instructions to show (the kernel hides them without CAP_SYS_ADMIN/CAP_BPF)`);
  }
  let btf: BtfLite | undefined;
  if (info.btfId) {
    try {
      btf = new BtfLite(readBtfById(info.btfId));
    } catch {
      btf = undefined; // BTF gone or unreadable: dump without source annotations, as bpftool does
    }
  }
  const symbolizer = xlatedCallSymbolizer({ kallsyms: new Kallsyms(), jitedKsyms: info.jitedKsyms });
  return { info, btf, symbolizer };
}

/** The plain-text dump, exactly bpftool's format. */
export function dumpXlatedPlain(fd: FD, o: DumpOptions): string {
  const { info, btf, symbolizer } = prepare(fd);
  return dumpXlated(info.xlated, {
    symbolizer, dialect: o.dialect, opcodes: o.opcodes, linum: o.linum, btf, funcInfo: info.funcInfo, lineInfo: info.lineInfo,
  });
}

/** Line info lookup with bpftool's skip rule (see asm/xlated-dump.ts). */
function findLineInfo(lines: readonly LineInfoRecord[], slot: number, skip: number): LineInfoRecord | undefined {
  if (skip >= lines.length || slot < lines[skip]!.insnOff) return undefined;
  let i = skip;
  while (i + 1 < lines.length && lines[i + 1]!.insnOff <= slot) i++;
  return lines[i];
}

const hexList = (bytes: Uint8Array): string[] => Array.from(bytes, (b) => `0x${hex2(b)}`);

/** The JSON dump: one object per instruction with proto/src/file/line_num/line_col/disasm/opcodes, as bpftool -j. */
export function dumpXlatedJson(fd: FD, o: DumpOptions): Record<string, unknown>[] {
  const { info, btf, symbolizer } = prepare(fd);
  const sym: DisasmSymbolizer = {
    call: symbolizer.call ? (i) => symbolizer.call!(i) : undefined,
    imm64: (i, v) => symbolizer.imm64?.(i, v) ?? bpftoolImm64(i, v),
  };
  const insns = decode(info.xlated, "le");
  const out: Record<string, unknown>[] = [];
  let slot = 0;
  let nextFunc = 0;
  let linesSkipped = 0;
  for (const insn of insns) {
    const rec: Record<string, unknown> = {};
    if (btf && nextFunc < info.funcInfo.length && info.funcInfo[nextFunc]!.insnOff === slot) {
      const sig = btf.signature(info.funcInfo[nextFunc]!.typeId);
      if (sig) rec.proto = sig;
      nextFunc++;
    }
    if (btf && info.lineInfo.length) {
      const line = findLineInfo(info.lineInfo, slot, linesSkipped);
      if (line) {
        const text = btf.name(line.lineOff);
        if (text !== undefined) {
          rec.src = text.replace(/^[ \t\n\v\f\r]+/, "");
          if (o.linum) {
            rec.file = btf.name(line.fileNameOff) ?? "";
            if (line.lineCol >>> 10) rec.line_num = line.lineCol >>> 10;
            if (line.lineCol & 0x3ff) rec.line_col = line.lineCol & 0x3ff;
          }
        }
        linesSkipped++;
      }
    }
    rec.disasm = formatInstruction(insn, { symbolizer: sym, dialect: o.dialect });
    const width = insn.opcode === LD_IMM64 ? 2 : 1;
    if (o.opcodes) {
      const b = info.xlated.subarray(slot * 8, slot * 8 + width * 8);
      rec.opcodes = {
        code: `0x${hex2(b[0]!)}`,
        src_reg: `0x${((b[1]! >> 4) & 0xf).toString(16)}`,
        dst_reg: `0x${(b[1]! & 0xf).toString(16)}`,
        off: hexList(b.subarray(2, 4)),
        // bpftool prints everything after the first 4 bytes of the slot pair for ld_imm64.
        imm: hexList(b.subarray(4, width * 8)),
      };
    }
    out.push(rec);
    slot += width;
  }
  return out;
}
