// MapSpec: the description of a map to create (pure data), its validation
// before any syscall, and how it becomes a BPF_MAP_CREATE attr.
import type { Attr } from "../sys/attr.js";
import type { MapCreateAttr } from "../sys/layouts.js";
import type { FD } from "../sys/fd.js";
import { InvalidArgumentError } from "../sys/errors.js";
import { isMapInMapType, MapFlags, mapTypeName, type MapType } from "./types.js";

/** Pinning policy of a map spec, as libbpf's `LIBBPF_PIN_BY_NAME`. */
export type MapPinning = "none" | "by-name";

/** Everything needed to create a map. Pure data: nothing here owns a kernel object (except a borrowed btfFd). */
export interface MapSpec {
  /** Map type (uapi number; numbers unknown to tsbpf are passed through). */
  type: MapType | number;
  /** Key size in bytes (0 for queue, stack, bloom filter, ring buffers, arena). */
  keySize: number;
  /** Value size in bytes (for per-CPU maps: the size of one CPU's value). */
  valueSize: number;
  /**
   * Capacity. Ring buffers: the size in bytes (a power-of-2 multiple of the
   * page size); arenas: pages; perf event arrays: 0 means one slot per possible CPU.
   */
  maxEntries: number;
  /** MapFlags bits. */
  flags?: number;
  /** Object name (at most 15 characters of [A-Za-z0-9_.]). */
  name?: string;
  /** NUMA node for the memory (sets MapFlags.NUMA_NODE). */
  numaNode?: number;
  /** map_extra: bloom filter hash count (low 4 bits), arena start address (5.16+). */
  mapExtra?: bigint;
  /** Network device for offloaded maps. */
  ifindex?: number;
  /** Template of the inner maps of array_of_maps / hash_of_maps. */
  innerMap?: MapSpec;
  /** BTF object describing key and value (borrowed: not closed by tsbpf). */
  btfFd?: FD | number;
  /** BTF type id of the key in btfFd. */
  keyTypeId?: number;
  /** BTF type id of the value in btfFd. */
  valueTypeId?: number;
  /** struct_ops maps: BTF id of the kernel's `bpf_struct_ops_<name>` value type in vmlinux. */
  vmlinuxValueTypeId?: number;
  /** Pin under a directory by name when created through a pinning-aware loader. */
  pinning?: MapPinning;
}

const MAX_U32 = 0xffff_ffff;
const NAME_RE = /^[A-Za-z0-9_.]*$/;
/**
 * The largest map value the kernel accepts (value_size ≤ INT_MAX; larger is
 * E2BIG). Sizes that no file bytes back (.bss, .kconfig) are checked against
 * it before anything is allocated for them.
 */
export const MAX_VALUE_SIZE = 0x7fff_ffff;

/**
 * The name the kernel keeps for an object's map: as libbpf, 15 characters
 * (longer C names are cut) of [A-Za-z0-9_.], anything else made '_'.
 */
export function kernelMapName(name: string): string {
  return name.slice(0, 15).replace(/[^A-Za-z0-9_.]/g, "_");
}

/** The kernel's BPF_OBJ_NAME_LEN, including the NUL. */
export const MAP_NAME_MAX = 15;

function checkU32(value: unknown, field: string, what: string): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_U32) {
    throw new InvalidArgumentError(`${what}: ${field} must be an integer in 0..2^32-1 (got ${String(value)})`, field);
  }
}

/** A short human description ("hash map 'counts'") for messages. */
export function describeSpec(spec: Pick<MapSpec, "type" | "name">): string {
  return `${mapTypeName(spec.type)} map${spec.name ? ` '${spec.name}'` : ""}`;
}

/** Checks a spec before any syscall; throws InvalidArgumentError naming the bad field. */
export function validateSpec(spec: MapSpec): void {
  if (spec === null || typeof spec !== "object") throw new InvalidArgumentError("map spec must be an object", "spec");
  const what = describeSpec(spec);
  checkU32(spec.type, "type", what);
  if (spec.type === 0) throw new InvalidArgumentError(`${what}: type must not be unspec (0)`, "type");
  checkU32(spec.keySize, "keySize", what);
  checkU32(spec.valueSize, "valueSize", what);
  checkU32(spec.maxEntries, "maxEntries", what);
  if (spec.flags !== undefined) checkU32(spec.flags, "flags", what);
  if (spec.numaNode !== undefined) checkU32(spec.numaNode, "numaNode", what);
  if (spec.ifindex !== undefined) checkU32(spec.ifindex, "ifindex", what);
  for (const f of ["keyTypeId", "valueTypeId", "vmlinuxValueTypeId"] as const) {
    if (spec[f] !== undefined) checkU32(spec[f], f, what);
  }
  if (spec.mapExtra !== undefined && (typeof spec.mapExtra !== "bigint" || spec.mapExtra < 0n || spec.mapExtra >= 1n << 64n)) {
    throw new InvalidArgumentError(`${what}: mapExtra must be a bigint in 0..2^64-1`, "mapExtra");
  }
  if (spec.name !== undefined) {
    if (typeof spec.name !== "string" || spec.name.length > MAP_NAME_MAX || !NAME_RE.test(spec.name)) {
      throw new InvalidArgumentError(
        `map name ${JSON.stringify(spec.name)} is invalid: at most ${MAP_NAME_MAX} characters of [A-Za-z0-9_.]`,
        "name",
      );
    }
  }
  if (isMapInMapType(spec.type)) {
    if (!spec.innerMap) throw new InvalidArgumentError(`${what}: innerMap (the template of inner maps) is required`, "innerMap");
    if (spec.valueSize !== 4) throw new InvalidArgumentError(`${what}: valueSize must be 4 (an inner map fd)`, "valueSize");
    validateSpec(spec.innerMap);
  } else if (spec.innerMap) {
    throw new InvalidArgumentError(`${what}: innerMap is only valid for array_of_maps and hash_of_maps`, "innerMap");
  }
}

function rawFd(fd: FD | number): number {
  return typeof fd === "number" ? fd : fd.raw;
}

/** Fills a zeroed BPF_MAP_CREATE attr from a validated spec. */
export function fillCreateAttr(attr: Attr<keyof typeof MapCreateAttr.fields>, spec: MapSpec, innerMapFd?: number): void {
  let flags = spec.flags ?? 0;
  if (spec.numaNode !== undefined) flags |= MapFlags.NUMA_NODE;
  attr
    .set("map_type", spec.type)
    .set("key_size", spec.keySize)
    .set("value_size", spec.valueSize)
    .set("max_entries", spec.maxEntries)
    .set("map_flags", flags >>> 0)
    .set("numa_node", spec.numaNode ?? 0)
    .set("map_ifindex", spec.ifindex ?? 0)
    .set("map_extra", spec.mapExtra ?? 0n);
  if (spec.name) attr.setString("map_name", spec.name);
  if (innerMapFd !== undefined) attr.set("inner_map_fd", innerMapFd);
  if (spec.btfFd !== undefined) {
    attr.set("btf_fd", rawFd(spec.btfFd));
    attr.set("btf_key_type_id", spec.keyTypeId ?? 0).set("btf_value_type_id", spec.valueTypeId ?? 0);
  }
  if (spec.vmlinuxValueTypeId !== undefined) attr.set("btf_vmlinux_value_type_id", spec.vmlinuxValueTypeId);
}

/** A copy of a spec with every optional field filled with its default (for comparisons and display). */
export function normalizeSpec(spec: MapSpec): Required<Pick<MapSpec, "type" | "keySize" | "valueSize" | "maxEntries" | "flags" | "name">> {
  return {
    type: spec.type,
    keySize: spec.keySize,
    valueSize: spec.valueSize,
    maxEntries: spec.maxEntries,
    flags: spec.flags ?? 0,
    name: spec.name ?? "",
  };
}
