// Finding clang without running it: $BPF_CLANG, $CLANG, then `clang`, then
// the highest versioned `clang-N` on PATH (Debian installs clang-19 without a
// plain `clang`). Discovery only looks at files, so an up-to-date check costs
// no compiler start; probing (version, BPF target) happens before compiling.
import { execFile } from "node:child_process";
import { readdirSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { ToolchainError } from "./errors.js";
import { isExecutable, pathDirs, resolveCommand } from "./path-lookup.js";

const run = promisify(execFile);

/** The Debian package named when no clang is found. */
export const CLANG_PACKAGE = "clang-19";

/** A compiler found on disk. */
export interface ClangTool {
  /** The path it is run by. */
  readonly path: string;
  /** Where that path resolves (symlinks followed), with the file's size and mtime: what identifies this compiler in a stamp. */
  readonly identity: string;
  /** How it was chosen, for messages: "$BPF_CLANG", "PATH". */
  readonly from: string;
}

/** Options for {@link findClang}. */
export interface FindClangOptions {
  /** An explicit compiler (a path or a command name on PATH); wins over the environment. */
  readonly clang?: string;
  /** Environment to read BPF_CLANG, CLANG and PATH from (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

/** The highest `clang-N` on PATH (the first directory wins among equal versions). */
function highestVersionedClang(env: NodeJS.ProcessEnv): string | undefined {
  let best: { file: string; version: number } | undefined;
  for (const dir of pathDirs(env)) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const m = /^clang-(\d+)$/.exec(name);
      if (!m) continue;
      const version = Number(m[1]);
      const file = path.join(dir, name);
      if ((best === undefined || version > best.version) && isExecutable(file)) best = { file, version };
    }
  }
  return best?.file;
}

function tool(file: string, from: string): ClangTool {
  const real = realpathSync(file);
  const st = statSync(real);
  return { path: file, identity: `${real} ${st.size} ${st.mtimeMs}`, from };
}

function installHint(): string {
  return `install it: on Debian/Ubuntu \`apt-get install ${CLANG_PACKAGE}\` (or any clang-N with the BPF target), ` +
    "on other distributions the `clang` package; there is no npm package that provides clang";
}

/**
 * Finds the compiler: `options.clang`, $BPF_CLANG, $CLANG, `clang` on PATH,
 * then the highest `clang-N` on PATH. A named compiler that does not exist is
 * an error (not a silent fallback); finding none is a ToolchainError naming
 * the package that provides clang.
 */
export function findClang(options: FindClangOptions = {}): ClangTool {
  const env = options.env ?? process.env;
  const named: [string, string | undefined][] = [["the clang option", options.clang], ["$BPF_CLANG", env.BPF_CLANG], ["$CLANG", env.CLANG]];
  for (const [from, command] of named) {
    if (command === undefined || command === "") continue;
    const file = resolveCommand(command, env);
    if (!file) throw new ToolchainError("clang", CLANG_PACKAGE, `${from} names '${command}', which is not an executable file or a command on PATH`);
    return tool(file, from);
  }
  const found = resolveCommand("clang", env) ?? highestVersionedClang(env);
  if (!found) {
    throw new ToolchainError("clang", CLANG_PACKAGE, `clang was not found (looked for $BPF_CLANG, $CLANG, clang and clang-N on PATH); ${installHint()}`);
  }
  return tool(found, "PATH");
}

/** What running the compiler told about itself. */
export interface ClangProbe {
  /** The first line of `clang --version`, e.g. "Debian clang version 19.1.7 (3)". */
  readonly version: string;
}

/**
 * Runs the compiler to read its version and check that it has the BPF
 * target (`-print-targets` lists "bpf"); a clang built without it is a
 * ToolchainError. Called only when something must be compiled.
 */
export async function probeClang(clang: ClangTool, env: NodeJS.ProcessEnv = process.env): Promise<ClangProbe> {
  let versionText: string;
  let targets: string;
  try {
    [versionText, targets] = await Promise.all([
      run(clang.path, ["--version"], { env }).then((r) => r.stdout),
      run(clang.path, ["-print-targets"], { env }).then((r) => r.stdout),
    ]);
  } catch (e) {
    throw new ToolchainError("clang", CLANG_PACKAGE, `${clang.path} (from ${clang.from}) does not run: ${(e as Error).message.split("\n")[0]}; ${installHint()}`);
  }
  if (!/^\s*bpf\s/m.test(targets)) {
    throw new ToolchainError("clang BPF target", CLANG_PACKAGE,
      `${clang.path} (from ${clang.from}) was built without the BPF target (-print-targets does not list bpf); ` +
      `point $BPF_CLANG at a clang that has it, or ${installHint()}`);
  }
  return { version: versionText.split("\n")[0]!.trim() };
}
