// struct_ops variables: `SEC(".struct_ops") struct tcp_congestion_ops cc = { … }`
// (or ".struct_ops.link") declares a map of type STRUCT_OPS named after the
// variable. Its value is the struct as the object lays it out; the section's
// relocations say which function-pointer member points at which program.
// Matching that against the kernel's struct is the loader's job.
import type { Btf } from "../btf/btf.js";
import type { ElfRelocation, ElfSection } from "../elf/reader.js";
import { MapFlags, MapType } from "../map/types.js";
import { skipModsAndTypedefs } from "../core/btf-util.js";
import type { ElfObject } from "./elf-object.js";
import { ObjectError } from "./errors.js";
import type { ObjectMapSpec } from "./map-spec.js";
import { datasecLayout, type DatasecVar } from "./datasec.js";

/** Section of struct_ops maps registered by updating the map. */
export const STRUCT_OPS_SECTION = ".struct_ops";
/** Section of struct_ops maps registered through a BPF link (BPF_F_LINK, Linux 6.4). */
export const STRUCT_OPS_LINK_SECTION = ".struct_ops.link";

/** What a struct_ops map holds beyond its MapSpec. */
export interface StructOpsSpec {
  /** The struct's name in the object ("tcp_congestion_ops", or with a CO-RE flavor "tcp_congestion_ops___v1"). */
  readonly typeName: string;
  /** BTF id of the object's struct. */
  readonly typeId: number;
  /** Function-pointer members set to programs: member name → program name. */
  readonly programs: ReadonlyMap<string, string>;
}

/** True for the sections that hold struct_ops variables. */
export function isStructOpsSection(s: ElfSection): boolean {
  return s.name === STRUCT_OPS_SECTION || s.name === STRUCT_OPS_LINK_SECTION;
}

/** One STRUCT_OPS map per variable of the `.struct_ops` and `.struct_ops.link` sections. */
export function readStructOpsMaps(obj: ElfObject, btf: Btf | undefined): ObjectMapSpec[] {
  const out: ObjectMapSpec[] = [];
  for (const section of obj.elf.sections) {
    if (!isStructOpsSection(section) || section.size === 0) continue;
    const where = { section: section.name };
    if (!btf) throw new ObjectError(`${section.name} needs the object's BTF to describe its structs`, where);
    const layout = datasecLayout(obj, btf, section);
    if (!layout) throw new ObjectError(`${section.name} has no BTF DATASEC`, where);
    const data = obj.data(section);
    const programs = new Map(layout.vars.map((v) => [v.name, new Map<string, string>()]));
    for (const r of obj.relocationsFor(section)) {
      const v = layout.vars.find((x) => r.offset >= x.offset && r.offset < x.offset + x.size);
      if (!v) throw new ObjectError(`relocation at offset ${r.offset} lies outside every struct_ops variable`, where);
      const member = functionPointerAt(btf, v, r.offset - v.offset, section.name);
      programs.get(v.name)!.set(member, programName(obj, r, data, section.name));
    }
    for (const v of layout.vars) out.push(structOpsMap(btf, section, v, data, programs.get(v.name)!));
  }
  return out;
}

function structOpsMap(btf: Btf, section: ElfSection, v: DatasecVar, data: Uint8Array, programs: Map<string, string>): ObjectMapSpec {
  const typeId = skipModsAndTypedefs(btf, v.typeId);
  const t = btf.typeById(typeId);
  if (t.kind !== "STRUCT") {
    throw new ObjectError(`struct_ops variable '${v.name}' is a ${t.kind}, expected a struct`, { section: section.name, symbol: v.name });
  }
  if (v.offset + v.size > data.byteLength) {
    throw new ObjectError(`struct_ops variable '${v.name}' runs past the end of ${section.name}`, { section: section.name, symbol: v.name });
  }
  const structOps: StructOpsSpec = { typeName: t.name, typeId, programs };
  return {
    name: v.name, kind: "struct_ops", sectionName: section.name, sectionOffset: v.offset,
    // The real value size is the kernel's bpf_struct_ops_<name>; the loader sets it.
    type: MapType.StructOps, keySize: 4, valueSize: v.size, maxEntries: 1,
    flags: section.name === STRUCT_OPS_LINK_SECTION ? MapFlags.LINK : 0,
    initialValue: data.slice(v.offset, v.offset + v.size), structOps,
  };
}

/** The name of the function-pointer member at byte `offset` of the variable's struct. */
function functionPointerAt(btf: Btf, v: DatasecVar, offset: number, section: string): string {
  const t = btf.typeById(skipModsAndTypedefs(btf, v.typeId));
  const member = t.kind === "STRUCT" ? t.members.find((m) => m.bitOffset === offset * 8 && m.bitfieldSize === 0) : undefined;
  const where = { section, symbol: v.name };
  if (!member) throw new ObjectError(`struct_ops variable '${v.name}': a relocation at member offset ${offset} starts no member`, where);
  const ptr = btf.typeById(skipModsAndTypedefs(btf, member.type));
  const target = ptr.kind === "PTR" ? btf.typeById(skipModsAndTypedefs(btf, ptr.type)) : undefined;
  if (target?.kind !== "FUNC_PROTO") {
    throw new ObjectError(`struct_ops variable '${v.name}': member '${member.name}' points at a program but is not a function pointer`, where);
  }
  return member.name;
}

/** The function a relocation names: its own symbol, or (section symbol + implicit addend) the function at that offset. */
function programName(obj: ElfObject, r: ElfRelocation, data: Uint8Array, section: string): string {
  const sym = obj.symbolOf(r);
  if (sym.type === "func") return sym.name;
  if (sym.type === "section" && r.offset + 8 <= data.byteLength) {
    const addend = new DataView(data.buffer, data.byteOffset + r.offset, 8).getBigUint64(0, obj.byteOrder === "le");
    const fn = obj.symbols.find((s) => s.sectionIndex === sym.sectionIndex && s.type === "func" && s.value === addend);
    if (fn) return fn.name;
  }
  throw new ObjectError(`relocation at offset ${r.offset} refers to '${sym.name}', which is not a program`, { section, symbol: sym.name });
}
