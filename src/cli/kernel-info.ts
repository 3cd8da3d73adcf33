// What the CLI shows about kernel objects, read straight from
// BPF_OBJ_GET_INFO_BY_FD and /proc/self/fdinfo (memlock, frozen, owner
// program type are only reported there), the same sources bpftool uses.
import { readFileSync } from "node:fs";
import { Attr, stableBytes } from "../sys/attr.js";
import { MapInfo, ProgInfo } from "../sys/layouts.js";
import { infoByFd } from "../sys/objects.js";
import type { FD } from "../sys/fd.js";
import { rawSyscall } from "../sys/syscall.js";
import { readBtfById, readProgramDumpInfo } from "../sys/prog-info.js";
import { btfTypeName } from "./btf-name.js";

/** The fields bpftool prints for a map. */
export interface MapShowInfo {
  readonly id: number;
  readonly type: number;
  readonly name: string;
  readonly flags: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly btfId: number;
  /** BTF type ids of key and value in the map's BTF (0 when none). */
  readonly btfKeyTypeId: number;
  readonly btfValueTypeId: number;
  /** struct_ops maps: the value type in the kernel's BTF. */
  readonly btfVmlinuxValueTypeId: number;
  readonly ifindex: number;
  readonly mapExtra: bigint;
  /** From fdinfo; undefined when the kernel does not report it. */
  readonly memlock: number | undefined;
  readonly frozen: number | undefined;
  readonly ownerProgType: number | undefined;
  readonly ownerJited: number | undefined;
}

/** The fields bpftool prints for a program. */
export interface ProgShowInfo {
  readonly id: number;
  readonly type: number;
  /** The full name (see progFullName). */
  readonly name: string;
  /** The name as the kernel stores it (at most 15 characters). */
  readonly kernelName: string;
  /** 16 hex digits, as bpftool prints it. */
  readonly tag: string;
  readonly gplCompatible: boolean;
  readonly loadTimeNs: bigint;
  readonly uid: number;
  readonly xlatedLen: number;
  readonly jitedLen: number;
  readonly mapIds: number[];
  readonly btfId: number;
  readonly runTimeNs: bigint;
  readonly runCount: bigint;
  readonly recursionMisses: bigint;
  readonly verifiedInsns: number;
  readonly memlock: number | undefined;
}

/** Parses /proc/self/fdinfo/<fd> into key → value. */
export function readFdinfo(fd: FD): Map<string, string> {
  const m = new Map<string, string>();
  try {
    for (const line of readFileSync(`/proc/self/fdinfo/${fd.raw}`, "utf8").split("\n")) {
      const i = line.indexOf(":");
      if (i > 0) m.set(line.slice(0, i), line.slice(i + 1).trim());
    }
  } catch {
    // no procfs: the optional fields stay undefined
  }
  return m;
}

const optNumber = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));
const decoder = new TextDecoder();
function cName(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** Reads a map's info by fd. */
export function mapShowInfo(fd: FD): MapShowInfo {
  const info = new Attr(MapInfo);
  infoByFd(fd, info.bytes);
  const fdinfo = readFdinfo(fd);
  const nameOff = MapInfo.fields.name.offset;
  return {
    id: info.get("id"), type: info.get("type"), name: cName(info.bytes.subarray(nameOff, nameOff + 16)),
    flags: info.get("map_flags"), keySize: info.get("key_size"), valueSize: info.get("value_size"),
    maxEntries: info.get("max_entries"), btfId: info.get("btf_id"), ifindex: info.get("ifindex"),
    btfKeyTypeId: info.get("btf_key_type_id"), btfValueTypeId: info.get("btf_value_type_id"),
    btfVmlinuxValueTypeId: info.get("btf_vmlinux_value_type_id"),
    mapExtra: info.getBig("map_extra"),
    memlock: optNumber(fdinfo.get("memlock")), frozen: optNumber(fdinfo.get("frozen")),
    ownerProgType: optNumber(fdinfo.get("owner_prog_type")), ownerJited: optNumber(fdinfo.get("owner_jited")),
  };
}

/** Reads a program's info by fd (a second call fetches the map ids). */
export function progShowInfo(fd: FD): ProgShowInfo {
  const info = new Attr(ProgInfo);
  infoByFd(fd, info.bytes);
  const nrMaps = info.get("nr_map_ids");
  let mapIds: number[] = [];
  if (nrMaps > 0) {
    const ids = stableBytes(nrMaps * 4);
    const again = new Attr(ProgInfo);
    again.set("nr_map_ids", nrMaps).setPointer("map_ids", ids);
    infoByFd(fd, again.bytes);
    const v = new DataView(ids.buffer, ids.byteOffset, ids.byteLength);
    mapIds = Array.from({ length: Math.min(nrMaps, again.get("nr_map_ids")) }, (_, i) => v.getUint32(i * 4, true));
  }
  const tagOff = ProgInfo.fields.tag.offset;
  const nameOff = ProgInfo.fields.name.offset;
  const fdinfo = readFdinfo(fd);
  const kernelName = cName(info.bytes.subarray(nameOff, nameOff + 16));
  const base: ProgShowInfo = {
    id: info.get("id"), type: info.get("type"), name: kernelName, kernelName,
    tag: Array.from(info.bytes.subarray(tagOff, tagOff + 8), (b) => b.toString(16).padStart(2, "0")).join(""),
    gplCompatible: info.get("gpl_compatible") !== 0, loadTimeNs: info.getBig("load_time"), uid: info.get("created_by_uid"),
    xlatedLen: info.get("xlated_prog_len"), jitedLen: info.get("jited_prog_len"), mapIds, btfId: info.get("btf_id"),
    runTimeNs: info.getBig("run_time_ns"), runCount: info.getBig("run_cnt"), recursionMisses: info.getBig("recursion_misses"),
    verifiedInsns: info.get("verified_insns"), memlock: optNumber(fdinfo.get("memlock")),
  };
  return { ...base, name: progFullName(fd, base) };
}

const CLOCK_REALTIME = 0;
const CLOCK_BOOTTIME = 7;
const clockGettimeNr: Record<string, number> = { x64: 228, arm64: 113, riscv64: 113, s390x: 260, ppc64: 246 };

function clockSeconds(clock: number): number {
  const ts = stableBytes(16);
  const r = rawSyscall(clockGettimeNr[process.arch] ?? 228, clock, ts);
  if (r < 0) return clock === CLOCK_REALTIME ? Math.floor(Date.now() / 1000) : 0;
  return Number(new DataView(ts.buffer, ts.byteOffset, 16).getBigInt64(0, true));
}

/**
 * Converts a load time (ns since boot) to wall-clock seconds the way bpftool
 * does: whole seconds of (realtime - boottime) plus whole seconds since boot.
 */
export function bootNsToWallSeconds(ns: bigint): number {
  return clockSeconds(CLOCK_REALTIME) - clockSeconds(CLOCK_BOOTTIME) + Number(ns / 1_000_000_000n);
}

/** Formats wall-clock seconds as bpftool's plain loaded_at (strftime "%FT%T%z", local time). */
export function formatLoadedAt(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}` +
    `${sign}${p(Math.floor(Math.abs(off) / 60))}${p(Math.abs(off) % 60)}`;
}

/**
 * The program's full name: the kernel keeps 15 characters, so for names of
 * exactly that length bpftool reads the main function's name from the
 * program's BTF (func info record 0), and so do we.
 */
export function progFullName(fd: FD, info: ProgShowInfo): string {
  if (info.name.length < 15 || !info.btfId) return info.name;
  try {
    const dump = readProgramDumpInfo(fd);
    const first = dump.funcInfo[0];
    if (!first) return info.name;
    const full = btfTypeName(readBtfById(info.btfId), first.typeId);
    return full?.startsWith(info.name) ? full : info.name;
  } catch {
    return info.name; // no BTF to consult: keep the kernel's name
  }
}
