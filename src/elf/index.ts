// ELF64 reader (pure parsing; runs anywhere).
export { ElfError } from "./errors.js";
export { ElfFile, parseElfHeader, parseSectionTable, nameSections } from "./reader.js";
export type { ElfHeader, ElfSection, ElfSymbol, ElfRelocation, ElfNote } from "./reader.js";
export { EM_BPF, SHT, SHF, SHN } from "./constants.js";
export type { SymbolBinding, SymbolType, SymbolVisibility } from "./constants.js";
export { PT, PF, parseProgramHeaders, loadSegmentAt, type ElfSegment } from "./segments.js";
export { readElfSections, type ElfFileSections } from "./file.js";
