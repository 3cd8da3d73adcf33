// Creating an object's maps: BTF key/value ids from the program BTF, inner
// map templates, libbpf's pin-by-name reuse, user replacements, and the
// static `.values` of map-in-maps. Global-data contents are data-sections.ts.
import { Map as BpfMap } from "../map.js";
import { kernelMapName, type MapSpec } from "../map/spec.js";
import { MapType } from "../map/types.js";
import { Iproute2Pinning, type ObjectMapSpec } from "../object/map-spec.js";
import type { FD } from "../sys/fd.js";
import { possibleCpuCount } from "../sys/cpus.js";
import { BpfError, InvalidArgumentError, NotFoundError } from "../sys/errors.js";
import type { Btf } from "../btf/btf.js";
import { pinFd } from "../sys/objects.js";
import type { PinStaging } from "../sys/pin-staging.js";

/** libbpf's default directory for LIBBPF_PIN_BY_NAME maps when none is given. */
export const DEFAULT_PIN_ROOT = "/sys/fs/bpf";

/** Map types the kernel refuses BTF key/value ids for (libbpf creates them without). */
const NO_BTF_TYPES = new Set<number>([
  MapType.ProgArray, MapType.PerfEventArray, 8 /* cgroup array */, 7 /* stack trace */, MapType.ArrayOfMaps, MapType.HashOfMaps,
  14 /* devmap */, 25 /* devmap hash */, 16 /* cpumap */, 17 /* xskmap */, 15 /* sockmap */, 18 /* sockhash */,
  22 /* queue */, 23 /* stack */, 33 /* arena */,
]);

/** One created (or reused, or replaced) map. */
export interface CreatedMap {
  readonly map: BpfMap;
  /** False for user replacements: the collection must not close them. */
  readonly owned: boolean;
  /** True when an existing pinned map was reused: its contents are left alone. */
  readonly reused: boolean;
}

/** Options that shape map creation. */
export interface MapCreateContext {
  readonly btfFd: FD | undefined;
  readonly pinPath: string | undefined;
  readonly replacements: ReadonlyMap<string, BpfMap>;
  /** Where to say what was worked around (a map created without its BTF). */
  readonly warnings?: string[];
  /** The object's BTF: legacy `maps` maps take key/value ids from its `____btf_map_<name>` struct. */
  readonly btf?: Btf;
  /** Where new LIBBPF_PIN_BY_NAME pins are made until the load commits them (all at once, or none); without it they are pinned in place. */
  readonly pinStaging?: (dir: string) => PinStaging;
}

/**
 * A LIBBPF_PIN_BY_NAME name is one bpffs directory entry: '/' would place the
 * pin (or find one to reuse) outside the pin directory, and bpffs refuses '.'
 * (so '..' too). libbpf relies on BTF map names being C identifiers.
 */
function checkPinName(key: string, name: string): void {
  if (name.length > 0 && name.length <= 255 && !/[/.]/.test(name)) return;
  throw new InvalidArgumentError(`map '${key}' cannot be pinned by name: '${name}' is not a plain file name ` +
    "(pin names may not be empty or contain '/' or '.')", "pinning");
}

/**
 * Key/value type ids of a legacy `maps` map from the `struct ____btf_map_<name> { key; value; }`
 * that the old BPF_ANNOTATE_KV_PAIR macro emitted, as libbpf looks them up; undefined when absent.
 */
export function legacyMapBtfIds(btf: Btf, mapName: string): { keyTypeId: number; valueTypeId: number } | undefined {
  for (const id of btf.idsByName(`____btf_map_${mapName}`)) {
    const t = btf.typeById(id);
    if (t.kind !== "STRUCT" || t.members.length < 2) continue;
    const [key, value] = t.members;
    if (key!.name !== "key" || value!.name !== "value") continue;
    return { keyTypeId: key!.type, valueTypeId: value!.type };
  }
  return undefined;
}

/** The MapSpec BPF_MAP_CREATE gets for an object's map. */
export function kernelMapSpec(m: ObjectMapSpec, btfFd: FD | undefined): MapSpec {
  const spec: MapSpec = {
    type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags ?? 0,
    name: kernelMapName(m.name),
  };
  if (m.numaNode !== undefined) spec.numaNode = m.numaNode;
  if (m.mapExtra !== undefined) spec.mapExtra = m.mapExtra;
  if (m.ifindex !== undefined) spec.ifindex = m.ifindex;
  if (m.pinning !== undefined) spec.pinning = m.pinning;
  if (btfFd && !NO_BTF_TYPES.has(m.type) && (m.keyTypeId !== undefined || m.valueTypeId !== undefined)) {
    spec.btfFd = btfFd;
    spec.keyTypeId = m.keyTypeId ?? 0;
    spec.valueTypeId = m.valueTypeId ?? 0;
  }
  if (m.innerMap) {
    spec.innerMap = kernelMapSpec(m.innerMap, btfFd);
    spec.innerMap.pinning = "none";
  }
  return spec;
}

/** Creates one map, reusing a compatible pinned one for LIBBPF_PIN_BY_NAME (IncompatibleError otherwise). */
export function createMap(key: string, m: ObjectMapSpec, ctx: MapCreateContext): CreatedMap {
  const replacement = ctx.replacements.get(key) ?? ctx.replacements.get(m.name);
  if (replacement) return { map: replacement, owned: false, reused: true };
  if (m.maxEntries === 0 && m.type !== MapType.PerfEventArray && m.type !== 27 /* ringbuf */) {
    throw new InvalidArgumentError(`map '${key}' has max_entries 0: set spec.maps.get(${JSON.stringify(key)}).maxEntries before load (the tool normally sizes it at run time)`, "maxEntries");
  }
  if (m.iproute2?.pinning === Iproute2Pinning.ObjectNamespace && m.pinning === undefined) {
    // tc pins these under a directory named after a hash of the object file: no loader but tc shares them.
    throw new InvalidArgumentError(
      `map '${key}' asks for iproute2's PIN_OBJECT_NS (pinned per object by tc, under /sys/fs/bpf/tc/<object hash>/), which has no libbpf equivalent: ` +
        `set spec.maps.get(${JSON.stringify(key)}).pinning to "by-name" (pinned under pinPath) or "none" before load`,
      "pinning",
    );
  }
  let spec = kernelMapSpec(withLegacyBtf(m, ctx.btf), ctx.btfFd);
  let staging: PinStaging | undefined;
  if (spec.pinning === "by-name") {
    checkPinName(key, m.name);
    const dir = ctx.pinPath ?? DEFAULT_PIN_ROOT;
    // Staging first: it finishes or removes what a killed load left there, so reuse sees the outcome.
    staging = ctx.pinStaging?.(dir);
    try {
      const map = BpfMap.openPinned(`${dir}/${m.name}`, { expect: { type: spec.type, keySize: spec.keySize, valueSize: spec.valueSize, maxEntries: effectiveMaxEntries(spec), flags: spec.flags ?? 0 } });
      return { map, owned: true, reused: true };
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
  }
  // Pinned under the object's full map name (as libbpf does), not the
  // 15-character name the kernel keeps — so reuse finds it again.
  const pinAt = spec.pinning === "by-name" ? `${ctx.pinPath ?? DEFAULT_PIN_ROOT}/${m.name}` : undefined;
  const create = (s: MapSpec): BpfMap => {
    let map: BpfMap;
    try {
      map = BpfMap.create({ ...s, pinning: "none" });
    } catch (e) {
      throw namedInFull(e, s.name, m.name);
    }
    if (pinAt === undefined) return map;
    try {
      if (staging) pinFd(map.fd, staging.stage(pinAt, (at) => map.adoptPin(at)));
      else map.pin(pinAt);
    } catch (e) {
      map.close();
      throw e;
    }
    return map;
  };
  try {
    return { map: create(spec), owned: true, reused: false };
  } catch (e) {
    // As libbpf: a kernel that refuses the map's BTF (older kernels, types it
    // cannot describe) still gets the map, just without key/value types.
    if (spec.btfFd === undefined || !(e instanceof BpfError)) throw e;
    spec = withoutBtf(spec);
    const map = create(spec);
    ctx.warnings?.push(`map '${key}' was created without BTF: the kernel refused its key/value types (${e.message})`);
    return { map, owned: true, reused: false };
  }
}

/**
 * The kernel keeps 15 characters of a map name, and Map.create's errors quote
 * the name it sent; the collection knows the map's full C name, so its errors
 * say that one instead ('usdt_auto_attac' means nothing to the reader).
 */
function namedInFull(e: unknown, kernelName: string | undefined, fullName: string): unknown {
  if (!(e instanceof BpfError) || !kernelName || kernelName === fullName) return e;
  e.message = e.message.replaceAll(`'${kernelName}'`, `'${fullName}'`);
  return e;
}

/** A copy of `spec` (and its inner map template) with no BTF key/value ids. */
function withoutBtf(spec: MapSpec): MapSpec {
  const { btfFd: _fd, keyTypeId: _k, valueTypeId: _v, ...rest } = spec;
  const out: MapSpec = rest;
  if (spec.innerMap) out.innerMap = withoutBtf(spec.innerMap);
  return out;
}

/** A legacy map with a `____btf_map_<name>` struct gets its key/value type ids from it. */
function withLegacyBtf(m: ObjectMapSpec, btf: Btf | undefined): ObjectMapSpec {
  if (m.kind !== "legacy" || !btf || m.keyTypeId !== undefined || m.valueTypeId !== undefined) return m;
  const ids = legacyMapBtfIds(btf, m.name);
  return ids ? { ...m, ...ids } : m;
}

/** As Map.create: a perf event array of 0 entries gets one slot per possible CPU. */
function effectiveMaxEntries(spec: MapSpec): number {
  return spec.type === MapType.PerfEventArray && spec.maxEntries === 0 ? possibleCpuCount() : spec.maxEntries;
}

/** Stores the inner maps a map-in-map's `.values` names (after every map exists). */
export function initMapInMapSlots(outerKey: string, m: ObjectMapSpec, outer: BpfMap, lookup: (name: string) => BpfMap | undefined): void {
  if (!m.initialSlots || (m.type !== MapType.ArrayOfMaps && m.type !== MapType.HashOfMaps)) return;
  const key = new Uint8Array(m.keySize);
  const view = new DataView(key.buffer);
  m.initialSlots.forEach((name, i) => {
    if (name === undefined) return;
    const inner = lookup(name);
    if (!inner) throw new NotFoundError(`map-in-map '${outerKey}' slot ${i} names map '${name}', which the collection did not create`);
    view.setUint32(0, i, true);
    outer.setInner(key, inner);
  });
}
