// Where the file a uprobe names lives: an absolute or relative path as is,
// a bare library name through the process's mappings (/proc/<pid>/maps) or
// the library search path, a bare program name through $PATH; and its ELF
// image, read once with errors that name it.
import { readFileSync, statSync } from "node:fs";
import { basename, delimiter, resolve } from "node:path";
import { NotFoundError } from "../sys/errors.js";
import { ElfFile } from "../elf/index.js";
import { fileError, readRegularFile } from "../elf/file.js";
import { ElfError } from "../elf/errors.js";

/** Multiarch library directories (Debian layout) of the running architecture. */
const multiarch: Partial<Record<string, string>> = {
  x64: "x86_64-linux-gnu", arm64: "aarch64-linux-gnu", arm: "arm-linux-gnueabihf", ppc64: "powerpc64le-linux-gnu",
  s390x: "s390x-linux-gnu", riscv64: "riscv64-linux-gnu", loong64: "loongarch64-linux-gnu",
};

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Directories searched for a bare library name: $LD_LIBRARY_PATH, then the system library directories. */
function libraryDirs(): string[] {
  const arch = multiarch[process.arch];
  const system = arch ? [`/lib/${arch}`, `/usr/lib/${arch}`] : [];
  const fromEnv = (process.env.LD_LIBRARY_PATH ?? "").split(delimiter).filter((d) => d.startsWith("/"));
  return [...fromEnv, ...system, "/lib64", "/usr/lib64", "/lib", "/usr/lib"];
}

/** The file mapped into `pid` whose name is `name` (or `name.<suffix>`, so "libc.so" finds libc.so.6). */
function fromProcessMaps(name: string, pid: number): string | undefined {
  let maps: string;
  try {
    maps = readFileSync(`/proc/${pid}/maps`, "utf8");
  } catch (e) {
    throw new NotFoundError(`cannot find ${name} in process ${pid}: /proc/${pid}/maps is unreadable (no such process?)`, { cause: e });
  }
  for (const line of maps.split("\n")) {
    const path = /\s(\/\S.*)$/.exec(line)?.[1];
    if (!path || path.endsWith(" (deleted)")) continue;
    const base = basename(path);
    if (base === name || base.startsWith(`${name}.`)) return path;
  }
  return undefined;
}

/**
 * The absolute path of the binary `binary` of a uprobe. A name with a "/" is
 * a path (made absolute). A bare name is looked up in `pid`'s mappings when a
 * pid is given, then — a library ("….so…") — in $LD_LIBRARY_PATH and the
 * system library directories, or — a program — in $PATH. /etc/ld.so.cache is
 * not read. NotFoundError says where it looked.
 */
export function resolveUprobeBinary(binary: string, pid?: number): string {
  if (binary === "") throw new NotFoundError("uprobe binary: the path is empty");
  if (binary.includes("/")) {
    const path = resolve(binary);
    if (!isFile(path)) throw new NotFoundError(`uprobe binary ${path} does not exist (or is not a regular file)`);
    return path;
  }
  const looked: string[] = [];
  if (pid !== undefined && pid >= 0) {
    const mapped = fromProcessMaps(binary, pid);
    if (mapped) return mapped;
    looked.push(`/proc/${pid}/maps`);
  }
  const dirs = binary.includes(".so") ? libraryDirs() : (process.env.PATH ?? "").split(delimiter).filter((d) => d.startsWith("/"));
  for (const dir of dirs) {
    if (isFile(`${dir}/${binary}`)) return `${dir}/${binary}`;
  }
  looked.push(binary.includes(".so") ? `the library directories (${dirs.join(", ")})` : "$PATH");
  throw new NotFoundError(`uprobe binary ${binary} not found in ${looked.join(" or ")}; give its absolute path`);
}

/** Reads and parses the binary at `path` (resolved), with typed errors that name it (ElfError, NotFoundError, PermissionError). */
export function readBinaryElf(path: string): ElfFile {
  const invalid = (m: string): ElfError => new ElfError(m);
  const bytes = readRegularFile(path, invalid);
  try {
    return new ElfFile(bytes);
  } catch (e) {
    throw fileError(e, path, invalid);
  }
}
