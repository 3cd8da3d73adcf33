// Functions of a BPF object: every FUNC symbol of every code section, with
// its raw instructions and what each relocated instruction refers to. Main
// programs and subprograms are both functions here; linking (link.ts) turns
// a main program plus the subprograms it reaches into one instruction stream.
import type { ElfSection, ElfSymbol } from "../elf/reader.js";
import type { BtfExt, CoreRelo, LineInfo } from "../btf/ext.js";
import { LD_IMM64, PseudoCall } from "../asm/opcodes.js";
import { ElfObject } from "./elf-object.js";
import { ObjectError } from "./errors.js";
import type { ExternSpec } from "./externs.js";
import type { ObjectMapSpec } from "./map-spec.js";
import type { InstructionReference } from "./references.js";

const SLOT = 8;
const CALL = 0x85;

/** A func_info record re-based to an instruction slot. */
export interface SlotFuncInfo {
  /** Instruction slot the function starts at. */
  readonly slot: number;
  /** BTF id of the FUNC. */
  readonly typeId: number;
}
/** A line_info record re-based to an instruction slot. */
export type SlotLineInfo = Omit<LineInfo, "insnOffset"> & { readonly slot: number };
/** A CO-RE relocation record re-based to an instruction slot. */
export type SlotCoreRelo = Omit<CoreRelo, "insnOffset"> & { readonly slot: number };

/** Reference to another function, resolved during linking. */
export interface FunctionRef {
  readonly kind: "call" | "function";
  readonly target: FunctionCode;
}

/** One function (program or subprogram) of a code section. */
export interface FunctionCode {
  readonly name: string;
  readonly section: ElfSection;
  /** Section name without libbpf's '?' (no-autoload) prefix. */
  readonly sectionName: string;
  readonly startSlot: number;
  readonly slotCount: number;
  /** Raw instruction bytes (a private copy, in the object's byte order). */
  readonly bytes: Uint8Array;
  /** A main program (global function outside .text) rather than a subprogram. */
  readonly isProgram: boolean;
  readonly autoload: boolean;
  /** References by slot relative to the function's start. */
  readonly refs: Map<number, InstructionReference | FunctionRef>;
  readonly funcInfos: SlotFuncInfo[];
  readonly lineInfos: SlotLineInfo[];
  readonly coreRelos: SlotCoreRelo[];
}

/** What relocation resolution needs to know about the rest of the object. */
export interface ReferenceContext {
  readonly maps: readonly ObjectMapSpec[];
  readonly externs: readonly ExternSpec[];
  readonly ext: BtfExt | undefined;
}

/** Collects every function of every code section, sorted by section index then offset (libbpf's order). */
export function readFunctions(obj: ElfObject, ctx: ReferenceContext): FunctionCode[] {
  const out: FunctionCode[] = [];
  for (const section of obj.elf.sections) {
    if (!ElfObject.isCode(section)) continue;
    if (section.size % SLOT !== 0) throw new ObjectError(`code section size ${section.size} is not a multiple of ${SLOT}`, { section: section.name });
    const data = obj.data(section);
    const autoload = !section.name.startsWith("?");
    const sectionName = autoload ? section.name : section.name.slice(1);
    const syms = obj.symbols.filter((s) => s.sectionIndex === section.index && s.type === "func");
    if (syms.length === 0) throw new ObjectError("code section has no function symbols", { section: section.name });
    const fns: FunctionCode[] = [];
    for (const sym of syms) {
      const start = ElfObject.offsetOf(sym);
      const size = Number(sym.size);
      if (!sym.name) throw new ObjectError(`function at offset ${start} has no name`, { section: section.name });
      if (start % SLOT !== 0 || size % SLOT !== 0 || size === 0 || start + size > section.size) {
        throw new ObjectError(`function '${sym.name}' [${start}, +${size}) is not a whole number of instructions inside its section`, { section: section.name, symbol: sym.name });
      }
      fns.push({
        name: sym.name, section, sectionName, startSlot: start / SLOT, slotCount: size / SLOT, bytes: data.slice(start, start + size),
        isProgram: section.name !== ".text" && sym.binding !== "local", autoload,
        refs: new Map(), funcInfos: [], lineInfos: [], coreRelos: [],
      });
    }
    fns.sort((a, b) => a.startSlot - b.startSlot);
    for (let i = 1; i < fns.length; i++) {
      const prev = fns[i - 1] as FunctionCode;
      const cur = fns[i] as FunctionCode;
      if (cur.startSlot < prev.startSlot + prev.slotCount) {
        throw new ObjectError(`functions '${prev.name}' and '${cur.name}' overlap`, { section: section.name, symbol: cur.name });
      }
    }
    out.push(...fns);
  }
  const bySection = new Map<number, FunctionCode[]>();
  for (const f of out) {
    const list = bySection.get(f.section.index);
    if (list) list.push(f);
    else bySection.set(f.section.index, [f]);
  }
  for (const [index, fns] of bySection) {
    const section = obj.elf.sections[index] as ElfSection;
    resolveRelocations(obj, section, fns, bySection, ctx);
    resolveLocalCalls(obj, fns, bySection);
    attachExtInfo(section, fns, ctx.ext);
  }
  return out;
}

function functionAt(fns: readonly FunctionCode[] | undefined, slot: number): FunctionCode | undefined {
  return fns?.find((f) => slot >= f.startSlot && slot < f.startSlot + f.slotCount);
}

function functionStartingAt(fns: readonly FunctionCode[] | undefined, slot: number, what: string, where: { section: string; symbol?: string }): FunctionCode {
  const f = fns?.find((x) => x.startSlot === slot);
  if (!f) throw new ObjectError(`${what} targets instruction ${slot}, which starts no function`, where);
  return f;
}

function resolveRelocations(obj: ElfObject, section: ElfSection, fns: FunctionCode[], bySection: Map<number, FunctionCode[]>, ctx: ReferenceContext): void {
  const le = obj.byteOrder === "le";
  for (const r of obj.relocationsFor(section)) {
    const sym = obj.symbolOf(r);
    const where = { section: section.name, symbol: sym.name };
    if (r.offset % SLOT !== 0) throw new ObjectError(`relocation against '${sym.name}' at offset ${r.offset} is not on an instruction boundary`, where);
    const slot = r.offset / SLOT;
    const fn = functionAt(fns, slot);
    if (!fn) throw new ObjectError(`relocation against '${sym.name}' at offset ${r.offset} lies outside every function`, where);
    const rel = slot - fn.startSlot;
    const view = new DataView(fn.bytes.buffer, fn.bytes.byteOffset + rel * SLOT, SLOT);
    const opcode = view.getUint8(0);
    const src = le ? view.getUint8(1) >> 4 : view.getUint8(1) & 0xf;
    const imm = view.getInt32(4, le);
    const isCall = opcode === CALL;
    if (!isCall && opcode !== LD_IMM64) {
      throw new ObjectError(`relocation against '${sym.name}' applies to instruction ${slot} (opcode 0x${opcode.toString(16)}), which is neither a call nor ld_imm64`, where);
    }
    if (opcode === LD_IMM64 && rel + 1 >= fn.slotCount) throw new ObjectError(`ld_imm64 at instruction ${slot} is missing its second slot`, where);
    const site: RelocationSite = { function: fn.name, isProgram: fn.isProgram, slot, section: section.name };
    fn.refs.set(rel, referenceFor(obj, sym, isCall, src, imm, bySection, ctx, where, site));
  }
}

/** Where a relocated instruction is, for messages. */
interface RelocationSite {
  readonly function: string;
  readonly isProgram: boolean;
  /** Instruction index in its section (as llvm-objdump numbers it). */
  readonly slot: number;
  readonly section: string;
}

function referenceFor(
  obj: ElfObject, sym: ElfSymbol, isCall: boolean, src: number, imm: number,
  bySection: Map<number, FunctionCode[]>, ctx: ReferenceContext, where: { section: string; symbol: string }, site: RelocationSite,
): InstructionReference | FunctionRef {
  if (ElfObject.isExtern(sym)) {
    const ext = ctx.externs.find((e) => e.name === sym.name);
    if (!ext) throw new ObjectError(`relocation against unknown extern '${sym.name}'`, where);
    if (isCall) {
      if (ext.kind !== "kfunc") throw new ObjectError(`call of extern '${sym.name}', which is a ${ext.kind}, not a kernel function`, where);
      return { kind: "kfunc", extern: ext.name };
    }
    return { kind: ext.kind === "kconfig" ? "kconfig" : ext.kind === "kfunc" ? "kfunc" : "ksym", extern: ext.name };
  }
  if (sym.sectionIndex === 0 || sym.sectionIndex >= 0xff00) {
    throw new ObjectError(`relocation against '${sym.name || `symbol #${sym.index}`}', which is not defined in any section`, where);
  }
  const target = obj.section(sym.sectionIndex, `symbol '${sym.name}'`);
  const value = ElfObject.offsetOf(sym);
  if (isCall) {
    if (src !== PseudoCall.CALL) throw new ObjectError(`relocated call against '${sym.name}' is not a bpf-to-bpf call (src_reg ${src})`, where);
    if (!ElfObject.isCode(target)) throw new ObjectError(`call of '${sym.name}', which is in non-code section '${target.name}'`, where);
    if (value % SLOT !== 0) throw new ObjectError(`call of '${sym.name}' at unaligned offset ${value}`, where);
    const f = functionStartingAt(bySection.get(target.index), value / SLOT + imm + 1, `call of '${sym.name}'`, where);
    return { kind: "call", target: f };
  }
  if (ElfObject.isCode(target)) {
    if ((value + imm) % SLOT !== 0) throw new ObjectError(`address of '${sym.name}' at unaligned offset ${value + imm}`, where);
    const f = functionStartingAt(bySection.get(target.index), (value + imm) / SLOT, `address of '${sym.name}'`, where);
    return { kind: "function", target: f };
  }
  if (target.name === ".maps" || target.name === "maps") return { kind: "map", map: mapAt(ctx.maps, target.name, sym, value, imm, site, where) };
  const data = ctx.maps.find((m) => (m.kind === "data" || m.kind === "rodata" || m.kind === "bss") && m.sectionName === target.name);
  if (!data) {
    throw new ObjectError(`reference to '${sym.name || target.name}' in section '${target.name}', which holds neither code, maps nor global data`, where);
  }
  return { kind: "data", map: data.sectionName, offset: value + imm };
}

/**
 * The map a maps-section reference names: the one whose definition starts at
 * symbol value + imm. clang refers to a global map through its own symbol
 * (imm 0) but to a `static` one through the section symbol, with the map's
 * offset in imm — so the offset, not the symbol, identifies the map.
 */
function mapAt(
  maps: readonly ObjectMapSpec[], sectionName: string, sym: ElfSymbol, value: number, imm: number,
  site: RelocationSite, where: { section: string; symbol: string },
): string {
  const kind = sectionName === ".maps" ? "btf" : "legacy";
  const offset = value + imm;
  const map = maps.find((m) => m.kind === kind && m.sectionOffset === offset);
  if (map) return map.name;
  const via = sym.type === "section" ? `section symbol '${sectionName}'` : `symbol '${sym.name}' at ${value}`;
  throw new ObjectError(
    `${site.isProgram ? "program" : "subprogram"} '${site.function}', instruction ${site.slot} of section '${site.section}': ` +
      `refers to offset ${offset} of ${sectionName} (${via}, imm ${imm}), where no map definition starts`,
    { ...where, symbol: site.function },
  );
}

/** Calls to static functions of the same section carry no relocation: imm is relative to the call. */
function resolveLocalCalls(obj: ElfObject, fns: FunctionCode[], bySection: Map<number, FunctionCode[]>): void {
  const le = obj.byteOrder === "le";
  for (const fn of fns) {
    const view = new DataView(fn.bytes.buffer, fn.bytes.byteOffset, fn.bytes.byteLength);
    for (let i = 0; i < fn.slotCount; i++) {
      const opcode = view.getUint8(i * SLOT);
      if (opcode === LD_IMM64) {
        i++;
        continue;
      }
      if (opcode !== CALL || fn.refs.has(i)) continue;
      const src = le ? view.getUint8(i * SLOT + 1) >> 4 : view.getUint8(i * SLOT + 1) & 0xf;
      if (src !== PseudoCall.CALL) continue;
      const imm = view.getInt32(i * SLOT + 4, le);
      const where = { section: fn.section.name, symbol: fn.name };
      const target = functionStartingAt(bySection.get(fn.section.index), fn.startSlot + i + imm + 1, `call at instruction ${fn.startSlot + i} of '${fn.name}'`, where);
      fn.refs.set(i, { kind: "call", target });
    }
  }
}

/** Distributes the section's func_info, line_info and CO-RE records to the functions they fall in. */
function attachExtInfo(section: ElfSection, fns: FunctionCode[], ext: BtfExt | undefined): void {
  if (!ext) return;
  const place = (insnOffset: number, what: string): { fn: FunctionCode; slot: number } | undefined => {
    if (insnOffset % SLOT !== 0) throw new ObjectError(`.BTF.ext ${what} record at offset ${insnOffset} is not on an instruction boundary`, { section: section.name });
    const slot = insnOffset / SLOT;
    const fn = functionAt(fns, slot);
    return fn ? { fn, slot: slot - fn.startSlot } : undefined;
  };
  for (const fi of ext.funcInfos.get(section.name) ?? []) {
    const p = place(fi.insnOffset, "func_info");
    if (p) p.fn.funcInfos.push({ slot: p.slot, typeId: fi.typeId });
  }
  for (const li of ext.lineInfos.get(section.name) ?? []) {
    const p = place(li.insnOffset, "line_info");
    if (p) p.fn.lineInfos.push({ slot: p.slot, fileName: li.fileName, lineText: li.lineText, line: li.line, column: li.column });
  }
  for (const cr of ext.coreRelos.get(section.name) ?? []) {
    const p = place(cr.insnOffset, "CO-RE relocation");
    if (p) p.fn.coreRelos.push({ slot: p.slot, typeId: cr.typeId, accessString: cr.accessString, kind: cr.kind, kindName: cr.kindName });
  }
}
