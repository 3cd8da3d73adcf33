// Errors of the ELF reader. Every malformed input surfaces as ElfError,
// never as a RangeError from a DataView or a hang.
import { BpfError } from "../sys/errors.js";

// The ELF layer's error code.
declare module "../sys/errors.js" {
  interface ErrorCodes {
    INVALID_ELF: true;
  }
}

/** The bytes are not a well-formed ELF64 file; `offset` points at the culprit when known. */
export class ElfError extends BpfError {
  readonly offset: number | undefined;
  constructor(message: string, offset?: number) {
    super("INVALID_ELF", offset === undefined ? `invalid ELF: ${message}` : `invalid ELF: ${message} (at byte ${offset})`);
    this.offset = offset;
  }
}
