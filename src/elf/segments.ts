// ELF64 program headers (segments): what a loader maps where. Uprobes need
// them to turn a symbol's virtual address into a file offset. Pure parsing,
// every entry bounds-checked against the input.
import { ByteReader } from "./bytes.js";
import { ElfError } from "./errors.js";
import type { ElfHeader } from "./reader.js";

/** Segment types (p_type) the library looks at. */
export const PT = { NULL: 0, LOAD: 1, DYNAMIC: 2, INTERP: 3, NOTE: 4, PHDR: 6, TLS: 7, GNU_STACK: 0x6474e551 } as const;

/** Segment permission flags (p_flags). */
export const PF = { X: 1, W: 2, R: 4 } as const;

/** One program header (Elf64_Phdr). */
export interface ElfSegment {
  readonly index: number;
  /** p_type ({@link PT}). */
  readonly type: number;
  /** p_flags ({@link PF}). */
  readonly flags: number;
  /** p_offset: where the segment's bytes start in the file. */
  readonly offset: number;
  readonly vaddr: bigint;
  readonly paddr: bigint;
  /** p_filesz: bytes taken from the file. */
  readonly fileSize: number;
  /** p_memsz: bytes in memory (≥ fileSize; the rest is zero-filled). */
  readonly memSize: bigint;
  readonly align: bigint;
}

const PHDR_SIZE = 56;

/** Parses the program header table of a whole file (`bytes`); [] when it has none. */
export function parseProgramHeaders(bytes: Uint8Array, header: ElfHeader): ElfSegment[] {
  if (header.phoff === 0 || header.phnum === 0) return [];
  if (header.phentsize < PHDR_SIZE) throw new ElfError(`e_phentsize ${header.phentsize} is smaller than ${PHDR_SIZE}`, 54);
  const r = new ByteReader(bytes, header.littleEndian);
  r.check(header.phoff, header.phnum * header.phentsize, "program header table");
  const out: ElfSegment[] = [];
  for (let i = 0; i < header.phnum; i++) {
    const o = header.phoff + i * header.phentsize;
    const type = r.u32(o);
    const offset = r.size64(o + 8, "p_offset");
    const fileSize = r.size64(o + 32, "p_filesz");
    if (type !== PT.NULL && offset + fileSize > bytes.byteLength) {
      throw new ElfError(`segment ${i} [${offset}, +${fileSize}) runs past the end of the file (${bytes.byteLength} bytes)`, o);
    }
    out.push({
      index: i, type, flags: r.u32(o + 4), offset,
      vaddr: r.u64(o + 16), paddr: r.u64(o + 24), fileSize, memSize: r.u64(o + 40), align: r.u64(o + 48),
    });
  }
  return out;
}

/** The PT_LOAD segment whose memory image holds `vaddr`, if any. */
export function loadSegmentAt(segments: readonly ElfSegment[], vaddr: bigint): ElfSegment | undefined {
  return segments.find((s) => s.type === PT.LOAD && vaddr >= s.vaddr && vaddr < s.vaddr + s.memSize);
}
