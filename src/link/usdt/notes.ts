// The SystemTap SDT notes of a binary: each USDT probe site is one note
// (owner "stapsdt", type 3) in the non-allocated .note.stapsdt section,
// whose descriptor holds three addresses — the probe's pc, the link-time
// address of .stapsdt.base, the semaphore (0 for none) — then three
// NUL-terminated strings: provider, name, argument specs. Pure parsing:
// every malformed note is an ElfError, never a RangeError or a hang.
import { ElfError } from "../../elf/errors.js";
import { SHT, type ElfFile } from "../../elf/index.js";

/** One probe site as its note describes it (addresses as linked, not yet adjusted). */
export interface UsdtNote {
  readonly provider: string;
  readonly name: string;
  /** Link-time address of the probe's instruction (a nop). */
  readonly pc: bigint;
  /** Link-time address of .stapsdt.base recorded when the note was written (0 when absent). */
  readonly base: bigint;
  /** Link-time address of the probe's u16 semaphore; 0 when it has none. */
  readonly semaphore: bigint;
  /** Argument specs separated by spaces ("-4@%edi 8@-8(%rbp)"); "" for none. */
  readonly args: string;
}

export const STAPSDT_NOTE_SECTION = ".note.stapsdt";
export const STAPSDT_BASE_SECTION = ".stapsdt.base";
const STAPSDT_OWNER = "stapsdt";
/** NT_STAPSDT: version 3 of the SDT note format (the one <sys/sdt.h> writes). */
const NT_STAPSDT = 3;
const ADDRESS_SIZE = 8;

const decoder = new TextDecoder("utf-8", { fatal: false });

/** The three strings after the addresses; ElfError when one is missing or unterminated. */
function strings(desc: Uint8Array, at: number, index: number): [string, string, string] {
  const out: string[] = [];
  let o = ADDRESS_SIZE * 3;
  for (const what of ["provider", "name", "argument"]) {
    const end = desc.indexOf(0, o);
    if (end < 0) throw new ElfError(`USDT note ${index}: the ${what} string is not NUL-terminated`, at);
    out.push(decoder.decode(desc.subarray(o, end)));
    o = end + 1;
  }
  return out as [string, string, string];
}

/** Decodes one stapsdt note descriptor (`index` and `at` only name it in errors). */
export function parseUsdtNote(desc: Uint8Array, littleEndian: boolean, index = 0, at?: number): UsdtNote {
  if (desc.byteLength < ADDRESS_SIZE * 3 + 3) {
    throw new ElfError(`USDT note ${index} is ${desc.byteLength} bytes, shorter than three addresses and three strings`, at);
  }
  const view = new DataView(desc.buffer, desc.byteOffset, desc.byteLength);
  const [provider, name, rawArgs] = strings(desc, at ?? 0, index);
  if (provider === "" || name === "") throw new ElfError(`USDT note ${index} has an empty ${provider === "" ? "provider" : "name"}`, at);
  // Old SDT versions could write ":" for "no arguments" (libbpf reads it the same way).
  const args = rawArgs.startsWith(":") ? "" : rawArgs.trim();
  return {
    provider, name,
    pc: view.getBigUint64(0, littleEndian),
    base: view.getBigUint64(8, littleEndian),
    semaphore: view.getBigUint64(16, littleEndian),
    args,
  };
}

/**
 * Every USDT probe site of `elf`, in note order; [] when the binary has no
 * .note.stapsdt section. Notes of other owners or types in the section are
 * skipped. ElfError for a truncated or malformed note (or a section that is
 * not SHT_NOTE), naming the note.
 */
export function usdtNotes(elf: ElfFile): UsdtNote[] {
  const section = elf.section(STAPSDT_NOTE_SECTION);
  if (!section) return [];
  if (section.type !== SHT.NOTE) throw new ElfError(`${STAPSDT_NOTE_SECTION} is not a note section (type ${section.type})`);
  const out: UsdtNote[] = [];
  elf.notes(section).forEach((note, index) => {
    if (note.name !== STAPSDT_OWNER || note.type !== NT_STAPSDT) return;
    out.push(parseUsdtNote(note.desc, elf.header.littleEndian, index, section.offset));
  });
  return out;
}

/** The sh_addr of .stapsdt.base, if the binary has one (what prelink moves and the notes do not follow). */
export function stapsdtBase(elf: ElfFile): bigint | undefined {
  return elf.section(STAPSDT_BASE_SECTION)?.addr;
}
