// Externs: undefined global symbols the loader fills in. `.kconfig` externs
// (CONFIG_* values, LINUX_KERNEL_VERSION …) live in an internal .kconfig map;
// `.ksyms` externs are kernel variables (typed: by BTF id, untyped: by
// address) or kernel functions (kfuncs).
import type { Btf } from "../btf/btf.js";
import type { BtfType } from "../btf/types.js";
import { ElfObject } from "./elf-object.js";
import { ObjectError, asObjectError } from "./errors.js";

/** What kind of thing an extern stands for. */
export type ExternKind = "kconfig" | "ksym" | "kfunc";

/** One extern symbol of the object. */
export interface ExternSpec {
  readonly name: string;
  readonly kind: ExternKind;
  /** `__weak`: the loader may leave it zero when the kernel lacks it. */
  readonly weak: boolean;
  /** Id of the extern's VAR or FUNC in the object's BTF. */
  readonly btfId: number;
  /**
   * ksym: BTF id of the variable's type (modifiers skipped); undefined for an
   * untyped `extern const void x __ksym`, which resolves to an address.
   */
  readonly typeId: number | undefined;
  /** kconfig: byte offset of the value in the .kconfig map (libbpf's layout). */
  readonly kconfigOffset: number | undefined;
  /** kconfig: size of the value in bytes. */
  readonly size: number | undefined;
}

interface Draft {
  name: string;
  kind: ExternKind;
  weak: boolean;
  btfId: number;
  typeId: number | undefined;
  size: number;
  align: number;
}

function skipMods(btf: Btf, id: number): BtfType {
  let t = btf.typeById(id);
  for (let i = 0; i < 32 && (t.kind === "TYPEDEF" || t.kind === "CONST" || t.kind === "VOLATILE" || t.kind === "RESTRICT" || t.kind === "TYPE_TAG"); i++) {
    t = btf.typeById(t.type);
  }
  return t;
}

/** The DATASEC holding a type id (".kconfig" or ".ksyms"), if any. */
function sectionOf(btf: Btf, id: number): string | undefined {
  for (const sec of btf.types("DATASEC")) if (sec.vars.some((v) => v.type === id)) return sec.name;
  return undefined;
}

/** Reads the externs in libbpf's order: kconfig (by alignment desc, size, name), then ksyms by name. */
export function readExterns(obj: ElfObject, btf: Btf | undefined): ExternSpec[] {
  const syms = obj.symbols.filter((s) => ElfObject.isExtern(s));
  if (syms.length === 0) return [];
  if (!btf) throw new ObjectError(`extern '${syms[0]?.name}' needs BTF, but the object has none`, { symbol: syms[0]?.name });
  const drafts: Draft[] = syms.map((sym) => asObjectError(`extern '${sym.name}'`, () => draft(btf, sym.name, sym.binding === "weak"), { symbol: sym.name }));
  const rank = (d: Draft): number => (d.kind === "kconfig" ? 0 : 1);
  drafts.sort((a, b) => {
    if (rank(a) !== rank(b)) return rank(a) - rank(b);
    if (a.kind === "kconfig") {
      if (a.align !== b.align) return b.align - a.align;
      if (a.size !== b.size) return a.size - b.size;
    }
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  let off = 0;
  return drafts.map((d) => {
    let kconfigOffset: number | undefined;
    if (d.kind === "kconfig") {
      kconfigOffset = Math.ceil(off / d.align) * d.align;
      off = kconfigOffset + d.size;
    }
    return {
      name: d.name, kind: d.kind, weak: d.weak, btfId: d.btfId, typeId: d.typeId, kconfigOffset,
      size: d.kind === "kconfig" ? d.size : undefined,
    };
  });
}

function draft(btf: Btf, name: string, weak: boolean): Draft {
  const candidates = btf.typesByName(name).filter((t) => (t.kind === "VAR" || t.kind === "FUNC") && t.linkage === "extern");
  const t = candidates[0];
  if (!t || (t.kind !== "VAR" && t.kind !== "FUNC")) throw new ObjectError(`extern '${name}' has no extern VAR or FUNC in BTF`, { symbol: name });
  const section = sectionOf(btf, t.id);
  if (t.kind === "FUNC") {
    if (section === undefined) {
      throw new ObjectError(
        `function '${name}' is declared but not defined in this object: define it (or link the object that does), ` +
          "or, if it is a kernel function (kfunc), declare it `extern … __ksym`",
        { symbol: name },
      );
    }
    if (section !== ".ksyms") throw new ObjectError(`extern function '${name}' is in section '${section}', expected .ksyms`, { symbol: name });
    return { name, kind: "kfunc", weak, btfId: t.id, typeId: t.type, size: 0, align: 1 };
  }
  if (section === ".kconfig") {
    const size = btf.sizeOf(t.type);
    const align = btf.alignOf(t.type);
    return { name, kind: "kconfig", weak, btfId: t.id, typeId: t.type, size, align: Math.max(1, align) };
  }
  if (section === ".ksyms") {
    const target = skipMods(btf, t.type);
    return { name, kind: "ksym", weak, btfId: t.id, typeId: target.kind === "VOID" ? undefined : target.id, size: 0, align: 1 };
  }
  if (section === undefined) {
    throw new ObjectError(
      `variable '${name}' is declared extern but not defined in this object: define it (or link the object that does), ` +
        "or mark it __kconfig (a CONFIG_* value) or __ksym (a kernel variable)",
      { symbol: name },
    );
  }
  throw new ObjectError(`extern '${name}' is in section '${section}'; only .kconfig and .ksyms externs are supported`, { symbol: name });
}

/** Size of the .kconfig map: the end of the last kconfig extern. */
export function kconfigSize(externs: readonly ExternSpec[]): number {
  let end = 0;
  for (const e of externs) if (e.kind === "kconfig") end = Math.max(end, (e.kconfigOffset ?? 0) + (e.size ?? 0));
  return end;
}
