// Errors of the BTF layer.
import { BpfError } from "../sys/errors.js";

// The BTF layer's error codes.
declare module "../sys/errors.js" {
  interface ErrorCodes {
    INVALID_BTF: true;
    BTF_LOAD: true;
  }
}

/** Malformed or unusable BTF: bad header, unknown kind, out-of-range id or string, type cycle. */
export class BtfError extends BpfError {
  constructor(message: string, code: "INVALID_BTF" | "BTF_LOAD" = "INVALID_BTF", errno?: number) {
    super(code, message, { errno });
  }
}

/** The kernel rejected BTF in BPF_BTF_LOAD; `log` holds the kernel's explanation. */
export class BtfLoadError extends BtfError {
  /** The kernel's BTF verifier log (may be empty when the kernel gave none). */
  readonly log: string;
  constructor(message: string, log: string, errno: number) {
    super(log ? `${message}\n${log.trimEnd()}` : message, "BTF_LOAD", errno);
    this.log = log;
  }
}
