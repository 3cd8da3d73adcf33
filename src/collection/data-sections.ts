// Global data maps (.data, .rodata, .bss, .kconfig): their initial contents
// written before any program loads, `.rodata`/`.kconfig` frozen so the
// verifier can treat their values as constants (dead-code elimination of
// disabled features), and their memory mapped for `collection.variables`.
import type { Map as BpfMap } from "../map.js";
import type { MapMemory } from "../map/mmap.js";
import { MapFlags } from "../map/types.js";
import type { ObjectMapSpec } from "../object/map-spec.js";

/** True for maps that hold global data or kconfig values. */
export function isDataMap(m: ObjectMapSpec): boolean {
  return m.kind === "data" || m.kind === "rodata" || m.kind === "bss" || m.kind === "kconfig";
}

/**
 * Writes a data map's single value and freezes read-only ones (BPF_MAP_FREEZE,
 * Linux 5.2). `.bss` is written too: the spec may have set variables in it.
 */
export function initDataMap(m: ObjectMapSpec, map: BpfMap, value: Uint8Array): void {
  if (value.byteLength > 0) map.update(new Uint8Array(4), value);
  if (m.kind === "rodata" || m.kind === "kconfig") map.freeze();
}

/**
 * Maps a data map's value for reading/writing from JavaScript, or undefined
 * when the map is not BPF_F_MMAPABLE (only static variables, or a reused
 * map created without it). Frozen maps are mapped read-only.
 */
export function mapDataMemory(m: ObjectMapSpec, map: BpfMap): MapMemory | undefined {
  if ((map.flags & MapFlags.MMAPABLE) === 0) return undefined;
  const readOnly = m.kind === "rodata" || m.kind === "kconfig";
  return map.mmap({ writable: !readOnly });
}
