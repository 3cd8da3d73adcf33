// Legacy map definitions: `struct bpf_map_def` objects in the `maps` section
// (type, key_size, value_size, max_entries, map_flags, then optionally
// inner_map_idx and numa_node). libbpf 1.0 dropped them; old objects still
// carry them, so tsbpf reads them.
import type { ElfObject } from "./elf-object.js";
import { ElfObject as Elf } from "./elf-object.js";
import { ObjectError } from "./errors.js";
import type { ObjectMapSpec } from "./map-spec.js";

const FIELD = 4;
const MIN_DEF = 5 * FIELD;

/** Reads the legacy `maps` section, one map per symbol, in offset order. */
export function readLegacyMaps(obj: ElfObject): ObjectMapSpec[] {
  const section = obj.sectionByName("maps");
  if (!section || section.size === 0) return [];
  const symbols = obj.symbols
    .filter((s) => s.sectionIndex === section.index && (s.type === "object" || s.type === "notype") && s.name !== "")
    .sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  if (symbols.length === 0) throw new ObjectError("the legacy maps section has no map symbols", { section: "maps" });
  const bytes = obj.data(section);
  // All definitions share one size: the section size split evenly (as libbpf did).
  const defSize = Math.floor(section.size / symbols.length);
  if (defSize < MIN_DEF || section.size % symbols.length !== 0) {
    throw new ObjectError(`legacy maps section of ${section.size} bytes does not hold ${symbols.length} map definitions`, { section: "maps" });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = obj.byteOrder === "le";
  return symbols.map((sym) => {
    const at = Elf.offsetOf(sym);
    if (at % defSize !== 0 || at + defSize > bytes.byteLength) {
      throw new ObjectError(`legacy map '${sym.name}' at offset ${at} is not a whole definition`, { section: "maps", symbol: sym.name });
    }
    const field = (i: number): number | undefined => (i * FIELD + FIELD <= defSize ? view.getUint32(at + i * FIELD, le) : undefined);
    const spec: ObjectMapSpec = {
      name: sym.name, kind: "legacy", sectionName: "maps", sectionOffset: at,
      type: field(0) ?? 0, keySize: field(1) ?? 0, valueSize: field(2) ?? 0, maxEntries: field(3) ?? 0, flags: field(4) ?? 0,
    };
    const numa = field(6);
    if (numa !== undefined && numa !== 0) spec.numaNode = numa;
    if (spec.type === 0) throw new ObjectError(`legacy map '${sym.name}' has no type`, { section: "maps", symbol: sym.name });
    return spec;
  });
}
