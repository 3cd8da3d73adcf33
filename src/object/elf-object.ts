// A BPF ELF object opened for spec extraction: the ELF file checked to be a
// relocatable EM_BPF object, its symbols, and relocations grouped by the
// section they apply to. Every lookup that can miss throws ObjectError naming
// what was asked for.
import { ElfFile, type ElfRelocation, type ElfSection, type ElfSymbol } from "../elf/reader.js";
import { EM_BPF, SHF, SHN, SHT } from "../elf/constants.js";
import type { ByteOrder } from "../asm/encoding.js";
import { ObjectError, asObjectError } from "./errors.js";

/** ELF e_type of relocatable objects (what clang -c emits). */
const ET_REL = 1;

/** The parsed ELF layer of a BPF object. */
export class ElfObject {
  readonly elf: ElfFile;
  readonly byteOrder: ByteOrder;
  readonly symbols: readonly ElfSymbol[];
  /** Relocations by the index of the section they patch. */
  readonly #relocations = new Map<number, ElfRelocation[]>();

  constructor(bytes: Uint8Array) {
    this.elf = asObjectError("cannot read the ELF file", () => new ElfFile(bytes));
    const h = this.elf.header;
    if (h.machine !== EM_BPF) throw new ObjectError(`not a BPF object: e_machine is ${h.machine}, expected ${EM_BPF} (EM_BPF)`);
    if (h.type !== ET_REL) throw new ObjectError(`not a relocatable object: e_type is ${h.type}, expected ${ET_REL} (ET_REL)`);
    this.byteOrder = h.littleEndian ? "le" : "be";
    const symtab = this.elf.sections.find((s) => s.type === SHT.SYMTAB);
    if (!symtab) throw new ObjectError("the object has no symbol table (.symtab)", { section: ".symtab" });
    this.symbols = asObjectError("cannot read the symbol table", () => this.elf.symbols(symtab), { section: symtab.name });
    for (const s of this.elf.sections) {
      if (s.type !== SHT.REL && s.type !== SHT.RELA) continue;
      if (s.link !== symtab.index) continue;
      const target = s.info;
      const relos = asObjectError("cannot read relocations", () => this.elf.relocations(s), { section: s.name });
      for (const r of relos) {
        if (r.symbol >= this.symbols.length) {
          throw new ObjectError(`relocation at offset ${r.offset} refers to symbol #${r.symbol}, past the end of the symbol table`, {
            section: s.name,
          });
        }
      }
      const list = this.#relocations.get(target);
      if (list) list.push(...relos);
      else this.#relocations.set(target, relos);
    }
  }

  /** The section with this index; ObjectError when out of range. */
  section(index: number, forWhat: string): ElfSection {
    const s = this.elf.sections[index];
    if (!s || index === 0) throw new ObjectError(`${forWhat} refers to section #${index}, which does not exist`);
    return s;
  }

  /** The first section named `name`. */
  sectionByName(name: string): ElfSection | undefined {
    return this.elf.section(name);
  }

  /** Bytes of a section (empty for .bss-like sections). */
  data(section: ElfSection): Uint8Array {
    return asObjectError("cannot read section data", () => this.elf.data(section), { section: section.name });
  }

  /** Relocations that patch `section`, in file order. */
  relocationsFor(section: ElfSection): readonly ElfRelocation[] {
    return this.#relocations.get(section.index) ?? [];
  }

  /** The symbol a relocation refers to. */
  symbolOf(r: ElfRelocation): ElfSymbol {
    return this.symbols[r.symbol] as ElfSymbol;
  }

  /** True for sections holding code (program or subprogram instructions). */
  static isCode(s: ElfSection): boolean {
    return s.type === SHT.PROGBITS && (s.flags & SHF.EXECINSTR) !== 0 && s.size > 0;
  }

  /** True for undefined global/weak NOTYPE symbols: libbpf's externs. */
  static isExtern(sym: ElfSymbol): boolean {
    return sym.sectionIndex === SHN.UNDEF && (sym.binding === "global" || sym.binding === "weak") && sym.type === "notype" && sym.index !== 0;
  }

  /** The symbol's value as a safe number (offsets in BPF objects are small). */
  static offsetOf(sym: ElfSymbol): number {
    if (sym.value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ObjectError(`symbol '${sym.name}' has an out-of-range value ${sym.value}`, { symbol: sym.name });
    return Number(sym.value);
  }
}
