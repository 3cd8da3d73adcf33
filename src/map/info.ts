// BPF_OBJ_GET_INFO_BY_FD for maps, plus what only fdinfo tells (frozen).
import { readFileSync } from "node:fs";
import { Attr } from "../sys/attr.js";
import { readCString } from "../sys/cstring.js";
import { MapInfo } from "../sys/layouts.js";
import { infoByFd, fdById, type AccessMode } from "../sys/objects.js";
import type { FD } from "../sys/fd.js";
import { mapTypeName, type MapType } from "./types.js";

/** What the kernel reports about a map (struct bpf_map_info). */
export interface MapInfoData {
  /** Map type number. */
  type: MapType | number;
  /** bpftool's name of the type ("hash"). */
  typeName: string;
  /** Kernel-wide id. */
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** map_flags at creation (MapFlags bits). */
  flags: number;
  /** Object name (up to 15 characters). */
  name: string;
  /** Network device of offloaded maps, 0 otherwise. */
  ifindex: number;
  /** BTF object id (0 without BTF). */
  btfId: number;
  btfKeyTypeId: number;
  btfValueTypeId: number;
  /** struct_ops maps: id of the vmlinux value type. */
  btfVmlinuxValueTypeId: number;
  /** Id of the kernel BTF object struct_ops refers to (6.9+). */
  btfVmlinuxId: number;
  /** map_extra (5.16+). */
  mapExtra: bigint;
  /** Whether BPF_MAP_FREEZE was applied; undefined when /proc/self/fdinfo does not say. */
  frozen: boolean | undefined;
}

/** Reads "frozen:" from /proc/self/fdinfo/<fd> (5.2+); undefined when absent. */
export function readFrozen(rawFd: number): boolean | undefined {
  try {
    const m = /^frozen:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${rawFd}`, "utf8"));
    return m ? m[1] !== "0" : undefined;
  } catch {
    return undefined;
  }
}

/** How a BPF object fd was opened, from the access mode in /proc/self/fdinfo ("rw" when unknown). */
export function accessModeOf(rawFd: number): AccessMode {
  try {
    const m = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${rawFd}`, "utf8"));
    if (!m) return "rw";
    const acc = Number.parseInt(m[1] ?? "2", 8) & 3; // O_ACCMODE
    return acc === 0 ? "read-only" : acc === 1 ? "write-only" : "rw";
  } catch {
    return "rw";
  }
}

/** Info of the map behind `fd`. */
export function mapInfoByFd(fd: FD): MapInfoData {
  const a = new Attr(MapInfo);
  infoByFd(fd, a.bytes);
  const f = MapInfo.fields.name;
  return {
    type: a.get("type"),
    typeName: mapTypeName(a.get("type")),
    id: a.get("id"),
    keySize: a.get("key_size"),
    valueSize: a.get("value_size"),
    maxEntries: a.get("max_entries"),
    flags: a.get("map_flags"),
    name: readCString(a.bytes, f.offset, f.size),
    ifindex: a.get("ifindex"),
    btfId: a.get("btf_id"),
    btfKeyTypeId: a.get("btf_key_type_id"),
    btfValueTypeId: a.get("btf_value_type_id"),
    btfVmlinuxValueTypeId: a.get("btf_vmlinux_value_type_id"),
    btfVmlinuxId: a.get("btf_vmlinux_id"),
    mapExtra: a.getBig("map_extra"),
    frozen: readFrozen(fd.raw),
  };
}

/** Info of the map with kernel id `id` (opens and closes an fd; needs CAP_SYS_ADMIN). */
export function mapInfoById(id: number): MapInfoData {
  const fd = fdById("map", id);
  try {
    return mapInfoByFd(fd);
  } finally {
    fd.close();
  }
}
