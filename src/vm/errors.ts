// Errors of the user-space BPF machine. Whatever a program does at run time
// ends as one of these (or as its r0): a bad memory access, a runaway loop,
// a call the machine cannot serve. A malformed program is the asm layer's
// InvalidInstructionError, raised before anything runs.
import { BpfError } from "../sys/errors.js";

// The machine's error codes.
declare module "../sys/errors.js" {
  interface ErrorCodes {
    VM_FAULT: true;
    VM_LIMIT: true;
    VM_UNKNOWN_HELPER: true;
  }
}

/** Whether a faulting access read or wrote memory. */
export type VmAccess = "read" | "write";

/**
 * A load, store or atomic touched memory outside every region the program
 * may use, past a region's end, or wrote to a read-only region.
 */
export class VmFaultError extends BpfError {
  /** Index (in 8-byte slots) of the faulting instruction. */
  readonly index: number;
  /** The address accessed (unsigned 64-bit). */
  readonly address: bigint;
  /** Bytes accessed. */
  readonly size: number;
  /** Whether the access read or wrote (atomics count as writes). */
  readonly access: VmAccess;
  /** The region the address falls in or next to, when there is one. */
  readonly region: string | undefined;
  constructor(index: number, address: bigint, size: number, access: VmAccess, region: string | undefined, reason: string) {
    super("VM_FAULT", `instruction ${index}: ${access} of ${size} byte${size === 1 ? "" : "s"} at 0x${address.toString(16)}: ${reason}`);
    this.index = index;
    this.address = address;
    this.size = size;
    this.access = access;
    this.region = region;
  }
}

/** Which limit a program ran into. */
export type VmLimitKind = "instructions" | "call-depth";

/** The program exceeded the instruction budget or the call depth: it is stopped, not hung. */
export class VmLimitError extends BpfError {
  /** Which limit was hit. */
  readonly limit: VmLimitKind;
  /** Index of the instruction that was about to run. */
  readonly index: number;
  constructor(limit: VmLimitKind, index: number, message: string) {
    super("VM_LIMIT", `instruction ${index}: ${message}`);
    this.limit = limit;
    this.index = index;
  }
}

/** A call to a helper (or kfunc) the machine was not given. */
export class VmUnknownHelperError extends BpfError {
  /** The helper id (or kfunc BTF id) called. */
  readonly helper: number;
  /** Its name when the helper table knows it ("map_lookup_elem"). */
  readonly helperName: string | undefined;
  /** Slot index of the call instruction. */
  readonly index: number;
  constructor(index: number, helper: number, helperName: string | undefined, kind: "helper" | "kfunc" = "helper") {
    const what = kind === "kfunc"
      ? `kfunc ${helperName ?? `with BTF id ${helper}`}`
      : `helper ${helperName === undefined ? "" : `bpf_${helperName} `}(id ${helper})`;
    const fix = kind === "kfunc" && helperName !== undefined ? "pass it in the kfuncs option" : "pass it in the helpers option";
    super("VM_UNKNOWN_HELPER", `instruction ${index}: call to ${what}, which this machine does not provide (${fix})`);
    this.helper = helper;
    this.helperName = helperName;
    this.index = index;
  }
}
