// perf_event_open(2) with a typed attr, the perf ioctls BPF needs, and the
// ids the kernel publishes in sysfs/tracefs (dynamic PMU types, tracepoints).
import { existsSync, readFileSync } from "node:fs";
import { Attr, stableBytes } from "./attr.js";
import { cString } from "./cstring.js";
import { PerfEventAttr } from "./layouts.js";
import { rawSyscall, ioctlRaw, SYS } from "./syscall.js";
import { FD } from "./fd.js";
import * as E from "./errno.js";
import { BpfError, errorFromErrno, InvalidArgumentError, NotFoundError, NotSupportedError, PermissionError } from "./errors.js";
import { attachError } from "./attach-errors.js";
import { ensureTracefs } from "./filesystems.js";

/** Fixed perf event types (enum perf_type_id); kprobe/uprobe types are dynamic, see {@link pmuType}. */
export const PerfType = {
  HARDWARE: 0,
  SOFTWARE: 1,
  TRACEPOINT: 2,
  HW_CACHE: 3,
  RAW: 4,
  BREAKPOINT: 5,
} as const;

/** A few PERF_COUNT_SW_* configs (enum perf_sw_ids). */
export const PerfSoftware = {
  CPU_CLOCK: 0,
  TASK_CLOCK: 1,
  PAGE_FAULTS: 2,
  CONTEXT_SWITCHES: 3,
  CPU_MIGRATIONS: 4,
  DUMMY: 9,
  BPF_OUTPUT: 10,
} as const;

/** PERF_SAMPLE_* bits of `sampleType`. */
export const PerfSample = {
  IP: 1 << 0, TID: 1 << 1, TIME: 1 << 2, ADDR: 1 << 3, READ: 1 << 4, CALLCHAIN: 1 << 5, ID: 1 << 6,
  CPU: 1 << 7, PERIOD: 1 << 8, STREAM_ID: 1 << 9, RAW: 1 << 10,
} as const;

/** The one-bit fields of perf_event_attr that tsbpf callers set, by bit number. */
const bitNumbers = {
  disabled: 0, inherit: 1, pinned: 2, exclusive: 3, excludeUser: 4, excludeKernel: 5, excludeHv: 6, excludeIdle: 7,
  mmap: 8, comm: 9, freq: 10, inheritStat: 11, enableOnExec: 12, task: 13, watermark: 14, mmapData: 17,
  sampleIdAll: 18, excludeHost: 19, excludeGuest: 20, excludeCallchainKernel: 21, excludeCallchainUser: 22,
  mmap2: 23, commExec: 24, useClockid: 25, contextSwitch: 26, writeBackward: 27, namespaces: 28, ksymbol: 29,
  bpfEvent: 30, auxOutput: 31, cgroup: 32, textPoke: 33, buildId: 34, inheritThread: 35, removeOnExec: 36, sigtrap: 37,
} as const;

/** Boolean bitfields of perf_event_attr, by their uapi names in camelCase. */
export type PerfEventBits = { [K in keyof typeof bitNumbers]?: boolean };

/** PERF_FLAG_* of perf_event_open's `flags` argument. */
export const PerfOpenFlags = {
  FD_NO_GROUP: 1 << 0,
  FD_OUTPUT: 1 << 1,
  PID_CGROUP: 1 << 2,
  FD_CLOEXEC: 1 << 3,
} as const;

/** Options of {@link perfEventOpen}: the fields of struct perf_event_attr plus the syscall arguments. */
export interface PerfEventOpenOptions {
  /** {@link PerfType} or a dynamic PMU type from {@link pmuType}. */
  type: number;
  config?: bigint | number;
  /** config1; for kprobe/uprobe PMUs use `kprobeFunc`/`uprobePath` instead. */
  config1?: bigint | number;
  /** config2 (probe_offset / kprobe_addr). */
  config2?: bigint | number;
  config3?: bigint | number;
  /** Kernel function of a kprobe PMU event (written as a pointer into config1). */
  kprobeFunc?: string;
  /** Binary of a uprobe PMU event (written as a pointer into config1). */
  uprobePath?: string;
  /** Offset in the function or file (config2). */
  probeOffset?: bigint | number;
  /** Sample every N events; mutually exclusive with sampleFreq. */
  samplePeriod?: bigint | number;
  /** Sample N times per second (sets the `freq` bit). */
  sampleFreq?: bigint | number;
  sampleType?: bigint | number;
  readFormat?: bigint | number;
  /** Wake the reader every N events; mutually exclusive with wakeupWatermark. */
  wakeupEvents?: number;
  /** Wake the reader every N bytes (sets the `watermark` bit). */
  wakeupWatermark?: number;
  /** One-bit fields (disabled, inherit, excludeKernel …). */
  bits?: PerfEventBits;
  /** Process to watch: -1 (default) for every process on `cpu`. */
  pid?: number;
  /** CPU to watch: -1 for every CPU of `pid`; default 0 when pid is -1, else -1. */
  cpu?: number;
  groupFd?: FD;
  /** {@link PerfOpenFlags}; default FD_CLOEXEC. */
  openFlags?: number;
}

const attr = new Attr(PerfEventAttr);
/** Packs the boolean bitfields into the 64-bit word at offset 40. */
function bitsWord(bits: PerfEventBits | undefined, extra: bigint): bigint {
  let word = extra;
  for (const [name, on] of Object.entries(bits ?? {})) {
    const bit = bitNumbers[name as keyof typeof bitNumbers];
    if (on && bit !== undefined) word |= 1n << BigInt(bit);
  }
  return word;
}

/**
 * Opens a perf event (perf_event_open(2)) and returns its fd. For BPF this
 * is a tracepoint, kprobe/uprobe PMU or software event to attach a program
 * to with {@link perfEventSetBpf} or a perf_event link.
 */
export function perfEventOpen(options: PerfEventOpenOptions): FD {
  let extraBits = 0n;
  attr.zero().set("type", options.type).set("size", PerfEventAttr.size).set("config", BigInt(options.config ?? 0));
  if (options.sampleFreq !== undefined) {
    attr.set("sample_freq", BigInt(options.sampleFreq));
    extraBits |= 1n << BigInt(bitNumbers.freq);
  } else if (options.samplePeriod !== undefined) {
    attr.set("sample_period", BigInt(options.samplePeriod));
  }
  attr.set("sample_type", BigInt(options.sampleType ?? 0)).set("read_format", BigInt(options.readFormat ?? 0));
  if (options.wakeupWatermark !== undefined) {
    attr.set("wakeup_watermark", options.wakeupWatermark);
    extraBits |= 1n << BigInt(bitNumbers.watermark);
  } else if (options.wakeupEvents !== undefined) {
    attr.set("wakeup_events", options.wakeupEvents);
  }
  attr.set("flags", bitsWord(options.bits, extraBits));
  // The probe name must stay alive (and at a fixed address) until the syscall returns.
  const probeName = options.kprobeFunc ?? options.uprobePath;
  const nameBytes = probeName === undefined ? undefined : cString(probeName);
  if (nameBytes) attr.setPointer("config1", nameBytes);
  else if (options.config1 !== undefined) attr.set("config1", BigInt(options.config1));
  const config2 = options.probeOffset ?? options.config2;
  if (config2 !== undefined) attr.set("config2", BigInt(config2));
  if (options.config3 !== undefined) attr.set("config3", BigInt(options.config3));

  const pid = options.pid ?? -1;
  const cpu = options.cpu ?? (pid === -1 ? 0 : -1);
  const groupFd = options.groupFd ? options.groupFd.raw : -1;
  const flags = options.openFlags ?? PerfOpenFlags.FD_CLOEXEC;
  const r = rawSyscall(SYS.perf_event_open, attr.bytes, pid, cpu, groupFd, flags);
  if (r < 0) throw perfOpenError(-r, options);
  return new FD(r, "perf event fd");
}

function perfOpenError(errno: number, o: PerfEventOpenOptions): BpfError {
  const what = `type ${o.type}, config ${o.config ?? 0}${o.kprobeFunc ? `, ${o.kprobeFunc}` : ""}${o.uprobePath ? `, ${o.uprobePath}` : ""}`;
  const d = { operation: "perf_event_open", errno };
  switch (errno) {
    case E.EACCES:
    case E.EPERM: {
      const paranoid = readText("/proc/sys/kernel/perf_event_paranoid");
      return new PermissionError(
        `perf_event_open (${what}): ${E.errnoName(errno)}: needs CAP_PERFMON (or CAP_SYS_ADMIN)` +
          (paranoid ? `; kernel.perf_event_paranoid is ${paranoid}` : ""),
        d,
      );
    }
    case E.ESRCH:
      // The only process perf_event_open looks up is the one its pid names.
      return new NotFoundError(`perf_event_open (${what}): ESRCH: no process with pid ${o.pid ?? -1}`, d);
    case E.ENOENT:
      return new NotFoundError(`perf_event_open (${what}): ENOENT: the event type or config does not exist (unknown tracepoint id, function or PMU)`, d);
    case E.ENODEV:
    case E.EOPNOTSUPP:
      return new NotSupportedError(`perf_event_open (${what}): this event on this machine`, undefined, d);
    case E.EINVAL:
      return new InvalidArgumentError(
        `perf_event_open (${what}): EINVAL: the kernel rejected the attr` +
          (o.type === PerfType.TRACEPOINT ? "; for tracepoints this means no tracepoint has this id (look it up with tracepointId)" : "") +
          "; check pid/cpu (pid -1 needs a cpu), the sample settings and that unknown fields are zero",
        undefined,
        d,
      );
    default:
      return errorFromErrno(errno, "perf_event_open", what, attr);
  }
}

// ioctl request numbers: _IOC(dir, '$', nr, size). Most architectures put
// the direction in bits 30–31 and a 14-bit size at 16 (write = 1, read = 2);
// powerpc, mips and sparc use 3 direction bits at 29 and a 13-bit size
// (none = 1, read = 2, write = 4).
const altIoc = ["ppc64", "ppc", "mips", "mipsel", "mips64", "mips64el", "sparc", "sparc64"].includes(process.arch);
const IOC_NONE = altIoc ? 1 : 0;
const IOC_WRITE = altIoc ? 4 : 1;
const IOC_READ = 2;
const DIR_SHIFT = altIoc ? 29 : 30;

function ioc(dir: number, nr: number, size: number): number {
  // >>> 0 keeps the request an unsigned 32-bit value (the kernel reads an unsigned int).
  return ((dir << DIR_SHIFT) | (size << 16) | (0x24 /* '$' */ << 8) | nr) >>> 0;
}

/** PERF_EVENT_IOC_* request numbers for the running architecture. */
export const PerfIoctl = {
  ENABLE: ioc(IOC_NONE, 0, 0),
  DISABLE: ioc(IOC_NONE, 1, 0),
  RESET: ioc(IOC_NONE, 3, 0),
  /** _IOR('$', 7, __u64 *). */
  ID: ioc(IOC_READ, 7, 8),
  /** _IOW('$', 8, __u32). */
  SET_BPF: ioc(IOC_WRITE, 8, 4),
} as const;

/** ioctl(2) on a perf event fd; throws a typed error. Returns the ioctl result. */
export function perfEventIoctl(fd: FD, request: number, arg: number | Uint8Array = 0): number {
  const r = ioctlRaw(fd.raw, request, arg);
  if (r < 0) throw errorFromErrno(-r, "perf event ioctl", `request 0x${request.toString(16)} on ${fd}`);
  return r;
}

/** Starts counting (PERF_EVENT_IOC_ENABLE). */
export function perfEventEnable(fd: FD): void {
  perfEventIoctl(fd, PerfIoctl.ENABLE);
}

/** Stops counting (PERF_EVENT_IOC_DISABLE). */
export function perfEventDisable(fd: FD): void {
  perfEventIoctl(fd, PerfIoctl.DISABLE);
}

/** Zeroes the event's count (PERF_EVENT_IOC_RESET). */
export function perfEventReset(fd: FD): void {
  perfEventIoctl(fd, PerfIoctl.RESET);
}

/** The kernel's unique id of the event (PERF_EVENT_IOC_ID, Linux 3.12). */
export function perfEventId(fd: FD): bigint {
  const out = stableBytes(8);
  perfEventIoctl(fd, PerfIoctl.ID, out);
  return new DataView(out.buffer, out.byteOffset, 8).getBigUint64(0, true);
}

/**
 * Attaches a tracing (kprobe/tracepoint/perf_event) program to a perf event
 * (PERF_EVENT_IOC_SET_BPF, Linux 4.1; tracepoints 4.7). The program stays
 * attached while the perf event fd is open. Prefer a perf_event link (5.15).
 */
export function perfEventSetBpf(fd: FD, progFd: FD): void {
  const r = ioctlRaw(fd.raw, PerfIoctl.SET_BPF, progFd.raw);
  if (r < 0) {
    throw attachError(-r, { operation: "PERF_EVENT_IOC_SET_BPF", target: `${fd}` });
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** Where sysfs lists the PMUs (each with a `type` file holding its dynamic type number). */
export const PMU_DIR = "/sys/bus/event_source/devices";

/**
 * The perf type number of a PMU ("kprobe", "uprobe", "tracepoint" …), read
 * from /sys/bus/event_source/devices/<name>/type (kprobe/uprobe PMUs: Linux 4.17).
 */
export function pmuType(name: string): number {
  const text = name.includes("/") ? undefined : readText(`${PMU_DIR}/${name}/type`);
  const n = text === undefined ? NaN : Number(text);
  if (!Number.isInteger(n)) {
    const hint = name === "kprobe" ? "; the kernel is built without CONFIG_KPROBES / CONFIG_KPROBE_EVENTS"
      : name === "uprobe" ? "; the kernel is built without CONFIG_UPROBE_EVENTS" : "";
    throw new NotSupportedError(`the '${name}' perf PMU (${PMU_DIR}/${name}/type is missing${hint})`);
  }
  return n;
}

/**
 * The first config bit of a PMU's format field, read from
 * /sys/bus/event_source/devices/<pmu>/format/<field> ("config:0" → 0):
 * e.g. the retprobe flag of the kprobe and uprobe PMUs. NotSupportedError
 * (with `since`, the first Linux version with the field) when it is missing
 * or not in `config`.
 */
export function pmuFormatBit(pmu: string, field: string, since?: string): number {
  const path = `${PMU_DIR}/${pmu}/format/${field}`;
  const text = readText(path);
  if (text === undefined) throw new NotSupportedError(`the ${pmu} PMU's ${field} field (${path} is missing)`, since);
  const m = /^config:(\d+)(?:-\d+)?$/.exec(text);
  if (!m) throw new NotSupportedError(`the ${pmu} PMU's ${field} field in config (${path} says '${text}')`);
  return Number(m[1]);
}

/** Where tracefs is looked for: its own mount point first, then the debugfs location of old systems. */
export const TRACEFS_DIRS: readonly string[] = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

/**
 * The tracefs directory in use (the first of {@link TRACEFS_DIRS} that has
 * `available_events`), mounting tracefs at /sys/kernel/tracing first when it
 * is nowhere and this process may; undefined when there is none.
 */
export function findTracefs(): string | undefined {
  for (const mayMount of [true, false]) {
    const dir = TRACEFS_DIRS.find((d) => existsSync(`${d}/available_events`));
    if (dir !== undefined || !mayMount || !ensureTracefs()) return dir;
  }
  return undefined;
}

/**
 * The id of the tracepoint `category`/`name` (e.g. "syscalls", "sys_enter_getpid")
 * from tracefs, which is mounted at /sys/kernel/tracing first if it is nowhere.
 */
export function tracepointId(category: string, name: string): number {
  if (!/^[\w.-]+$/.test(category) || !/^[\w.-]+$/.test(name)) {
    throw new NotFoundError(`'${category}/${name}' is not a valid tracepoint name`);
  }
  let tracefs: string | undefined;
  // On a machine that never mounted tracefs, mount it (as bpftool and perf do) and look again.
  for (const mayMount of [true, false]) {
    for (const dir of TRACEFS_DIRS) {
      const id = readText(`${dir}/events/${category}/${name}/id`);
      if (id !== undefined && /^\d+$/.test(id)) return Number(id);
      if (tracefs === undefined && readText(`${dir}/available_events`) !== undefined) tracefs = dir;
    }
    if (tracefs !== undefined || !mayMount || !ensureTracefs()) break;
  }
  throw new NotFoundError(
    tracefs
      ? `no tracepoint ${category}/${name}: ${tracefs}/events/${category}/${name}/id does not exist (${tracefs}/available_events lists them)`
      : `tracepoint ${category}/${name}: tracefs is not mounted (looked in ${TRACEFS_DIRS.join(" and ")}); ` +
        "mount it with 'mount -t tracefs tracefs /sys/kernel/tracing'",
  );
}
