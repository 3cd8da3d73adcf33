// The USDT layer's own error: an argument spec of a probe that cannot be
// turned into libbpf's struct __bpf_usdt_arg_spec (unknown syntax, register
// or size). Malformed notes themselves are ElfError, like any bad ELF.
import { BpfError } from "../../sys/errors.js";

declare module "../../sys/errors.js" {
  interface ErrorCodes {
    INVALID_USDT_ARGUMENT: true;
  }
}

/** A USDT argument spec ("-4@%edi", "8@[sp, 16]") that tsbpf cannot read; names the spec and why. */
export class UsdtArgumentError extends BpfError {
  /** The spec as the note wrote it. */
  readonly spec: string;
  /** Why it cannot be read. */
  readonly reason: string;
  /** `where`: the probe and binary, when known ("python:line in /usr/bin/python3.11"). */
  constructor(spec: string, reason: string, where?: string) {
    super("INVALID_USDT_ARGUMENT", `USDT argument '${spec}'${where ? ` of ${where}` : ""}: ${reason}`);
    this.spec = spec;
    this.reason = reason;
  }
}
