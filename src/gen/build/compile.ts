// Running clang for one source: the object and the depfile go to temporary
// names (renamed by the caller only when everything succeeded); clang's
// diagnostics are passed through as they arrive and kept for the error.
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { CompileError, ToolchainError } from "./errors.js";
import { CLANG_PACKAGE } from "./clang.js";

/** One compile. */
export interface CompileJob {
  /** The compiler to run. */
  readonly clang: string;
  /** Flags before the file arguments (target, -g, -O2, -D, -I, the user's). */
  readonly flags: readonly string[];
  /** The source, as passed to clang (relative to `cwd`: line info records it so). */
  readonly source: string;
  /** clang's working directory (the source's directory). */
  readonly cwd: string;
  /** clang's environment. */
  readonly env: NodeJS.ProcessEnv;
  /** Where clang writes the object and the depfile (temporary names). */
  readonly object: string;
  readonly depfile: string;
  /** Receives clang's stderr as it is written. */
  readonly onDiagnostics: (text: string) => void;
}

/** Runs the compile; resolves when clang exited 0, else rejects with CompileError (and removes what clang wrote). */
export function compile(job: CompileJob): Promise<void> {
  const args = [...job.flags, "-MD", "-MF", job.depfile, "-c", job.source, "-o", job.object];
  return new Promise((resolve, reject) => {
    const child = spawn(job.clang, args, { cwd: job.cwd, env: job.env, stdio: ["ignore", "pipe", "pipe"] });
    let diagnostics = "";
    const forward = (chunk: Buffer): void => {
      const text = chunk.toString("utf8");
      diagnostics += text;
      job.onDiagnostics(text);
    };
    child.stdout.on("data", forward);
    child.stderr.on("data", forward);
    child.on("error", (e) => {
      removeOutputs(job);
      reject(new ToolchainError("clang", CLANG_PACKAGE, `cannot run ${job.clang}: ${e.message}`));
    });
    child.on("close", (status, signal) => {
      if (status === 0) return resolve();
      removeOutputs(job);
      reject(new CompileError(job.source, [job.clang, ...args], status, signal, diagnostics));
    });
  });
}

function removeOutputs(job: CompileJob): void {
  rmSync(job.object, { force: true });
  rmSync(job.depfile, { force: true });
}
