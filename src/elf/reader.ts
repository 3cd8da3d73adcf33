// ELF64 reader: header, section headers and names, symbols, REL/RELA
// relocations and notes, in either byte order. Pure parsing, no syscalls.
// Every count and size is checked against the input length before anything
// is allocated, so hostile input cannot make it allocate without bound.
import { ByteReader } from "./bytes.js";
import { ElfError } from "./errors.js";
import { parseProgramHeaders, type ElfSegment } from "./segments.js";
import {
  SHN, SHT, symbolBinding, symbolType, symbolVisibility,
  type SymbolBinding, type SymbolType, type SymbolVisibility,
} from "./constants.js";

/** The ELF file header (Elf64_Ehdr). */
export interface ElfHeader {
  readonly littleEndian: boolean;
  readonly osabi: number;
  /** e_type: 1 REL (relocatable, what clang emits for BPF), 2 EXEC, 3 DYN, 4 CORE. */
  readonly type: number;
  /** e_machine: 247 for BPF, 62 for x86-64. */
  readonly machine: number;
  readonly version: number;
  readonly entry: bigint;
  readonly phoff: number;
  readonly shoff: number;
  readonly flags: number;
  readonly ehsize: number;
  readonly phentsize: number;
  readonly phnum: number;
  readonly shentsize: number;
  /** Number of sections (taken from section 0 when e_shnum overflows). */
  readonly shnum: number;
  /** Index of the section-name string table (taken from section 0 when it overflows). */
  readonly shstrndx: number;
}

/** One section header, with its name resolved. */
export interface ElfSection {
  readonly index: number;
  readonly name: string;
  /** sh_name: offset of the name in the section-name string table. */
  readonly nameOffset: number;
  readonly type: number;
  /** sh_flags (SHF_*); all defined flags fit in a number. */
  readonly flags: number;
  readonly addr: bigint;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly addralign: number;
  readonly entsize: number;
}

/** One symbol table entry (Elf64_Sym). */
export interface ElfSymbol {
  /** Index in its symbol table (relocations refer to symbols by this index). */
  readonly index: number;
  readonly name: string;
  readonly value: bigint;
  readonly size: bigint;
  readonly binding: SymbolBinding;
  readonly type: SymbolType;
  readonly visibility: SymbolVisibility;
  /** Section the symbol is defined in, or a special SHN_* value (0 undefined, 0xfff1 absolute, 0xfff2 common). */
  readonly sectionIndex: number;
}

/** One REL or RELA entry. `addend` is 0n for REL sections. */
export interface ElfRelocation {
  /** Byte offset inside the section the relocation applies to. */
  readonly offset: number;
  /** Index into the linked symbol table. */
  readonly symbol: number;
  /** Machine-specific relocation type (for BPF: 1 R_BPF_64_64, 10 R_BPF_64_32, 2 R_BPF_64_ABS64, 3 R_BPF_64_ABS32 …). */
  readonly type: number;
  readonly addend: bigint;
}

/** One note (Elf64_Nhdr plus name and descriptor). */
export interface ElfNote {
  readonly name: string;
  readonly type: number;
  readonly desc: Uint8Array;
}

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;

/** Parses and validates the 64-byte ELF64 header (section-count overflow is resolved later). */
export function parseElfHeader(bytes: Uint8Array): ElfHeader {
  if (bytes.byteLength < 16 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new ElfError("missing ELF magic");
  }
  if (bytes[4] !== 2) throw new ElfError(bytes[4] === 1 ? "32-bit ELF is not supported (BPF objects are ELF64)" : `bad ELF class ${bytes[4]}`, 4);
  if (bytes[5] !== 1 && bytes[5] !== 2) throw new ElfError(`bad ELF data encoding ${bytes[5]}`, 5);
  if (bytes.byteLength < EHDR_SIZE) throw new ElfError(`file is shorter than the ELF header (${bytes.byteLength} bytes)`);
  const r = new ByteReader(bytes, bytes[5] === 1);
  return {
    littleEndian: r.littleEndian,
    osabi: r.u8(7),
    type: r.u16(16),
    machine: r.u16(18),
    version: r.u32(20),
    entry: r.u64(24),
    phoff: r.size64(32, "e_phoff"),
    shoff: r.size64(40, "e_shoff"),
    flags: r.u32(48),
    ehsize: r.u16(52),
    phentsize: r.u16(54),
    phnum: r.u16(56),
    shentsize: r.u16(58),
    shnum: r.u16(60),
    shstrndx: r.u16(62),
  };
}

/**
 * Parses a section header table. `table` holds the bytes starting at e_shoff
 * (at least as many as the table needs); `fileLength` bounds section ranges.
 * Returns the header with overflowed counts resolved, and raw sections without names.
 */
export function parseSectionTable(
  table: Uint8Array, header: ElfHeader, fileLength: number,
): { header: ElfHeader; sections: Omit<ElfSection, "name">[] } {
  if (header.shoff === 0) return { header: { ...header, shnum: 0 }, sections: [] };
  if (header.shentsize < SHDR_SIZE) throw new ElfError(`e_shentsize ${header.shentsize} is smaller than ${SHDR_SIZE}`, 58);
  const r = new ByteReader(table, header.littleEndian, header.shoff);
  let shnum = header.shnum;
  let shstrndx = header.shstrndx;
  // Counts that do not fit in 16 bits live in section 0 (gABI "extended section numbering").
  if (shnum === 0) shnum = r.size64(32, "section 0 sh_size (section count)");
  if (shstrndx === SHN.XINDEX) shstrndx = r.u32(40, "section 0 sh_link (name table index)");
  if (shnum * header.shentsize > table.byteLength) {
    throw new ElfError(`section header table (${shnum} × ${header.shentsize} bytes) runs past the end of the file`, header.shoff);
  }
  const sections: Omit<ElfSection, "name">[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = i * header.shentsize;
    const type = r.u32(o + 4);
    const offset = r.size64(o + 24, "sh_offset");
    const size = r.size64(o + 32, "sh_size");
    if (type !== SHT.NOBITS && type !== SHT.NULL && offset + size > fileLength) {
      throw new ElfError(`section ${i} [${offset}, +${size}) runs past the end of the file (${fileLength} bytes)`, header.shoff + o);
    }
    const flags = r.u64(o + 8);
    sections.push({
      index: i,
      nameOffset: r.u32(o),
      type,
      flags: Number(flags & 0xffff_ffffn),
      addr: r.u64(o + 16),
      offset,
      size,
      link: r.u32(o + 40),
      info: r.u32(o + 44),
      addralign: r.size64(o + 48, "sh_addralign"),
      entsize: r.size64(o + 56, "sh_entsize"),
    });
  }
  if (shnum > 0 && shstrndx >= shnum) throw new ElfError(`section name table index ${shstrndx} is out of range (${shnum} sections)`, 62);
  return { header: { ...header, shnum, shstrndx }, sections };
}

/** Resolves section names against the section-name string table bytes. */
export function nameSections(
  raw: readonly Omit<ElfSection, "name">[], names: Uint8Array, littleEndian: boolean,
): ElfSection[] {
  const r = new ByteReader(names, littleEndian);
  return raw.map((s) => ({ ...s, name: s.nameOffset === 0 && names.byteLength === 0 ? "" : r.cString(s.nameOffset, "section name") }));
}

/** An ELF64 file in memory. Construction validates the header and the section table. */
export class ElfFile {
  readonly bytes: Uint8Array;
  readonly header: ElfHeader;
  readonly sections: readonly ElfSection[];
  readonly #reader: ByteReader;

  /** Parses `bytes` (the whole file). Throws ElfError on malformed input. */
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    const h = parseElfHeader(bytes);
    this.#reader = new ByteReader(bytes, h.littleEndian);
    if (h.shoff > bytes.byteLength) throw new ElfError(`e_shoff ${h.shoff} is past the end of the file`, 40);
    const parsed = parseSectionTable(bytes.subarray(h.shoff), h, bytes.byteLength);
    this.header = parsed.header;
    const strtab = parsed.sections[parsed.header.shstrndx];
    const names = strtab ? this.#rangeOf(strtab) : new Uint8Array(0);
    this.sections = nameSections(parsed.sections, names, h.littleEndian);
  }

  /** The first section with this name, if any. */
  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** The section at `index`; throws ElfError when out of range. */
  sectionAt(index: number): ElfSection {
    const s = this.sections[index];
    if (!s) throw new ElfError(`section index ${index} is out of range (${this.sections.length} sections)`);
    return s;
  }

  /** The bytes of a section (a view, not a copy); empty for SHT_NOBITS (.bss). */
  data(section: ElfSection): Uint8Array {
    return this.#rangeOf(section);
  }

  #rangeOf(s: Omit<ElfSection, "name">): Uint8Array {
    if (s.type === SHT.NOBITS || s.type === SHT.NULL) return new Uint8Array(0);
    this.#reader.check(s.offset, s.size, `section ${s.index} data`);
    return this.bytes.subarray(s.offset, s.offset + s.size);
  }

  /** The symbol table (.symtab, else .dynsym), or [] when there is none. */
  symbols(table?: ElfSection): ElfSymbol[] {
    const symtab = table ?? this.sections.find((s) => s.type === SHT.SYMTAB) ?? this.sections.find((s) => s.type === SHT.DYNSYM);
    if (!symtab) return [];
    if (symtab.type !== SHT.SYMTAB && symtab.type !== SHT.DYNSYM) throw new ElfError(`section ${symtab.name} is not a symbol table`);
    const data = new ByteReader(this.data(symtab), this.header.littleEndian, symtab.offset);
    const strings = new ByteReader(this.data(this.sectionAt(symtab.link)), this.header.littleEndian);
    const shndx = this.sections.find((s) => s.type === SHT.SYMTAB_SHNDX && s.link === symtab.index);
    const xindex = shndx ? new ByteReader(this.data(shndx), this.header.littleEndian, shndx.offset) : undefined;
    const count = Math.floor(data.length / SYM_SIZE);
    const out: ElfSymbol[] = [];
    for (let i = 0; i < count; i++) {
      const o = i * SYM_SIZE;
      const info = data.u8(o + 4);
      let sectionIndex = data.u16(o + 6);
      if (sectionIndex === SHN.XINDEX && xindex) sectionIndex = xindex.u32(i * 4, "SHT_SYMTAB_SHNDX entry");
      out.push({
        index: i,
        name: strings.cString(data.u32(o), "symbol name"),
        value: data.u64(o + 8),
        size: data.u64(o + 16),
        binding: symbolBinding(info >> 4),
        type: symbolType(info & 0xf),
        visibility: symbolVisibility(data.u8(o + 5)),
        sectionIndex,
      });
    }
    return out;
  }

  /** The program headers (segments); [] for relocatable objects. */
  segments(): ElfSegment[] {
    return parseProgramHeaders(this.bytes, this.header);
  }

  /** Sections of type REL or RELA whose sh_info names `target`. */
  relocationSectionsFor(target: ElfSection): ElfSection[] {
    return this.sections.filter((s) => (s.type === SHT.REL || s.type === SHT.RELA) && s.info === target.index);
  }

  /** Decodes a REL or RELA section. */
  relocations(section: ElfSection): ElfRelocation[] {
    const rela = section.type === SHT.RELA;
    if (!rela && section.type !== SHT.REL) throw new ElfError(`section ${section.name} is not a REL/RELA section`);
    const entry = rela ? 24 : 16;
    const r = new ByteReader(this.data(section), this.header.littleEndian, section.offset);
    const count = Math.floor(r.length / entry);
    const out: ElfRelocation[] = [];
    for (let i = 0; i < count; i++) {
      const o = i * entry;
      const info = r.u64(o + 8);
      out.push({
        offset: r.size64(o, "r_offset"),
        symbol: Number(info >> 32n),
        type: Number(info & 0xffff_ffffn),
        addend: rela ? r.i64(o + 16) : 0n,
      });
    }
    return out;
  }

  /** Notes of one SHT_NOTE section, or of every SHT_NOTE section when none is given. */
  notes(section?: ElfSection): ElfNote[] {
    const list = section ? [section] : this.sections.filter((s) => s.type === SHT.NOTE);
    const out: ElfNote[] = [];
    for (const s of list) {
      if (s.type !== SHT.NOTE) throw new ElfError(`section ${s.name} is not a note section`);
      const r = new ByteReader(this.data(s), this.header.littleEndian, s.offset);
      // Note entries are 4-byte aligned, except in sections aligned to 8 (e.g. .note.gnu.property).
      const align = s.addralign === 8 ? 8 : 4;
      let o = 0;
      while (o + 12 <= r.length) {
        const namesz = r.u32(o, "n_namesz");
        const descsz = r.u32(o + 4, "n_descsz");
        const type = r.u32(o + 8, "n_type");
        const nameAt = o + 12;
        r.check(nameAt, namesz, "note name");
        const descAt = alignUp(nameAt + namesz, align);
        r.check(descAt, descsz, "note descriptor");
        const nameBytes = r.bytes.subarray(nameAt, nameAt + namesz);
        const nul = nameBytes.indexOf(0);
        out.push({
          name: new TextDecoder().decode(nul >= 0 ? nameBytes.subarray(0, nul) : nameBytes),
          type,
          desc: r.bytes.subarray(descAt, descAt + descsz),
        });
        o = alignUp(descAt + descsz, align);
      }
    }
    return out;
  }
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
