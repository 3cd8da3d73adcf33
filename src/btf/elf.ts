// BTF embedded in ELF files: the .BTF (and .BTF.ext) sections of a BPF
// object, or of a vmlinux image. Pure parsing.
import { ElfFile } from "../elf/reader.js";
import { Btf, type BtfParseOptions } from "./btf.js";
import { parseBtfExt, type BtfExt } from "./ext.js";

/** BTF and .BTF.ext of one ELF file. */
export interface ElfBtf {
  readonly btf: Btf | undefined;
  readonly ext: BtfExt | undefined;
}

/** Reads .BTF and .BTF.ext from an ELF file (bytes or an already parsed ElfFile). */
export function btfFromElf(elf: ElfFile | Uint8Array, options: BtfParseOptions = {}): ElfBtf {
  const file = elf instanceof ElfFile ? elf : new ElfFile(elf);
  const btfSection = file.section(".BTF");
  if (!btfSection) return { btf: undefined, ext: undefined };
  const btf = new Btf(file.data(btfSection), options);
  const extSection = file.section(".BTF.ext");
  const ext = extSection ? parseBtfExt(file.data(extSection), btf) : undefined;
  return { btf, ext };
}
