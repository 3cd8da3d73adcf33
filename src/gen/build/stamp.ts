// The up-to-date check. A stamp file beside the outputs records what the last
// successful build used: the recipe (compiler flags, source, skeleton options,
// tsbpf version), the compiler's identity, the hash of every file clang read
// (from its depfile: the source and every header, vmlinux.h included) and of
// the outputs. When all of them still match, nothing is compiled; any
// difference (a touched header, a new flag, another clang, an edited or
// deleted output) rebuilds.
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "./atomic-file.js";
import { fileSha256 } from "./hash.js";

const STAMP_FORMAT = 1;

/** What a stamp records. */
export interface Stamp {
  readonly format: number;
  /** Hash of everything the build was asked to do (flags, paths, skeleton options, tsbpf version). */
  readonly recipe: string;
  /** The compiler's identity (resolved path, size, mtime): see ClangTool. */
  readonly clang: string;
  /** `clang --version`'s first line (informational). */
  readonly clangVersion: string;
  /** Every file the compile read → its SHA-256. */
  readonly inputs: Readonly<Record<string, string>>;
  /** Every output written → its SHA-256. */
  readonly outputs: Readonly<Record<string, string>>;
}

/** The stamp at `file`, or undefined when it is missing or not one of ours. */
export function readStamp(file: string): Stamp | undefined {
  try {
    const stamp = JSON.parse(readFileSync(file, "utf8")) as Partial<Stamp>;
    if (stamp.format !== STAMP_FORMAT || typeof stamp.recipe !== "string" || typeof stamp.clang !== "string" ||
      typeof stamp.inputs !== "object" || typeof stamp.outputs !== "object") return undefined;
    return stamp as Stamp;
  } catch {
    return undefined;
  }
}

/** Writes a stamp (atomically). */
export function writeStamp(file: string, stamp: Omit<Stamp, "format">): void {
  writeFileAtomic(file, `${JSON.stringify({ format: STAMP_FORMAT, ...stamp }, null, 2)}\n`);
}

/** Why a build is needed, or undefined when the stamp says the outputs are current. */
export function outOfDateReason(stamp: Stamp | undefined, recipe: string, clang: string): string | undefined {
  if (stamp === undefined) return "no previous build";
  if (stamp.recipe !== recipe) return "the flags, paths or options changed";
  if (stamp.clang !== clang) return "the compiler changed";
  for (const [file, hash] of Object.entries(stamp.inputs)) {
    if (fileSha256(file) !== hash) return `${file} changed`;
  }
  for (const [file, hash] of Object.entries(stamp.outputs)) {
    if (fileSha256(file) !== hash) return `${file} is missing or was modified`;
  }
  return undefined;
}

/** Hashes of files (all must be readable: they were just read or written). */
export function hashFiles(files: readonly string[]): Record<string, string> {
  const hashes: Record<string, string> = {};
  for (const file of files) hashes[file] = fileSha256(file) ?? "";
  return hashes;
}
