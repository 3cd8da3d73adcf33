// The error a CO-RE relocation raises when it cannot be resolved safely:
// a malformed record or access string, an ambiguous set of candidates, or
// an instruction that does not have the shape the record claims.
import { BpfError, type ErrorDetails } from "../sys/errors.js";

// The CO-RE layer's error code.
declare module "../sys/errors.js" {
  interface ErrorCodes {
    CORE_RELOCATION: true;
  }
}

/** Where a failing relocation points, for error messages and VerifierError hints. */
export interface CoreRelocationSite {
  /** ELF section of the instruction, e.g. "tracepoint/syscalls/sys_enter_openat". */
  readonly section?: string;
  /** Instruction slot index in that section. */
  readonly insnIndex?: number;
  /** Human description of the relocation: kind, type and access path. */
  readonly description?: string;
  /** Name of the target BTF ("vmlinux", a module name, or a file). */
  readonly target?: string;
}

/** A CO-RE relocation is malformed, ambiguous, or does not fit its instruction (code "CORE_RELOCATION"). */
export class CoreRelocationError extends BpfError {
  readonly site: CoreRelocationSite;
  constructor(message: string, site: CoreRelocationSite = {}, details: ErrorDetails = {}) {
    const where = [
      site.section !== undefined ? `section '${site.section}'` : undefined,
      site.insnIndex !== undefined ? `insn #${site.insnIndex}` : undefined,
    ].filter((s) => s !== undefined).join(" ");
    const what = site.description ? `: ${site.description}` : "";
    const target = site.target ? ` (target ${site.target})` : "";
    super("CORE_RELOCATION", `CO-RE relocation${where ? ` at ${where}` : ""}${what}${target}: ${message}`, details);
    this.site = site;
  }
}
