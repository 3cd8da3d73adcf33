// Reads chosen sections of an ELF file from disk without loading the whole
// file (a vmlinux with debug info can be hundreds of megabytes).
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { ElfError } from "./errors.js";
import { nameSections, parseElfHeader, parseSectionTable, type ElfHeader, type ElfSection } from "./reader.js";
import { SHT } from "./constants.js";
import { ByteReader } from "./bytes.js";
import { BpfError, NotFoundError, PermissionError } from "../sys/errors.js";

/** Turns a Node fs error into a typed error naming the file (ENOENT → NotFoundError, EACCES → PermissionError). */
export function fileError(e: unknown, path: string, invalid: (message: string) => BpfError): BpfError {
  if (e instanceof BpfError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  const errno = -((e as NodeJS.ErrnoException)?.errno ?? 0) || undefined;
  if (code === "ENOENT") return new NotFoundError(`${path} does not exist`, { errno, cause: e });
  if (code === "EACCES" || code === "EPERM") return new PermissionError(`cannot read ${path}: ${code}`, { errno, cause: e });
  return invalid(`cannot read ${path}: ${(e as Error)?.message ?? String(e)}`);
}

/** What a non-regular file is, for the message that refuses it. */
function fileKind(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * Opens `path` for reading and returns its fd and size, refusing anything but
 * a regular file with `invalid` (the caller's typed error): /dev/zero, a FIFO
 * or a directory would otherwise be read until memory runs out, or block.
 * O_NONBLOCK keeps open(2) of a FIFO from waiting for a writer; the check is
 * fstat of the opened fd, so the file cannot be swapped after the check.
 */
export function openRegularFile(path: string, invalid: (message: string) => BpfError): { fd: number; size: number } {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw invalid(`${path} is ${fileKind(st)}, not a regular file`);
    return { fd, size: st.size };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/**
 * The whole content of the regular file at `path` (as much as fstat reported
 * when it was opened: a file growing meanwhile cannot make this read forever).
 * Errors are typed and name the file: NotFoundError, PermissionError, or
 * `invalid` for non-regular files and other failures.
 */
export function readRegularFile(path: string, invalid: (message: string) => BpfError): Uint8Array {
  try {
    const { fd, size } = openRegularFile(path, invalid);
    try {
      const buf = new Uint8Array(size);
      let done = 0;
      while (done < size) {
        const n = readSync(fd, buf, done, size - done, done);
        if (n <= 0) break;
        done += n;
      }
      return done === size ? buf : buf.subarray(0, done);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw fileError(e, path, invalid);
  }
}

/** Header, section headers and the bytes of the requested sections of an ELF file. */
export interface ElfFileSections {
  readonly header: ElfHeader;
  readonly sections: readonly ElfSection[];
  /** Data of each requested section that exists, by name. */
  readonly data: ReadonlyMap<string, Uint8Array>;
}

/** Reads the section table and the named sections of the ELF file at `path`. Throws ElfError for malformed files. */
export function readElfSections(path: string, names: readonly string[]): ElfFileSections {
  try {
    return readSections(path, names);
  } catch (e) {
    throw fileError(e, path, (m) => new ElfError(m));
  }
}

function readSections(path: string, names: readonly string[]): ElfFileSections {
  const { fd, size: length } = openRegularFile(path, (m) => new ElfError(m));
  try {
    const read = (offset: number, size: number, what: string): Uint8Array => {
      if (offset + size > length) throw new ElfError(`${what} runs past the end of the file (${length} bytes)`, offset);
      const buf = new Uint8Array(size);
      let done = 0;
      while (done < size) {
        const n = readSync(fd, buf, done, size - done, offset + done);
        if (n <= 0) throw new ElfError(`${what}: unexpected end of file`, offset + done);
        done += n;
      }
      return buf;
    };
    const header = parseElfHeader(read(0, Math.min(64, length), "ELF header"));
    if (header.shoff === 0) return { header, sections: [], data: new Map() };
    if (header.shentsize < 64) throw new ElfError(`e_shentsize ${header.shentsize} is smaller than 64`, 58);
    // Section 0 first: it holds the real count when e_shnum overflows.
    const first = read(header.shoff, header.shentsize, "section header 0");
    const count = header.shnum === 0 ? new ByteReader(first, header.littleEndian, header.shoff).size64(32, "section count") : header.shnum;
    const tableSize = count * header.shentsize;
    const table = read(header.shoff, tableSize, "section header table");
    const parsed = parseSectionTable(table, header, length);
    const strtab = parsed.sections[parsed.header.shstrndx];
    const names_ = strtab && strtab.type !== SHT.NOBITS ? read(strtab.offset, strtab.size, "section name table") : new Uint8Array(0);
    const sections = nameSections(parsed.sections, names_, header.littleEndian);
    const data = new Map<string, Uint8Array>();
    for (const name of names) {
      const s = sections.find((x) => x.name === name);
      if (s) data.set(name, s.type === SHT.NOBITS ? new Uint8Array(0) : read(s.offset, s.size, `section ${name}`));
    }
    return { header: parsed.header, sections, data };
  } finally {
    closeSync(fd);
  }
}
