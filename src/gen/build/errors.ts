// Errors of `gen build`: a tool the build needs is not installed (with the
// package that provides it), or clang rejected the source (its diagnostics
// already went to stderr; the error keeps them and the exit status).
import { BpfError } from "../../sys/errors.js";

// The build's error codes.
declare module "../../sys/errors.js" {
  interface ErrorCodes {
    TOOLCHAIN_MISSING: true;
    COMPILE_FAILED: true;
  }
}

/** A compiler or header the build needs is missing or unusable; the message names the package to install. */
export class ToolchainError extends BpfError {
  /** What is missing: "clang", "clang BPF target", "libbpf headers". */
  readonly tool: string;
  /** The Debian package that provides it, e.g. "clang-19" or "libbpf-dev". */
  readonly debianPackage: string;
  constructor(tool: string, debianPackage: string, message: string) {
    super("TOOLCHAIN_MISSING", message);
    this.tool = tool;
    this.debianPackage = debianPackage;
  }
}

/** clang failed to compile the source. Its diagnostics were passed through to stderr and are kept in `diagnostics`. */
export class CompileError extends BpfError {
  /** clang's exit status (null when it was killed by a signal). */
  readonly exitStatus: number | null;
  /** The signal that ended clang, if any. */
  readonly signal: NodeJS.Signals | null;
  /** Everything clang wrote to stderr. */
  readonly diagnostics: string;
  /** The command that failed: the compiler's path, then its arguments. */
  readonly command: readonly string[];
  constructor(source: string, command: readonly string[], exitStatus: number | null, signal: NodeJS.Signals | null, diagnostics: string) {
    const how = exitStatus !== null ? `exit status ${exitStatus}` : `signal ${signal ?? "unknown"}`;
    const first = firstError(diagnostics);
    super("COMPILE_FAILED", `clang failed to compile ${source} (${how})${first ? `: ${first}` : ""}`);
    this.exitStatus = exitStatus;
    this.signal = signal;
    this.diagnostics = diagnostics;
    this.command = command;
  }
}

/** clang's first "error:" line, for a one-line message (the full text is on stderr and in `diagnostics`). */
function firstError(diagnostics: string): string | undefined {
  return diagnostics.split("\n").find((l) => / (fatal )?error: /.test(l))?.trim();
}
