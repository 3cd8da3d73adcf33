// What a skeleton module contains, decided from the parsed object: its
// variables by section (typed by their BTF), its maps (a TypedMap where the
// map's BTF gives key and value types), its programs, its event readers (the
// maps the user gave a record type with `event MAP=TYPE`), and the TS
// declarations all of those need — never the whole object BTF. Everything the
// generator cannot express becomes a note that says what it did instead.
import { InvalidArgumentError } from "../../sys/errors.js";
import { MapType, mapTypeName } from "../../map/types.js";
import type { ObjectSpec } from "../../object/object-spec.js";
import type { ObjectMapSpec } from "../../object/map-spec.js";
import type { VariableSpec } from "../../object/variables.js";
import { TsNames, pascalCase } from "../ts-names.js";
import { cTypeName } from "../../btf/codec/c-name.js";
import { TsTypeEmitter } from "../ts-types.js";
import { findNamedType } from "./find-type.js";

/** The data sections a skeleton exposes as views, by the kind of their map. */
export type SectionKind = "rodata" | "data" | "bss";

/** A global variable of a view: typed through the codec, or raw bytes when its type has no TS type. */
export interface VariableModel {
  readonly name: string;
  /** The TS type, or undefined for raw bytes (Uint8Array through get()/set()). */
  readonly tsType: string | undefined;
  readonly cType: string;
}

/** A map property of `maps`. */
export interface MapModel {
  /** Property name: the C name, or libbpf's skeleton name for data maps (".rodata" → "rodata"). */
  readonly key: string;
  /** Name in ObjectSpec.maps / Collection.maps. */
  readonly name: string;
  /** Key and value TS types when the map is typed; `read` is what one element reads as (`V`, or `V[]` for per-CPU maps). */
  readonly typed: { readonly key: string; readonly value: string; readonly read: string } | undefined;
  readonly comment: string;
}

/** A program property of `programs`. */
export interface ProgramModel {
  readonly name: string;
  readonly section: string;
}

/** A typed event reader of `events`. */
export interface EventModel {
  readonly map: string;
  readonly reader: "ring" | "perf";
  readonly tsType: string;
  /** The type as the library looks it up ("struct event"). */
  readonly typeName: string;
}

/** Everything the renderer needs. */
export interface SkeletonModel {
  /** The object name (ObjectSpec's: prefix of internal map names). */
  readonly objectName: string;
  /** PascalCase prefix of the module's own names. */
  readonly prefix: string;
  readonly declarations: string;
  readonly sections: Readonly<Record<SectionKind, readonly VariableModel[]>>;
  readonly maps: readonly MapModel[];
  readonly programs: readonly ProgramModel[];
  readonly events: readonly EventModel[];
  readonly notes: readonly string[];
}

/** The inputs of the model (SkeletonOptions after defaults). */
export interface ModelInput {
  readonly name: string;
  readonly types: readonly string[];
  readonly eventTypes: Readonly<Record<string, string>>;
}

/** Map types whose elements are data (a TypedMap makes sense), as opposed to fds, programs or streams. */
const DATA_MAP_TYPES = new Set<number>([
  MapType.Hash, MapType.Array, MapType.PercpuHash, MapType.PercpuArray, MapType.LruHash, MapType.LruPercpuHash,
  MapType.LpmTrie, MapType.Queue, MapType.Stack, MapType.BloomFilter, MapType.SkStorage, MapType.InodeStorage,
  MapType.TaskStorage, MapType.CgrpStorage, MapType.CgroupStorage, MapType.PercpuCgroupStorage,
]);
/** Per-CPU maps: an element reads as one value per possible CPU. */
const PER_CPU_MAP_TYPES = new Set<number>([MapType.PercpuHash, MapType.PercpuArray, MapType.LruPercpuHash, MapType.PercpuCgroupStorage]);
/** Maps without keys: their TypedMap's key type is `never`. */
const KEYLESS_MAP_TYPES = new Set<number>([MapType.Queue, MapType.Stack, MapType.BloomFilter]);

/** Names every generated module declares or uses itself (the prefix-derived ones are added per module). */
const MODULE_NAMES: Readonly<Record<string, string>> = {
  tsbpf: "the module's import of tsbpf", readFileSync: "imported by the module", VariableAccess: "a type of the module",
  OBJECT_BASE64: "a constant of the module", OBJECT_URL: "a constant of the module", objectBytes: "a function of the module",
  Uint8Array: "a global the module uses", Buffer: "a global the module uses", URL: "a global the module uses",
  Disposable: "a global the module uses", Symbol: "a global the module uses", Map: "a global the module uses",
};

/** Suffixes of the module's own declarations, after the prefix. */
export const OWN_SUFFIXES = ["Skeleton", "Rodata", "Data", "Bss", "Maps", "Programs", "Events", "OpenOptions"] as const;

/** libbpf's skeleton name of a data map: ".rodata" → "rodata", ".data.cfg" → "data_cfg". */
function mapKey(name: string): string {
  return name.startsWith(".") ? name.slice(1).replace(/[^A-Za-z0-9_$]/g, "_") : name;
}

function sectionOf(map: ObjectMapSpec | undefined): SectionKind | undefined {
  return map && (map.kind === "rodata" || map.kind === "data" || map.kind === "bss") ? map.kind : undefined;
}

/** Builds the model of `spec`'s skeleton; InvalidArgumentError/BtfError for `type`/`event` requests that name nothing. */
export function buildModel(spec: ObjectSpec, input: ModelInput): SkeletonModel {
  const notes: string[] = [];
  const names = new TsNames();
  const prefix = pascalCase(input.name);
  for (const [name, why] of Object.entries(MODULE_NAMES)) names.reserve(name, why);
  for (const suffix of OWN_SUFFIXES) names.reserve(`${prefix}${suffix}`, `the skeleton's ${suffix === "Skeleton" ? "class" : `${suffix} interface`}`);
  const btf = spec.btf;
  if (!btf) {
    notes.push("the object has no BTF (.BTF section; compile with clang -g): maps are raw BpfMaps and variables raw bytes (Uint8Array)");
    if (input.types.length || Object.keys(input.eventTypes).length) {
      throw new InvalidArgumentError("the object has no BTF (compile it with clang -g), so `type` and `event` have no types to name", "types");
    }
  }
  const emitter = btf ? new TsTypeEmitter(btf, names) : undefined;

  // What cannot be expressed falls back (to raw bytes, a raw map, a raw reader) with a note.
  const tsTypeOf = (typeId: number, what: string, fallback: string): string | undefined => {
    if (!emitter || typeId === 0) return undefined;
    const why = emitter.whyInexpressible(typeId);
    if (why === undefined) return emitter.typeOf(typeId);
    notes.push(`${what} has no TypeScript type (${why}); ${fallback}`);
    return undefined;
  };

  for (const spelled of input.types) {
    const id = findNamedType(btf!, spelled);
    const why = emitter!.whyInexpressible(id);
    if (why !== undefined) notes.push(`type '${spelled}' has no TypeScript type (${why}); not declared`);
    else emitter!.declare(id);
  }

  const sections: Record<SectionKind, VariableModel[]> = { rodata: [], data: [], bss: [] };
  for (const v of spec.variables.values()) {
    const kind = sectionOf(spec.maps.get(v.sectionName));
    if (!kind) continue;
    if (v.isStatic) {
      notes.push(`variable '${v.name}' (${v.sectionName}) is static: left out as bpftool does; reach it through skel.spec.variables / skel.collection.variables`);
      continue;
    }
    sections[kind].push(variableModel(v, btf ? cTypeName(btf, v.typeId) : `${v.size} bytes`, tsTypeOf(v.typeId, `variable '${v.name}'`, "it reads and writes as raw bytes (Uint8Array)")));
  }

  const maps: MapModel[] = [];
  for (const [name, m] of spec.maps) {
    const typeName = mapTypeName(m.type) ?? `type ${m.type}`;
    let typed: MapModel["typed"];
    if (DATA_MAP_TYPES.has(m.type) && btf) {
      const keyless = KEYLESS_MAP_TYPES.has(m.type);
      if (m.valueTypeId && (keyless || m.keyTypeId)) {
        const fallback = "it is the raw BpfMap";
        const key = keyless ? "never" : tsTypeOf(m.keyTypeId!, `map '${name}' key`, fallback);
        const value = key === undefined ? undefined : tsTypeOf(m.valueTypeId, `map '${name}' value`, fallback);
        if (key !== undefined && value !== undefined) typed = { key, value, read: PER_CPU_MAP_TYPES.has(m.type) ? `${value}[]` : value };
      } else if (m.kind === "btf" || m.kind === "legacy") {
        notes.push(`map '${name}' has no BTF key/value types (declared with key_size/value_size): it is the raw BpfMap; declare it with __type(key, …) and __type(value, …) for a TypedMap`);
      }
    }
    const comment = typed && btf
      ? `${typeName} map: ${KEYLESS_MAP_TYPES.has(m.type) ? "" : `${cTypeName(btf, m.keyTypeId!)} → `}${cTypeName(btf, m.valueTypeId!)}`
      : `${typeName} map`;
    maps.push({ key: mapKey(name), name, typed, comment });
  }

  const programs = [...spec.programs.values()].map((p) => ({ name: p.name, section: p.sectionName }));

  const events: EventModel[] = [];
  for (const [mapName, spelled] of Object.entries(input.eventTypes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const m = spec.maps.get(mapName);
    if (!m) throw new InvalidArgumentError(`event ${mapName}=${spelled}: the object has no map '${mapName}' (it has: ${[...spec.maps.keys()].join(", ")})`, "eventTypes");
    if (m.type !== MapType.Ringbuf && m.type !== MapType.PerfEventArray) {
      throw new InvalidArgumentError(`event ${mapName}=${spelled}: map '${mapName}' is a ${mapTypeName(m.type) ?? m.type} map; events are read from ringbuf and perf_event_array maps`, "eventTypes");
    }
    const id = findNamedType(btf!, spelled);
    const tsType = tsTypeOf(id, `event ${mapName}=${spelled}`, `skel.maps.${mapKey(mapName)} is the raw map (read it with RingBuffer/PerfBuffer)`);
    if (tsType !== undefined) events.push({ map: mapName, reader: m.type === MapType.Ringbuf ? "ring" : "perf", tsType, typeName: cTypeName(btf!, id) });
  }
  const unread = [...spec.maps].filter(([n, m]) => (m.type === MapType.Ringbuf || m.type === MapType.PerfEventArray) && !(n in input.eventTypes));
  for (const [n, m] of unread) {
    notes.push(`${m.type === MapType.Ringbuf ? "ring buffer" : "perf event array"} '${n}' has no record type: give one with \`event ${n}=TYPE\` for a typed reader; skel.maps.${mapKey(n)} is the raw map`);
  }

  return {
    objectName: input.name, prefix, declarations: emitter ? emitter.source() : "", sections, maps, programs, events,
    notes: [...names.notes, ...notes],
  };
}

function variableModel(v: VariableSpec, cType: string, tsType: string | undefined): VariableModel {
  return { name: v.name, tsType, cType };
}
