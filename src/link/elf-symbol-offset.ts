// Function symbol → file offset in an executable or shared library, the way
// uprobes address code: st_value minus the vaddr of the PT_LOAD segment that
// holds it, plus that segment's file offset.
import { ElfFile, loadSegmentAt, SHT, type ElfSegment, type ElfSymbol } from "../elf/index.js";
import { InvalidArgumentError, NotFoundError } from "../sys/errors.js";
import { globMatch } from "./glob.js";

const STT_GNU_IFUNC = 10;
/** SHT_GNU_versym: one u16 per .dynsym entry; bit 15 marks a hidden (non-default) version. */
const SHT_GNU_VERSYM = 0x6fff_ffff;
const VERSYM_HIDDEN = 0x8000;

/** A resolved symbol: its table entry and the file offset of its first byte. */
export interface SymbolOffset {
  readonly symbol: ElfSymbol;
  readonly table: ".symtab" | ".dynsym";
  readonly offset: number;
}

/** `malloc` matches `malloc`, and `malloc@@GLIBC_2.2.5` / `malloc@GLIBC_2.2.5` when the query names no version. */
function nameMatches(symbolName: string, wanted: string): boolean {
  if (symbolName === wanted) return true;
  return !wanted.includes("@") && symbolName.startsWith(wanted) && symbolName[wanted.length] === "@";
}

/** Bit 15 of each .dynsym entry's version index, or undefined without .gnu.version. */
function hiddenVersions(elf: ElfFile, dynsym: number): ((index: number) => boolean) | undefined {
  const versym = elf.sections.find((s) => s.type === SHT_GNU_VERSYM && s.link === dynsym);
  if (!versym) return undefined;
  const data = elf.data(versym);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return (i) => i * 2 + 2 <= data.byteLength && (view.getUint16(i * 2, elf.header.littleEndian) & VERSYM_HIDDEN) !== 0;
}

/**
 * Defined functions named `wanted` in one symbol table, best first: global
 * before weak before local; in .dynsym, default versions before hidden ones.
 */
function candidates(elf: ElfFile, tableName: ".symtab" | ".dynsym", wanted: string): ElfSymbol[] {
  const table = elf.sections.find((s) => s.name === tableName && (s.type === SHT.SYMTAB || s.type === SHT.DYNSYM));
  if (!table) return [];
  const matches = elf.symbols(table).filter((s) => s.sectionIndex !== 0 && nameMatches(s.name, wanted));
  if (matches.length === 0) return [];
  const hidden = tableName === ".dynsym" ? hiddenVersions(elf, table.index) : undefined;
  const visible = hidden ? matches.filter((s) => !hidden(s.index)) : matches;
  const pool = visible.length > 0 ? visible : matches;
  for (const binding of ["global", "weak", "local"] as const) {
    const ofBinding = pool.filter((s) => s.binding === binding);
    if (ofBinding.length > 0) return ofBinding;
  }
  return pool;
}

/**
 * The file offset of function `wanted` in `elf` (read from `binary`, named in
 * errors). Looks in .symtab, then .dynsym. Global symbols win over weak ones,
 * weak over local. STT_GNU_IFUNC symbols are refused: their address is the
 * resolver that picks an implementation at load time, so a probe there would
 * fire once per process, not per call — probe the implementation instead.
 * Errors: NotFoundError (no such symbol, or not in a loadable segment),
 * InvalidArgumentError (not a function, or several functions at different addresses).
 */
export function symbolFileOffset(elf: ElfFile, binary: string, wanted: string): SymbolOffset {
  for (const table of [".symtab", ".dynsym"] as const) {
    const found = candidates(elf, table, wanted);
    if (found.length === 0) continue;
    const funcs = found.filter((s) => s.type === "func");
    if (funcs.length === 0) {
      const sym = found[0]!;
      if (sym.type === STT_GNU_IFUNC) {
        throw new InvalidArgumentError(
          `${wanted} in ${binary} is an indirect function (STT_GNU_IFUNC): its address is the resolver the dynamic linker runs once, ` +
            "not the code that runs per call; probe the implementation it selects (or give its file offset)",
          "symbol",
        );
      }
      throw new InvalidArgumentError(`${wanted} in ${binary} is not a function (symbol type ${String(sym.type)})`, "symbol");
    }
    const addresses = [...new Set(funcs.map((s) => s.value))];
    if (addresses.length > 1) {
      const list = funcs.map((s) => `${s.name} (${s.binding}) at 0x${s.value.toString(16)}`).join(", ");
      throw new InvalidArgumentError(`${wanted} is ambiguous in ${binary} (${table}): ${list}; give a file offset instead`, "symbol");
    }
    const symbol = funcs[0]!;
    return { symbol, table, offset: vaddrFileOffset(elf.segments(), symbol.value, `${wanted} in ${binary}`) };
  }
  throw new NotFoundError(`no function ${wanted} in ${binary} (looked in .symtab and .dynsym)`);
}

/**
 * The file offset of virtual address `vaddr` (of `what`, named in the
 * NotFoundError when no PT_LOAD segment maps it).
 */
export function vaddrFileOffset(segments: readonly ElfSegment[], vaddr: bigint, what: string): number {
  const segment = loadSegmentAt(segments, vaddr);
  if (!segment) throw new NotFoundError(`${what} is at 0x${vaddr.toString(16)}, which no PT_LOAD segment maps`);
  return Number(vaddr - segment.vaddr) + segment.offset;
}

/**
 * File offsets of every defined function whose name matches the glob
 * `pattern`, as libbpf's uprobe.multi resolves a pattern: .symtab first, and
 * .dynsym only when .symtab has no match (so no function is counted twice).
 * Names are compared without their version suffix ("malloc@@GLIBC_2.2.5"
 * matches "malloc*" and "malloc"). Offsets are unique and ascending.
 * NotFoundError when nothing matches.
 */
export function functionOffsetsMatching(elf: ElfFile, binary: string, pattern: string): SymbolOffset[] {
  const segments = elf.segments();
  for (const tableName of [".symtab", ".dynsym"] as const) {
    const table = elf.sections.find((s) => s.name === tableName && (s.type === SHT.SYMTAB || s.type === SHT.DYNSYM));
    if (!table) continue;
    const byOffset = new Map<number, SymbolOffset>();
    for (const symbol of elf.symbols(table)) {
      if (symbol.sectionIndex === 0 || symbol.type !== "func" || symbol.value === 0n) continue;
      const bare = symbol.name.split("@")[0]!;
      if (!globMatch(bare, pattern) && !globMatch(symbol.name, pattern)) continue;
      const offset = vaddrFileOffset(segments, symbol.value, `${symbol.name} in ${binary}`);
      if (!byOffset.has(offset)) byOffset.set(offset, { symbol, table: tableName, offset });
    }
    if (byOffset.size > 0) return [...byOffset.values()].sort((a, b) => a.offset - b.offset);
  }
  throw new NotFoundError(`no function matching '${pattern}' in ${binary} (looked in .symtab and .dynsym)`);
}
