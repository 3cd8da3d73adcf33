// Dropping DWARF from the built object, as bpf2go does with `llvm-strip -g`:
// clang needs -g to emit BTF, but the DWARF that comes with it (hundreds of
// KiB with vmlinux.h) is never read by a loader, and the skeleton embeds the
// object. BTF and .BTF.ext stay. The strip tool belongs to the same LLVM as
// clang (its directory first); without one, the object keeps its DWARF.
import { execFile } from "node:child_process";
import { realpathSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { ToolchainError } from "./errors.js";
import type { ClangTool } from "./clang.js";
import { isExecutable, resolveCommand } from "./path-lookup.js";

const run = promisify(execFile);

/**
 * llvm-strip for this clang: beside clang's real file (/usr/lib/llvm-19/bin),
 * else `llvm-strip-N` for clang's major version N, else `llvm-strip`, on PATH;
 * undefined when there is none (Debian: package llvm-19).
 */
export function findStrip(clang: ClangTool, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const real = realpathSync(clang.path);
  const beside = path.join(path.dirname(real), "llvm-strip");
  if (isExecutable(beside)) return beside;
  const major = /(?:clang-|llvm-)(\d+)/.exec(`${path.basename(clang.path)} ${real}`)?.[1];
  const names = major !== undefined ? [`llvm-strip-${major}`, "llvm-strip"] : ["llvm-strip"];
  for (const name of names) {
    const file = resolveCommand(name, env);
    if (file !== undefined) return file;
  }
  return undefined;
}

/** Removes the DWARF sections of `object` in place (BTF is kept). */
export async function stripDebugInfo(strip: string, object: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    await run(strip, ["-g", object], { env });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new ToolchainError("llvm-strip", "llvm-19", `${strip} -g failed: ${(err.stderr || err.message).trim()}`);
  }
}
