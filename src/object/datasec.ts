// DATASEC layout as libbpf sees it after its BTF fix-up: clang leaves a
// DATASEC's size and its variables' offsets at zero in object files, and
// libbpf fills them in from the ELF section size and symbol values. The Btf
// model is read-only, so this adapter computes the fixed-up layout instead.
import type { Btf } from "../btf/btf.js";
import type { ElfSection } from "../elf/reader.js";
import type { ElfObject } from "./elf-object.js";
import { ObjectError } from "./errors.js";

/** One variable of a DATASEC with its real place in the section. */
export interface DatasecVar {
  /** BTF id of the VAR. */
  readonly varId: number;
  /** BTF id of the variable's type. */
  readonly typeId: number;
  readonly name: string;
  /** Static linkage, or a global with hidden/internal ELF visibility (libbpf treats those as static). */
  readonly isStatic: boolean;
  readonly offset: number;
  readonly size: number;
}

/** A DATASEC with fixed-up offsets, variables sorted by offset (libbpf's order). */
export interface DatasecLayout {
  readonly id: number;
  readonly vars: readonly DatasecVar[];
}

/** The fixed-up layout of the DATASEC describing `section`, or undefined when BTF has none. */
export function datasecLayout(obj: ElfObject, btf: Btf | undefined, section: ElfSection): DatasecLayout | undefined {
  if (!btf) return undefined;
  const sec = btf.typesByName(section.name, "DATASEC")[0];
  if (!sec) return undefined;
  const fixup = sec.size === 0;
  const vars: DatasecVar[] = [];
  for (const vi of sec.vars) {
    const v = btf.typeById(vi.type);
    if (v.kind !== "VAR") throw new ObjectError(`DATASEC ${section.name} has a ${v.kind} entry, expected VAR`, { section: section.name });
    const sym = obj.symbols.find((s) => s.sectionIndex === section.index && s.name === v.name && (s.type === "object" || s.type === "notype"));
    if (!sym && v.linkage !== "static") {
      throw new ObjectError(`variable '${v.name}' of ${section.name} has no ELF symbol`, { section: section.name, symbol: v.name });
    }
    const offset = fixup && sym ? Number(sym.value) : vi.offset;
    const hidden = sym !== undefined && (sym.visibility === "hidden" || sym.visibility === "internal");
    vars.push({ varId: v.id, typeId: v.type, name: v.name, isStatic: v.linkage === "static" || hidden, offset, size: vi.size });
  }
  vars.sort((a, b) => a.offset - b.offset);
  return { id: sec.id, vars };
}
