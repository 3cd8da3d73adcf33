// Verifier errors people can act on: when the verifier reached an
// instruction that CO-RE poisoned (a call to helper 195896080), say which
// relocation failed — kind, field path, target BTF — and the C source line,
// instead of "invalid func unknown#195896080".
import type { CoreFixup } from "../core/fixup.js";
import { POISON_HELPER_ID } from "../core/poison.js";
import type { ObjectProgramSpec } from "../object/program-spec.js";
import { VerifierError } from "../program/verifier-error.js";
import { POISON_KFUNC_BASE } from "./relocate.js";

/** A program was rejected because it reached an instruction whose CO-RE relocation found no match in the target kernel. */
export class CoreVerifierError extends VerifierError {
  /** The relocation that poisoned the failing instruction. */
  readonly relocation: CoreFixup;
  /** The C source line of that instruction (from line info), when known. */
  readonly relocationSourceLine: string | undefined;

  constructor(cause: VerifierError, programName: string, relocation: CoreFixup, sourceLine: string | undefined, location?: string) {
    super(programName, cause.errno ?? 22, cause.log);
    this.relocation = relocation;
    this.relocationSourceLine = sourceLine;
    const where = sourceLine ? ` at ${location ? `${location} ` : ""}\`${sourceLine}\`` : "";
    // The description already ends with the outcome ("→ no match in vmlinux: poisoned").
    this.message =
      `program '${programName}' uses a kernel type or field that the target kernel lacks${where}: ` +
      `the CO-RE relocation ${relocation.description}, so the loader poisoned instruction ${relocation.insnIndex} ` +
      "and the verifier reached it; hint: guard the access with bpf_core_field_exists()/bpf_core_type_exists(), " +
      "or provide a field flavor (struct foo___old) for this kernel. The full verifier log is in the error's `log` property";
  }
}

/** The C source line covering linked slot `slot`, from the program's line info. */
export function sourceLineAt(program: ObjectProgramSpec, slot: number): string | undefined {
  return lineInfoAt(program, slot)?.lineText.trim();
}

/** "file.c:12" of the line info covering linked slot `slot` (file name without directories). */
export function sourceLocationAt(program: ObjectProgramSpec, slot: number): string | undefined {
  const l = lineInfoAt(program, slot);
  return l ? `${l.fileName.slice(l.fileName.lastIndexOf("/") + 1)}:${l.line}` : undefined;
}

function lineInfoAt(program: ObjectProgramSpec, slot: number): ObjectProgramSpec["lineInfos"][number] | undefined {
  let best: ObjectProgramSpec["lineInfos"][number] | undefined;
  for (const l of program.lineInfos) if (l.slot <= slot && (!best || l.slot >= best.slot)) best = l;
  return best;
}

/**
 * Rewrites a VerifierError that hit a poisoned CO-RE instruction into a
 * CoreVerifierError; returns the error unchanged otherwise. Calls to a
 * missing __weak kfunc get their own explanation.
 */
export function explainVerifierError(e: unknown, program: ObjectProgramSpec, fixups: readonly CoreFixup[]): unknown {
  if (!(e instanceof VerifierError)) return e;
  const poison = new RegExp(`invalid func unknown#${POISON_HELPER_ID}\\b`).exec(e.log);
  if (poison) {
    const insn = e.instruction;
    // An ld_imm64 is poisoned in both slots; the verifier may report either.
    const fixup = fixups.find((f) => f.poisoned && (f.insnIndex === insn || f.insnIndex + 1 === insn))
      ?? fixups.find((f) => f.poisoned && f.insnIndex === insn)
      ?? (fixups.filter((f) => f.poisoned).length === 1 ? fixups.find((f) => f.poisoned) : undefined);
    if (fixup) {
      const text = sourceLineAt(program, fixup.insnIndex);
      return text !== undefined
        ? new CoreVerifierError(e, program.name, fixup, text, sourceLocationAt(program, fixup.insnIndex))
        : new CoreVerifierError(e, program.name, fixup, e.sourceLine?.replace(/ @ \S+:\d+$/, ""), e.sourceLocation);
    }
    return e;
  }
  const kfunc = /invalid func unknown#(20020\d{5})\b/.exec(e.log);
  if (kfunc) {
    const index = Number(kfunc[1]) - POISON_KFUNC_BASE;
    const call = [...program.references.values()].find((r) => r.kind === "kfunc");
    e.message = `program '${program.name}' calls a __weak kfunc${call?.kind === "kfunc" ? ` ('${call.extern}'?)` : ""} (extern #${index}) that the kernel does not have, ` +
      "on a path the verifier could not prove dead: guard the call with `if (bpf_ksym_exists(func))`. The full verifier log is in the error's `log` property";
  }
  return e;
}
