// What the CLI shows about kernel objects: the map and program layers' info
// readers, plus /proc/self/fdinfo (memlock, frozen, owner program type are
// only reported there), the same sources bpftool uses.
import { readFileSync } from "node:fs";
import { stableBytes } from "../sys/attr.js";
import type { FD } from "../sys/fd.js";
import { rawSyscall } from "../sys/syscall.js";
import { readKernelBtfById } from "../btf/kernel.js";
import { readProgramInfo, type ProgramInfo } from "../program/info.js";
import { mapInfoByFd } from "../map/info.js";

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

/** Reads a map's info by fd (the map layer's bpf_map_info reader, plus what only fdinfo reports). */
export function mapShowInfo(fd: FD): MapShowInfo {
  const info = mapInfoByFd(fd);
  const fdinfo = readFdinfo(fd);
  return {
    id: info.id, type: info.type, name: info.name, flags: info.flags, keySize: info.keySize, valueSize: info.valueSize,
    maxEntries: info.maxEntries, btfId: info.btfId, ifindex: info.ifindex,
    btfKeyTypeId: info.btfKeyTypeId, btfValueTypeId: info.btfValueTypeId, btfVmlinuxValueTypeId: info.btfVmlinuxValueTypeId,
    mapExtra: info.mapExtra,
    memlock: optNumber(fdinfo.get("memlock")), frozen: optNumber(fdinfo.get("frozen")),
    ownerProgType: optNumber(fdinfo.get("owner_prog_type")), ownerJited: optNumber(fdinfo.get("owner_jited")),
  };
}

/** Reads a program's info by fd (the program layer's bpf_prog_info reader, plus fdinfo's memlock). */
export function progShowInfo(fd: FD): ProgShowInfo {
  // Instructions are fetched too: their lengths are what bpftool shows as xlated/jited bytes.
  const info = readProgramInfo(fd);
  const fdinfo = readFdinfo(fd);
  const base: ProgShowInfo = {
    id: info.id, type: info.type, name: info.name, kernelName: info.name, tag: info.tag,
    gplCompatible: info.gplCompatible, loadTimeNs: info.loadTime, uid: info.createdByUid,
    xlatedLen: info.xlatedInstructions.byteLength, jitedLen: info.jitedInstructions.byteLength, mapIds: info.mapIds, btfId: info.btfId,
    runTimeNs: info.runTimeNs, runCount: info.runCount, recursionMisses: info.recursionMisses,
    verifiedInsns: info.verifiedInstructions, memlock: optNumber(fdinfo.get("memlock")),
  };
  return { ...base, name: fullName(info) };
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
function fullName(info: ProgramInfo): string {
  const first = info.funcInfo[0];
  if (info.name.length < 15 || !info.btfId || !first) return info.name;
  try {
    const full = readKernelBtfById(info.btfId).btf.nameOf(first.typeId);
    return full.startsWith(info.name) ? full : info.name;
  } catch {
    return info.name; // no BTF to consult: keep the kernel's name
  }
}
