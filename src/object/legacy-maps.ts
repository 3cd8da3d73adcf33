// Legacy map definitions: one struct per symbol in the `maps` section.
// libbpf's layout is `struct bpf_map_def` (type, key_size, value_size,
// max_entries, map_flags: 20 bytes); iproute2's `struct bpf_elf_map` (tc
// objects) adds id, pinning, inner_id and inner_idx (36 bytes). libbpf 1.0
// dropped legacy maps; old and tc objects still carry them, so tsbpf reads
// them. Each definition is as long as its symbol says (st_size): linker output
// mixes sizes, so dividing the section evenly (libbpf 0.x, iproute2) misreads it.
import type { ElfSymbol } from "../elf/reader.js";
import type { ElfObject } from "./elf-object.js";
import { ElfObject as Elf } from "./elf-object.js";
import { ObjectError } from "./errors.js";
import { Iproute2Pinning, type Iproute2MapFields, type ObjectMapSpec } from "./map-spec.js";
import { isMapInMapType } from "../map/types.js";

const FIELD = 4;
/** sizeof(struct bpf_map_def), libbpf's layout: bytes past it must be zero (as libbpf required). */
const LIBBPF_DEF_SIZE = 20;
/** sizeof(struct bpf_elf_map), iproute2's layout. */
const IPROUTE2_DEF_SIZE = 36;
/** iproute2's inner_idx for "not stored in any outer map". */
const NO_SLOT = 0xffff_ffff;
/** Slots are kept in a dense array: a bound keeps a malformed inner_idx from allocating gigabytes. */
const MAX_STATIC_SLOT = 1 << 16;
const where = (symbol: string): { section: string; symbol: string } => ({ section: "maps", symbol });

/** One definition's place in the section. */
interface Extent {
  readonly sym: ElfSymbol;
  readonly start: number;
  readonly size: number;
}

/** Reads the legacy `maps` section, one map per symbol, in offset order. */
export function readLegacyMaps(obj: ElfObject): ObjectMapSpec[] {
  const section = obj.sectionByName("maps");
  if (!section || section.size === 0) return [];
  const symbols = obj.symbols
    .filter((s) => s.sectionIndex === section.index && (s.type === "object" || s.type === "notype") && s.name !== "")
    .sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  if (symbols.length === 0) throw new ObjectError("the legacy maps section has no map symbols", { section: "maps" });
  const bytes = obj.data(section);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = obj.byteOrder === "le";
  const extents = symbols.map((sym, i): Extent => {
    const start = Elf.offsetOf(sym);
    const next = symbols[i + 1];
    // A symbol without a size (hand-written assembly) extends to the next one.
    const size = sym.size > 0n ? Number(sym.size) : (next ? Elf.offsetOf(next) : bytes.byteLength) - start;
    return { sym, start, size };
  });
  extents.forEach((e, i) => {
    const name = e.sym.name;
    if (e.start + e.size > bytes.byteLength) {
      throw new ObjectError(`legacy map '${name}' [${e.start}, +${e.size}) lies past the end of the ${bytes.byteLength}-byte maps section`, where(name));
    }
    const next = extents[i + 1];
    if (next && next.start < e.start + e.size) throw new ObjectError(`legacy maps '${name}' and '${next.sym.name}' overlap`, where(name));
    if (e.size < FIELD) throw new ObjectError(`legacy map '${name}' is ${e.size} bytes long, too short to hold a map type`, where(name));
  });
  const specs = extents.map((e) => readDefinition(view, le, e));
  wireIproute2MapInMaps(specs);
  return specs;
}

function readDefinition(view: DataView, le: boolean, { sym, start, size }: Extent): ObjectMapSpec {
  const name = sym.name;
  // libbpf: fields a shorter definition lacks are zero.
  const field = (i: number): number => (i * FIELD + FIELD <= size ? view.getUint32(start + i * FIELD, le) : 0);
  const spec: ObjectMapSpec = {
    name, kind: "legacy", sectionName: "maps", sectionOffset: start,
    type: field(0), keySize: field(1), valueSize: field(2), maxEntries: field(3), flags: field(4),
  };
  if (spec.type === 0) throw new ObjectError(`legacy map '${name}' has no type`, where(name));
  if (size === IPROUTE2_DEF_SIZE) return withIproute2Fields(spec, { id: field(5), pinning: field(6), innerId: field(7), innerIdx: field(8) });
  for (let at = LIBBPF_DEF_SIZE; at < size; at++) {
    if (view.getUint8(start + at) !== 0) {
      throw new ObjectError(
        `legacy map '${name}': byte ${at} of its ${size}-byte definition (offset ${start + at} of section 'maps') is non-zero, ` +
          `but no known layout has a field there (libbpf's struct bpf_map_def is ${LIBBPF_DEF_SIZE} bytes, iproute2's struct bpf_elf_map ${IPROUTE2_DEF_SIZE})`,
        where(name),
      );
    }
  }
  return spec;
}

function withIproute2Fields(spec: ObjectMapSpec, fields: Iproute2MapFields): ObjectMapSpec {
  switch (fields.pinning) {
    case Iproute2Pinning.None: case Iproute2Pinning.ObjectNamespace: break;
    case Iproute2Pinning.GlobalNamespace: spec.pinning = "by-name"; break;
    default:
      throw new ObjectError(`legacy map '${spec.name}': unknown iproute2 pinning value ${fields.pinning} (PIN_NONE 0, PIN_OBJECT_NS 1, PIN_GLOBAL_NS 2)`, where(spec.name));
  }
  return { ...spec, iproute2: fields };
}

/**
 * iproute2's map-in-maps: an outer map's inner_id names (by id) the map that
 * is the template of its inner maps; a map with an id and an inner_idx is
 * stored at that slot of every outer map whose inner_id is its id.
 */
function wireIproute2MapInMaps(specs: ObjectMapSpec[]): void {
  const byId = new Map<number, ObjectMapSpec>();
  for (const m of specs) {
    const id = m.iproute2?.id ?? 0;
    if (id === 0) continue;
    const other = byId.get(id);
    if (other) throw new ObjectError(`legacy maps '${other.name}' and '${m.name}' have the same iproute2 id ${id}`, where(m.name));
    byId.set(id, m);
  }
  for (const outer of specs) {
    const innerId = outer.iproute2?.innerId ?? 0;
    if (innerId === 0) continue;
    if (!isMapInMapType(outer.type)) throw new ObjectError(`legacy map '${outer.name}' has an inner_id (${innerId}) but is not a map-in-map`, where(outer.name));
    const template = byId.get(innerId);
    if (!template) throw new ObjectError(`legacy map '${outer.name}': its inner map, id ${innerId}, is not defined`, where(outer.name));
    const { type, keySize, valueSize, maxEntries, flags } = template;
    outer.innerMap = { name: `${outer.name}.inner`, kind: "legacy", sectionName: "maps", sectionOffset: template.sectionOffset, type, keySize, valueSize, maxEntries, flags };
  }
  for (const inner of specs) {
    const f = inner.iproute2;
    if (!f || f.id === 0 || f.innerId !== 0 || f.innerIdx === NO_SLOT) continue;
    for (const outer of specs) {
      if (outer.iproute2?.innerId !== f.id) continue;
      if (f.innerIdx >= outer.maxEntries || f.innerIdx >= MAX_STATIC_SLOT) {
        throw new ObjectError(`legacy map '${inner.name}' goes to slot ${f.innerIdx} of map-in-map '${outer.name}', which has ${outer.maxEntries} entries`, where(inner.name));
      }
      const slots = (outer.initialSlots ??= []);
      slots[f.innerIdx] = inner.name;
    }
  }
  // Dense arrays with explicit holes, as for BTF-defined maps.
  for (const m of specs) {
    const slots = m.initialSlots;
    if (slots) for (let i = 0; i < slots.length; i++) if (!(i in slots)) slots[i] = undefined;
  }
}
