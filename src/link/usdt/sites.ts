// The probe sites of one USDT in a binary, as uprobes need them: the note's
// pc moved by the .stapsdt.base adjustment (prelink moves sections, not
// notes), turned into a file offset through the executable PT_LOAD segment
// that holds it, and the semaphore into a file offset through its (data)
// segment — the same for executables (ET_EXEC, absolute addresses) and
// PIE/shared libraries (ET_DYN, addresses relative to the load base).
import { readFileSync, realpathSync } from "node:fs";
import { loadSegmentAt, PF, type ElfFile, type ElfSegment } from "../../elf/index.js";
import { ElfError } from "../../elf/errors.js";
import { NotFoundError } from "../../sys/errors.js";
import { stapsdtBase, type UsdtNote } from "./notes.js";

/** One place a USDT fires, ready for a uprobe. */
export interface UsdtSite {
  readonly note: UsdtNote;
  /** Link-time address of the probe after the .stapsdt.base adjustment. */
  readonly address: bigint;
  /** File offset of the probe instruction (what the uprobe names). */
  readonly fileOffset: number;
  /** File offset of the semaphore; 0 when the probe has none. */
  readonly semaphoreOffset: number;
}

/** ET_DYN: addresses are relative to wherever the object is mapped. */
export const ET_DYN = 3;

function segmentFor(segments: readonly ElfSegment[], address: bigint, what: string, path: string): ElfSegment {
  const segment = loadSegmentAt(segments, address);
  if (!segment) throw new ElfError(`${what} in ${path} is at 0x${address.toString(16)}, which no PT_LOAD segment maps`);
  return segment;
}

/** The sites of the notes `notes` (already chosen) of `elf`, read from `path`. ElfError for addresses no segment explains. */
export function usdtSites(elf: ElfFile, path: string, notes: readonly UsdtNote[]): UsdtSite[] {
  const segments = elf.segments();
  const base = stapsdtBase(elf);
  return notes.map((note) => {
    const what = `USDT ${note.provider}:${note.name}`;
    const address = base && note.base ? note.pc + (base - note.base) : note.pc;
    const code = segmentFor(segments, address, what, path);
    if ((code.flags & PF.X) === 0) throw new ElfError(`${what} in ${path} is at 0x${address.toString(16)}, in a segment that is not executable`);
    let semaphoreOffset = 0;
    if (note.semaphore !== 0n) {
      const semaphore = base && note.base ? note.semaphore + (base - note.base) : note.semaphore;
      const data = segmentFor(segments, semaphore, `the semaphore of ${what}`, path);
      if ((data.flags & PF.X) !== 0) throw new ElfError(`the semaphore of ${what} in ${path} is in an executable segment`);
      semaphoreOffset = Number(semaphore - data.vaddr) + data.offset;
    }
    return { note, address, fileOffset: Number(address - code.vaddr) + code.offset, semaphoreOffset };
  });
}

/**
 * Where a site's instruction is in the memory of process `pid` — the
 * address the BPF side sees as the probe's ip. An executable (ET_EXEC) is
 * mapped where it was linked; a PIE or library is found in
 * /proc/<pid>/maps by its executable mapping of `path`.
 */
export function siteAddressIn(pid: number | undefined, path: string, type: number, site: UsdtSite): bigint {
  if (type !== ET_DYN) return site.address;
  if (pid === undefined) throw new NotFoundError(`no process given to find where ${path} is mapped`);
  let maps: string;
  try {
    maps = readFileSync(`/proc/${pid}/maps`, "utf8");
  } catch (e) {
    throw new NotFoundError(`cannot read /proc/${pid}/maps to find where ${path} is mapped (no such process?)`, { cause: e });
  }
  // /proc/<pid>/maps names the file by its real path (no symlinks).
  let real = path;
  try {
    real = realpathSync(path);
  } catch {
    // Compare the path as given.
  }
  for (const line of maps.split("\n")) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) ..x. ([0-9a-f]+) \S+ \d+\s+(.*)$/.exec(line);
    if (!m || (m[4] !== real && m[4] !== path)) continue;
    const start = BigInt(`0x${m[1]}`);
    const end = BigInt(`0x${m[2]}`);
    const offset = BigInt(`0x${m[3]}`);
    const fileOffset = BigInt(site.fileOffset);
    if (fileOffset >= offset && fileOffset < offset + (end - start)) return start - offset + fileOffset;
  }
  throw new NotFoundError(`process ${pid} does not map ${path}'s code at file offset 0x${site.fileOffset.toString(16)} (/proc/${pid}/maps)`);
}
