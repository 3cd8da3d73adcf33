// Global data sections (.data, .rodata, .bss and their .data.* / .rodata.* /
// .bss.* variants) become single-element array maps, named and flagged the
// way libbpf does so that tsbpf and libbpf create the same kernel objects.
import type { Btf } from "../btf/btf.js";
import { SHT } from "../elf/constants.js";
import { MapFlags, MapType } from "../map/types.js";
import type { ElfSection } from "../elf/reader.js";
import type { ElfObject } from "./elf-object.js";
import type { ObjectMapKind, ObjectMapSpec } from "./map-spec.js";
import { datasecLayout } from "./datasec.js";
import { MAX_VALUE_SIZE } from "../map/spec.js";
import { ObjectError } from "./errors.js";

/** The kernel's BPF_OBJ_NAME_LEN (15 characters and a NUL). */
const OBJ_NAME_LEN = 16;

/** The kind of global-data map a section makes, or undefined for other sections. */
export function dataSectionKind(s: ElfSection): Exclude<ObjectMapKind, "btf" | "legacy" | "kconfig"> | undefined {
  const is = (base: string): boolean => s.name === base || s.name.startsWith(`${base}.`);
  if (s.type === SHT.PROGBITS && s.size > 0 && !(s.flags & 0x4)) {
    if (is(".data")) return "data";
    if (is(".rodata")) return "rodata";
  }
  if (s.type === SHT.NOBITS && s.size > 0 && is(".bss")) return "bss";
  return undefined;
}

/**
 * libbpf's kernel-visible name of an internal map: as much of the object name
 * as fits before the section name (which gets at least 7 characters), e.g.
 * "opensno.rodata"; custom sections with a second dot (".rodata.cfg") use no
 * prefix. Characters the kernel refuses become '_'.
 */
export function internalMapName(objectName: string, sectionName: string): string {
  let sfxLen = Math.max(7, sectionName.length);
  if (sfxLen >= OBJ_NAME_LEN) sfxLen = OBJ_NAME_LEN - 1;
  const pfxLen = sectionName.indexOf(".", 1) >= 0 ? 0 : Math.min(OBJ_NAME_LEN - sfxLen - 1, objectName.length);
  const name = (objectName.slice(0, pfxLen) + sectionName.slice(0, sfxLen)).slice(0, OBJ_NAME_LEN - 1);
  return name.replace(/[^A-Za-z0-9_.]/g, "_");
}

/** The BTF DATASEC describing a section, if any. */
export function datasecId(btf: Btf | undefined, sectionName: string): number | undefined {
  if (!btf) return undefined;
  return btf.typesByName(sectionName, "DATASEC")[0]?.id;
}

/** One internal map per non-empty global-data section, in section order. */
export function readDataMaps(obj: ElfObject, btf: Btf | undefined, objectName: string): ObjectMapSpec[] {
  const out: ObjectMapSpec[] = [];
  for (const s of obj.elf.sections) {
    const kind = dataSectionKind(s);
    if (!kind) continue;
    // A .bss size is backed by no file bytes: a malformed header must not make us allocate gigabytes.
    if (s.size > MAX_VALUE_SIZE) {
      throw new ObjectError(`section ${s.name} claims ${s.size} bytes; a map value holds at most ${MAX_VALUE_SIZE} (the kernel's limit)`, { section: s.name });
    }
    const initialValue = new Uint8Array(s.size);
    if (kind !== "bss") initialValue.set(obj.data(s));
    const layout = datasecLayout(obj, btf, s);
    // libbpf mmaps a data map only when a program-external (non-static, visible) variable lives in it.
    const mmapable = layout?.vars.some((v) => !v.isStatic) ?? false;
    out.push(internalMap(kind, s.name, objectName, initialValue, layout?.id, mmapable));
  }
  return out;
}

/** Builds an internal array map (global data or .kconfig). */
export function internalMap(
  kind: ObjectMapKind, sectionName: string, objectName: string, initialValue: Uint8Array, valueTypeId: number | undefined, mmapable: boolean,
): ObjectMapSpec {
  let flags = kind === "rodata" || kind === "kconfig" ? MapFlags.RDONLY_PROG : 0;
  if (mmapable) flags |= MapFlags.MMAPABLE;
  const spec: ObjectMapSpec = {
    name: internalMapName(objectName, sectionName), kind, sectionName, sectionOffset: 0,
    type: MapType.Array, keySize: 4, valueSize: initialValue.byteLength, maxEntries: 1, flags, initialValue,
  };
  if (valueTypeId !== undefined) {
    spec.keyTypeId = 0;
    spec.valueTypeId = valueTypeId;
  }
  return spec;
}
