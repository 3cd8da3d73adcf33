// `bpftool prog dump xlated` for a loaded program. This sits above asm, btf
// and program on purpose: it joins what the kernel reports (readProgramInfo:
// xlated code, func/line info, JIT symbols, BTF id) with the program's BTF
// (signatures, source lines) and renders it with asm's pure xlated dumper.
import type { FD } from "../sys/fd.js";
import { PermissionError } from "../sys/errors.js";
import type { Btf } from "../btf/btf.js";
import { readKernelBtfById } from "../btf/kernel.js";
import { Kallsyms, xlatedCallSymbolizer } from "../asm/kallsyms.js";
import { dumpXlated, dumpXlatedJson, type XlatedDumpOptions, type XlatedJsonInsn } from "../asm/xlated-dump.js";
import { readProgramInfo } from "./info.js";

/** Options of {@link dumpLoadedProgram}. */
export interface LoadedDumpOptions extends Pick<XlatedDumpOptions, "opcodes" | "linum" | "dialect"> {
  /** Symbol source; a fresh /proc/kallsyms read by default (new JIT symbols appear as programs load). */
  kallsyms?: Kallsyms;
}

function prepare(fd: FD, options: LoadedDumpOptions): { xlated: Uint8Array; opts: XlatedDumpOptions } {
  const info = readProgramInfo(fd);
  if (info.xlatedInstructions.byteLength === 0) {
    throw new PermissionError(
      `program ${info.id} shows no translated instructions: the kernel hides them without CAP_SYS_ADMIN (or CAP_BPF + CAP_PERFMON)`,
    );
  }
  let btf: Btf | undefined;
  try {
    btf = info.btfId ? readKernelBtfById(info.btfId).btf : undefined;
  } catch {
    btf = undefined; // BTF unreadable: dump without signatures and source lines, as bpftool does
  }
  const kallsyms = options.kallsyms ?? new Kallsyms();
  return {
    xlated: info.xlatedInstructions,
    opts: {
      ...options,
      btf,
      funcInfo: info.funcInfo,
      lineInfo: info.lineInfo,
      symbolizer: xlatedCallSymbolizer({ kallsyms, jitedKsyms: info.jitedSymbols }),
    },
  };
}

/**
 * The xlated dump of a loaded program, as `bpftool prog dump xlated` prints
 * it. Needs CAP_SYS_ADMIN (or CAP_BPF + CAP_PERFMON) to see instructions and
 * kernel addresses (PermissionError otherwise); Linux 4.18+ for func/line
 * info and JIT symbols.
 */
export function dumpLoadedProgram(fd: FD, options: LoadedDumpOptions = {}): string {
  const { xlated, opts } = prepare(fd, options);
  return dumpXlated(xlated, opts);
}

/** The `bpftool -j prog dump xlated` form of {@link dumpLoadedProgram}. */
export function dumpLoadedProgramJson(fd: FD, options: LoadedDumpOptions = {}): XlatedJsonInsn[] {
  const { xlated, opts } = prepare(fd, options);
  return dumpXlatedJson(xlated, opts);
}
