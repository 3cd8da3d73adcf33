// Errors of the asm layer. Both are InvalidArgumentErrors (code
// "INVALID_ARGUMENT"): the input, not the kernel, is at fault.
import { InvalidArgumentError } from "../sys/errors.js";

/** Bytes that are not a well-formed instruction stream, or an instruction whose fields are out of range. */
export class InvalidInstructionError extends InvalidArgumentError {
  /** Index (in 8-byte slots) of the offending instruction, when known. */
  readonly index: number | undefined;
  constructor(message: string, index?: number) {
    super(index === undefined ? message : `instruction ${index}: ${message}`, "instructions");
    this.index = index;
  }
}

/** A builder label that is unknown, defined twice, or out of a jump's reach. */
export class LabelError extends InvalidArgumentError {
  readonly label: string;
  constructor(label: string, message: string) {
    super(`label "${label}": ${message}`, "label");
    this.label = label;
  }
}
