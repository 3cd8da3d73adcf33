// BTF-defined maps: each variable of the `.maps` DATASEC is an anonymous
// struct whose members encode the definition the way libbpf's bpf_helpers.h
// macros write it — `__uint(name, N)` is `int (*name)[N]`, `__type(name, T)`
// is `T *name`, `__array(values, struct {...})` is a zero-length array of
// pointers to the inner definition. `static` maps are read too (libbpf
// refuses them: "unsupported map linkage static"); programs reach them through
// the section symbol plus an offset, which functions.ts resolves.
import type { Btf } from "../btf/btf.js";
import type { BtfMember, BtfStruct, BtfType } from "../btf/types.js";
import { MapType, isMapInMapType } from "../map/types.js";
import type { ElfSection } from "../elf/reader.js";
import { ObjectError, asObjectError } from "./errors.js";
import type { ObjectMapSpec } from "./map-spec.js";
import { ElfObject as Elf, type ElfObject } from "./elf-object.js";
import { datasecLayout } from "./datasec.js";

/** libbpf's pinning values. */
const PIN_NONE = 0;
const PIN_BY_NAME = 1;
/** Pointers in BPF objects are 64-bit. */
const BPF_PTR_SIZE = 8;

/** A map definition decoded from BTF, before it becomes an ObjectMapSpec. */
interface MapDef {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  numaNode: number | undefined;
  mapExtra: bigint | undefined;
  keyTypeId: number | undefined;
  valueTypeId: number | undefined;
  pinning: number;
  inner: MapDef | undefined;
  hasValues: boolean;
}

function skipModsAndTypedefs(btf: Btf, id: number): BtfType {
  let t = btf.typeById(id);
  for (let depth = 0; depth < 32; depth++) {
    if (t.kind === "TYPEDEF" || t.kind === "CONST" || t.kind === "VOLATILE" || t.kind === "RESTRICT" || t.kind === "TYPE_TAG") {
      t = btf.typeById(t.type);
    } else {
      return t;
    }
  }
  throw new ObjectError(`type [${id}]: too many typedefs/qualifiers in a row`);
}

/** `int (*name)[N]` → N. */
function fieldInt(btf: Btf, mapName: string, m: BtfMember): number {
  const ptr = skipModsAndTypedefs(btf, m.type);
  if (ptr.kind !== "PTR") throw new ObjectError(`map '${mapName}': attribute '${m.name}' should be a pointer (__uint), got ${ptr.kind}`, { symbol: mapName, section: ".maps" });
  const arr = btf.typeById(ptr.type);
  if (arr.kind !== "ARRAY") throw new ObjectError(`map '${mapName}': attribute '${m.name}' should point to an array (__uint), got ${arr.kind}`, { symbol: mapName, section: ".maps" });
  return arr.nelems;
}

/**
 * `__ulong(name, V)` → V: libbpf's bpf_helpers.h writes 64-bit attributes as a
 * member whose type is an anonymous enum (ENUM, or ENUM64 when V needs more
 * than 32 bits) with the single enumerator V. `__uint(name, N)` is accepted too,
 * as libbpf does for `map_extra`.
 */
function fieldLong(btf: Btf, mapName: string, m: BtfMember): bigint {
  const t = skipModsAndTypedefs(btf, m.type);
  if (t.kind === "PTR") return BigInt(fieldInt(btf, mapName, m));
  const where = { symbol: mapName, section: ".maps" };
  if (t.kind !== "ENUM" && t.kind !== "ENUM64") {
    throw new ObjectError(`map '${mapName}': attribute '${m.name}' should be __uint (a pointer to an array) or __ulong (an enum), got ${t.kind}`, where);
  }
  const only = t.values.length === 1 ? t.values[0] : undefined;
  if (!only) throw new ObjectError(`map '${mapName}': attribute '${m.name}' is an enum of ${t.values.length} values, expected __ulong's single one`, where);
  // Read as the u64 the kernel gets (a signed enum's negative value wraps, as in C).
  return BigInt.asUintN(64, BigInt(only.value));
}

/** `T *name` → (type id of T, its size). */
function fieldType(btf: Btf, mapName: string, m: BtfMember): { id: number; size: number } {
  const ptr = btf.typeById(m.type);
  if (ptr.kind !== "PTR") throw new ObjectError(`map '${mapName}': ${m.name} spec is not a pointer (__type), got ${ptr.kind}`, { symbol: mapName, section: ".maps" });
  const size = asObjectError(`map '${mapName}': size of ${m.name} type`, () => btf.sizeOf(ptr.type), { symbol: mapName });
  return { id: ptr.type, size };
}

function parseDef(btf: Btf, mapName: string, def: BtfStruct, isInner: boolean): MapDef {
  const d: MapDef = {
    type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, numaNode: undefined, mapExtra: undefined,
    keyTypeId: undefined, valueTypeId: undefined, pinning: PIN_NONE, inner: undefined, hasValues: false,
  };
  const where = { symbol: mapName, section: ".maps" };
  const setSize = (field: "keySize" | "valueSize", size: number, what: string): void => {
    if (d[field] !== 0 && d[field] !== size) throw new ObjectError(`map '${mapName}': conflicting ${what} size ${d[field]} != ${size}`, where);
    d[field] = size;
  };
  def.members.forEach((m, i) => {
    switch (m.name) {
      case "type": d.type = fieldInt(btf, mapName, m); break;
      case "max_entries": d.maxEntries = fieldInt(btf, mapName, m); break;
      case "map_flags": d.flags = fieldInt(btf, mapName, m); break;
      case "numa_node": d.numaNode = fieldInt(btf, mapName, m); break;
      case "key_size": setSize("keySize", fieldInt(btf, mapName, m), "key"); break;
      case "value_size": setSize("valueSize", fieldInt(btf, mapName, m), "value"); break;
      case "key": {
        const t = fieldType(btf, mapName, m);
        setSize("keySize", t.size, "key");
        d.keyTypeId = t.id;
        break;
      }
      case "value": {
        const t = fieldType(btf, mapName, m);
        setSize("valueSize", t.size, "value");
        d.valueTypeId = t.id;
        break;
      }
      case "values": {
        if (isInner) throw new ObjectError(`map '${mapName}': multi-level inner maps are not supported`, where);
        if (i !== def.members.length - 1) throw new ObjectError(`map '${mapName}': 'values' must be the last member`, where);
        const progArray = d.type === MapType.ProgArray;
        if (!isMapInMapType(d.type) && !progArray) throw new ObjectError(`map '${mapName}': 'values' is only valid for map-in-map and prog-array maps`, where);
        setSize("valueSize", 4, "value");
        const arr = btf.typeById(m.type);
        if (arr.kind !== "ARRAY" || arr.nelems !== 0) throw new ObjectError(`map '${mapName}': 'values' is not a zero-sized array`, where);
        const ptr = skipModsAndTypedefs(btf, arr.type);
        if (ptr.kind !== "PTR") throw new ObjectError(`map '${mapName}': 'values' elements are ${ptr.kind}, expected pointers`, where);
        const target = skipModsAndTypedefs(btf, ptr.type);
        d.hasValues = true;
        if (progArray) {
          if (target.kind !== "FUNC_PROTO") throw new ObjectError(`map '${mapName}': prog-array 'values' must point to functions, got ${target.kind}`, where);
          break;
        }
        if (target.kind !== "STRUCT") throw new ObjectError(`map '${mapName}': inner map definition is ${target.kind}, expected a struct`, where);
        d.inner = parseDef(btf, `${mapName}.inner`, target, true);
        break;
      }
      case "pinning": {
        if (isInner) throw new ObjectError(`map '${mapName}': an inner map definition cannot be pinned`, where);
        const v = fieldInt(btf, mapName, m);
        if (v !== PIN_NONE && v !== PIN_BY_NAME) throw new ObjectError(`map '${mapName}': invalid pinning value ${v}`, where);
        d.pinning = v;
        break;
      }
      case "map_extra": d.mapExtra = fieldLong(btf, mapName, m); break;
      default:
        // libbpf ignores unknown members unless strict; so do we.
        break;
    }
  });
  if (d.type === 0) throw new ObjectError(`map '${mapName}': map type is not specified`, where);
  return d;
}

function toSpec(d: MapDef, name: string, sectionName: string, sectionOffset: number): ObjectMapSpec {
  const spec: ObjectMapSpec = {
    name, kind: "btf", sectionName, sectionOffset,
    type: d.type, keySize: d.keySize, valueSize: d.valueSize, maxEntries: d.maxEntries, flags: d.flags,
  };
  if (d.numaNode !== undefined) spec.numaNode = d.numaNode;
  if (d.mapExtra !== undefined) spec.mapExtra = d.mapExtra;
  if (d.keyTypeId !== undefined) spec.keyTypeId = d.keyTypeId;
  if (d.valueTypeId !== undefined) spec.valueTypeId = d.valueTypeId;
  if (d.pinning === PIN_BY_NAME) spec.pinning = "by-name";
  if (d.inner) spec.innerMap = toSpec(d.inner, `${name}.inner`, sectionName, sectionOffset);
  if (d.hasValues) spec.initialSlots = [];
  return spec;
}

/** A BTF-defined map with where its variable lies in `.maps` (for static initialisation). */
interface PlacedMap {
  readonly spec: ObjectMapSpec;
  readonly offset: number;
  readonly size: number;
  readonly def: BtfStruct;
}

/** Reads the maps of the `.maps` section, in DATASEC order (libbpf's order). */
export function readBtfMaps(obj: ElfObject, btf: Btf | undefined): ObjectMapSpec[] {
  const section = obj.sectionByName(".maps");
  if (!section) return [];
  if (!btf) throw new ObjectError("the object has a .maps section but no BTF to describe it", { section: ".maps" });
  const placed = asObjectError("cannot decode .maps", () => decodeMaps(obj, btf, section), { section: ".maps" });
  applyStaticInit(obj, section, placed);
  return placed.map((p) => p.spec);
}

function decodeMaps(obj: ElfObject, btf: Btf, section: ElfSection): PlacedMap[] {
  const layout = datasecLayout(obj, btf, section);
  if (!layout) throw new ObjectError("the object has a .maps section but its BTF has no .maps DATASEC", { section: ".maps" });
  const out: PlacedMap[] = [];
  for (const vi of layout.vars) {
    const name = vi.name;
    const v = btf.typeOfKind(vi.varId, "VAR");
    if (!name) throw new ObjectError(`.maps entry at offset ${vi.offset} has no name`, { section: ".maps" });
    if (vi.offset + vi.size > section.size) throw new ObjectError(`map '${name}': BTF places it past the end of .maps`, { section: ".maps", symbol: name });
    if (v.linkage === "extern") throw new ObjectError(`map '${name}': extern map definitions are not supported`, { section: ".maps", symbol: name });
    const def = skipModsAndTypedefs(btf, vi.typeId);
    if (def.kind !== "STRUCT") throw new ObjectError(`map '${name}': definition is a ${def.kind}, expected a struct`, { section: ".maps", symbol: name });
    if (def.size > vi.size) throw new ObjectError(`map '${name}': definition is larger than its variable`, { section: ".maps", symbol: name });
    out.push({ spec: toSpec(parseDef(btf, name, def, false), name, ".maps", vi.offset), offset: vi.offset, size: vi.size, def });
  }
  return out;
}

/** `.rel.maps`: pointers in `values` arrays → program names (prog arrays) or map names (map-in-map). */
function applyStaticInit(obj: ElfObject, section: ElfSection, maps: readonly PlacedMap[]): void {
  const data = obj.data(section);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (const r of obj.relocationsFor(section)) {
    const sym = obj.symbolOf(r);
    const where = { section: ".maps", symbol: sym.name };
    const owner = maps.find((m) => m.offset <= r.offset && r.offset + BPF_PTR_SIZE <= m.offset + m.size);
    if (!owner) throw new ObjectError(`.maps relocation against '${sym.name}' at offset ${r.offset} lies in no map`, where);
    const spec = owner.spec;
    const last = owner.def.members[owner.def.members.length - 1];
    if (!last || last.name !== "values" || !spec.initialSlots) {
      throw new ObjectError(`map '${spec.name}': relocation against '${sym.name}' but the map has no 'values' member`, where);
    }
    const valuesAt = Math.floor(last.bitOffset / 8);
    const rel = r.offset - owner.offset - valuesAt;
    if (rel < 0 || rel % BPF_PTR_SIZE !== 0) throw new ObjectError(`map '${spec.name}': relocation at offset ${r.offset} is not a 'values' slot`, where);
    let value = sym.name;
    if (isMapInMapType(spec.type)) {
      if (sym.sectionIndex !== section.index) throw new ObjectError(`map '${spec.name}': slot value '${sym.name}' is not a BTF-defined map`, where);
      // A static inner map is named by the section symbol plus the addend (in the slot's bytes, for REL): its offset.
      const implicit = r.offset + BPF_PTR_SIZE <= data.byteLength ? view.getBigUint64(r.offset, obj.byteOrder === "le") : 0n;
      const at = BigInt(Elf.offsetOf(sym)) + r.addend + implicit;
      const inner = maps.find((m) => BigInt(m.offset) === at);
      if (!inner) throw new ObjectError(`map '${spec.name}': slot ${rel / BPF_PTR_SIZE} points at offset ${at} of .maps, where no map starts`, where);
      value = inner.spec.name;
    } else if (sym.type !== "func") {
      throw new ObjectError(`prog array '${spec.name}': slot value '${sym.name}' is not a program`, where);
    }
    spec.initialSlots[rel / BPF_PTR_SIZE] = value;
  }
  // Dense arrays with explicit holes, so `length` tells the highest initialised slot.
  for (const m of maps) {
    const slots = m.spec.initialSlots;
    if (slots) for (let i = 0; i < slots.length; i++) if (!(i in slots)) slots[i] = undefined;
  }
}
