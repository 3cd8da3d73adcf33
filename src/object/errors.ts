// Errors of the object-spec layer. Everything that goes wrong while reading
// an object file surfaces as ObjectError (or UnknownSectionError), naming the
// section or symbol at fault — never as a RangeError from a DataView.
import { BpfError } from "../sys/errors.js";

// The object layer's error codes.
declare module "../sys/errors.js" {
  interface ErrorCodes {
    INVALID_OBJECT: true;
    UNKNOWN_SECTION: true;
  }
}

/** Where in the object a problem was found. */
export interface ObjectErrorLocation {
  /** ELF section name. */
  section?: string;
  /** Symbol, program, map or variable name. */
  symbol?: string;
  cause?: unknown;
}

/** The bytes are not a usable BPF object: malformed ELF/BTF, bad relocations, inconsistent map definitions. */
export class ObjectError extends BpfError {
  /** ELF section the problem is in, when known. */
  readonly section: string | undefined;
  /** Symbol the problem is about, when known. */
  readonly symbol: string | undefined;
  constructor(message: string, where: ObjectErrorLocation = {}, code: "INVALID_OBJECT" | "UNKNOWN_SECTION" = "INVALID_OBJECT") {
    super(code, message, { cause: where.cause });
    this.section = where.section;
    this.symbol = where.symbol;
  }
}

/**
 * A program's SEC() name follows none of libbpf's conventions, so its program
 * type is unknown. Pass `programTypes` to ObjectSpec.parse, or call
 * `program.setType()` before loading.
 */
export class UnknownSectionError extends ObjectError {
  constructor(section: string, program?: string) {
    super(
      `program${program ? ` '${program}'` : ""} is in section '${section}', which names no known program type ` +
        `(see libbpf's SEC() conventions); give its type with the programTypes option or program.setType()`,
      { section, symbol: program },
      "UNKNOWN_SECTION",
    );
  }
}

/** Runs `fn`, turning any error that is not already an ObjectError into one (with the original as cause). */
export function asObjectError<T>(what: string, fn: () => T, where: Omit<ObjectErrorLocation, "cause"> = {}): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ObjectError) throw e;
    const message = e instanceof Error ? e.message : String(e);
    throw new ObjectError(`${what}: ${message}`, { ...where, cause: e });
  }
}
