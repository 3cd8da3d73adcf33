// ELF constants used by the reader (values from the System V gABI / elf.h).

/** e_machine of eBPF objects. */
export const EM_BPF = 247;

/** Section header types. */
export const SHT = {
  NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, HASH: 5, DYNAMIC: 6, NOTE: 7, NOBITS: 8, REL: 9,
  DYNSYM: 11, SYMTAB_SHNDX: 18,
} as const;

/** Section header flags. */
export const SHF = { WRITE: 0x1, ALLOC: 0x2, EXECINSTR: 0x4, MERGE: 0x10, STRINGS: 0x20, INFO_LINK: 0x40 } as const;

/** Special section indexes. */
export const SHN = { UNDEF: 0, LORESERVE: 0xff00, ABS: 0xfff1, COMMON: 0xfff2, XINDEX: 0xffff } as const;

/** Symbol binding (st_info >> 4). */
export type SymbolBinding = "local" | "global" | "weak" | number;
/** Symbol type (st_info & 0xf). */
export type SymbolType = "notype" | "object" | "func" | "section" | "file" | "common" | "tls" | number;
/** Symbol visibility (st_other & 3). */
export type SymbolVisibility = "default" | "internal" | "hidden" | "protected";

const bindings: readonly SymbolBinding[] = ["local", "global", "weak"];
const types: readonly SymbolType[] = ["notype", "object", "func", "section", "file", "common", "tls"];
const visibilities: readonly SymbolVisibility[] = ["default", "internal", "hidden", "protected"];

/** Names a binding; unknown (OS/processor specific) values stay numbers. */
export function symbolBinding(v: number): SymbolBinding {
  return bindings[v] ?? v;
}
/** Names a symbol type; unknown values stay numbers. */
export function symbolType(v: number): SymbolType {
  return types[v] ?? v;
}
/** Names a visibility. */
export function symbolVisibility(v: number): SymbolVisibility {
  return visibilities[v & 3] as SymbolVisibility;
}
