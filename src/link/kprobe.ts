// Kprobes and kretprobes: a kprobe program on a kernel function (or
// address). The kprobe PMU is tried first (perf_event_open with the function
// name in config1, the offset in config2 and the retprobe flag at the bit
// the PMU's format file names; Linux 4.17); without it, a legacy event is
// defined in tracefs's kprobe_events, opened by its tracepoint id and removed
// at close. Either way the program then goes on the perf event like a
// tracepoint program (a perf_event link on 5.15+, PERF_EVENT_IOC_SET_BPF before).
import type { Program } from "../program/program.js";
import { ProgramType, programTypeName } from "../program/types.js";
import { perfEventOpen, pmuFormatBit, pmuType, PerfType, type PerfEventOpenOptions } from "../sys/perf-event.js";
import { BpfError, InvalidArgumentError, NotFoundError } from "../sys/errors.js";
import { EINVAL, ENOENT } from "../sys/errno.js";
import { kallsymsHas, readKallsyms } from "./kernel-symbols.js";
import type { Link } from "./link.js";
import { attachToPerfEvent, checkCookieMethod, type PerfAttachMethod } from "./perf-event-link.js";
import { targetFromSection } from "./section-target.js";
import { haveKprobes, kprobeInterfaces, noKprobesError } from "./kprobe-support.js";
import { addLegacyKprobe, legacyKprobeEventName, removeLegacyKprobe } from "./kprobe-legacy.js";

/** Which kernel interface creates the probe. */
export type KprobeInterface = "auto" | "pmu" | "legacy";

/** Options of {@link attachKprobe}. */
export interface KprobeOptions {
  /** Kernel function; "name+0x10" probes 16 bytes into it. Default: from SEC("kprobe/FUNC[+OFF]") / SEC("kretprobe/FUNC"). */
  symbol?: string;
  /** A kernel address instead of a symbol. */
  address?: bigint;
  /** Bytes into the function (added to a "+off" in the symbol). Not for kretprobes. */
  offset?: number;
  /** Fire when the function returns (a kretprobe). */
  retprobe?: boolean;
  /** Value the program reads with bpf_get_attach_cookie (needs a BPF link, Linux 5.15). */
  cookie?: bigint;
  /** "auto" (default): a perf_event BPF link, or PERF_EVENT_IOC_SET_BPF before 5.15; "link" / "ioctl" force one. */
  method?: PerfAttachMethod;
  /** "auto" (default): the kprobe PMU, else legacy kprobe_events; "pmu" / "legacy" force one. */
  interface?: KprobeInterface;
  /** Legacy kretprobes: how many calls may be pending at once ("rN:" in kprobe_events). */
  maxActive?: number;
}

/** The target of a SEC("kprobe/FUNC[+OFF]") or SEC("kretprobe/FUNC") name. */
export interface KprobeSection {
  retprobe: boolean;
  symbol: string;
  offset: number;
}

// libbpf reads the target with sscanf("%m[a-zA-Z0-9_.]+%li").
const sectionPattern = /^(kprobe|kretprobe)\/([A-Za-z0-9_.]+)(?:\+(0x[0-9a-fA-F]+|\d+))?$/;

/** Parses SEC("kprobe/FUNC"), SEC("kprobe/FUNC+OFF") and SEC("kretprobe/FUNC"); undefined for SEC("kprobe") and other names. */
export function kprobeOfSection(sectionName: string): KprobeSection | undefined {
  const m = sectionPattern.exec(sectionName);
  if (!m) return undefined;
  return { retprobe: m[1] === "kretprobe", symbol: m[2]!, offset: Number(m[3] ?? 0) };
}

/** What to probe, resolved and checked. */
export interface KprobeTarget {
  retprobe: boolean;
  symbol?: string;
  address?: bigint;
  offset: number;
}

/**
 * The perf_event_attr of a kprobe PMU event: `type` is the PMU's dynamic
 * type, the retprobe flag goes to config bit `retprobeBit`, the function name
 * to config1 (as a string pointer) with the offset in config2 — or, for an
 * address, config1 0 and the address in config2. One event on CPU 0 for
 * every process: a kprobe fires on every CPU.
 */
export function kprobePerfAttr(target: KprobeTarget, type: number, retprobeBit: number): PerfEventOpenOptions {
  const config = target.retprobe ? 1n << BigInt(retprobeBit) : 0n;
  const base = { type, config, pid: -1, cpu: 0 };
  if (target.address !== undefined) return { ...base, config1: 0n, probeOffset: target.address + BigInt(target.offset) };
  return { ...base, kprobeFunc: target.symbol!, probeOffset: target.offset };
}

/** "do_unlinkat+0x10" → name and offset. */
export function splitKernelSymbol(symbol: string): { name: string; offset: number } {
  const m = /^(.+?)\+(0x[0-9a-fA-F]+|\d+)$/.exec(symbol);
  return m ? { name: m[1]!, offset: Number(m[2]) } : { name: symbol, offset: 0 };
}

function checkKprobeProgram(program: Program, api: string): void {
  if (program.type !== ProgramType.Kprobe) {
    throw new InvalidArgumentError(
      `program '${program.name}' is a ${programTypeName(program.type)} program; ${api} needs a kprobe program ` +
        `(SEC("kprobe/…"), SEC("kretprobe/…"), SEC("ksyscall/…"))`,
      "program",
    );
  }
}

/** The probe's target from the options, else from the SEC() name; checked. */
export function resolveKprobeTarget(program: Program, options: KprobeOptions): KprobeTarget {
  let retprobe = options.retprobe ?? false;
  let symbol = options.symbol;
  let offset = options.offset ?? 0;
  if (symbol === undefined && options.address === undefined) {
    const fromSection = targetFromSection(program, kprobeOfSection, "the kernel function to probe (symbol)", "symbol");
    symbol = fromSection.symbol;
    offset += fromSection.offset;
    retprobe = options.retprobe ?? fromSection.retprobe;
  }
  if (symbol !== undefined && options.address !== undefined) throw new InvalidArgumentError("give a symbol or an address, not both", "address");
  if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidArgumentError(`offset must be a non-negative integer, not ${offset}`, "offset");
  if (options.address !== undefined && (typeof options.address !== "bigint" || options.address <= 0n)) {
    throw new InvalidArgumentError(`address must be a positive bigint, not ${String(options.address)}`, "address");
  }
  if (symbol !== undefined) {
    const split = splitKernelSymbol(symbol);
    if (!/^[A-Za-z_][\w.]*$/.test(split.name)) throw new InvalidArgumentError(`'${symbol}' is not a kernel function name`, "symbol");
    symbol = split.name;
    offset += split.offset;
  }
  if (retprobe && offset !== 0) {
    throw new InvalidArgumentError(`kretprobe ${symbol ?? ""}: kretprobes fire on return and take no offset (got +0x${offset.toString(16)})`, "offset");
  }
  return { retprobe, ...(symbol !== undefined ? { symbol } : { address: options.address! }), offset };
}

/** "kprobe do_unlinkat+0x10", "kretprobe 0xffffffff81000000". */
export function describeKprobe(t: KprobeTarget): string {
  const where = t.symbol ?? `0x${t.address!.toString(16)}`;
  return `${t.retprobe ? "kretprobe" : "kprobe"} ${where}${t.offset ? `+0x${t.offset.toString(16)}` : ""}`;
}

/** ENOENT/EINVAL from the kprobe PMU: name the function when kallsyms does not have it. */
function explainPmuError(e: unknown, t: KprobeTarget, what: string): unknown {
  if (!(e instanceof BpfError) || (e.errno !== ENOENT && e.errno !== EINVAL) || t.symbol === undefined) return e;
  const known = kallsymsHas(readKallsyms(), t.symbol);
  return new NotFoundError(
    known
      ? `${what}: the kernel refused to probe ${t.symbol} (${e.errno === ENOENT ? "ENOENT" : "EINVAL"}): it is not probeable ` +
        "(inlined, notrace, blacklisted in /sys/kernel/debug/kprobes/blacklist) or the offset is not an instruction boundary"
      : `${what}: no kernel function '${t.symbol}' (not in /proc/kallsyms)`,
    { operation: "perf_event_open", errno: e.errno ?? ENOENT, cause: e },
  );
}

/**
 * Attaches a kprobe program to a kernel function (a kprobe, or a kretprobe
 * with `retprobe`). Without `symbol`/`address` the target comes from the
 * program's SEC("kprobe/FUNC[+OFF]") / SEC("kretprobe/FUNC") name.
 * Errors: InvalidArgumentError (not a kprobe program, bad offset, offset on a
 * kretprobe), NotFoundError (no such function, or not probeable),
 * NotSupportedError (the kernel has no kprobes: CONFIG_KPROBES /
 * CONFIG_KPROBE_EVENTS; cookies with the ioctl method). Nothing stays open or
 * defined in tracefs on failure.
 */
export function attachKprobe(program: Program, options: KprobeOptions = {}): Link {
  checkKprobeProgram(program, "attachKprobe");
  return attachKprobeTarget(program, resolveKprobeTarget(program, options), options);
}

/** @internal attachKprobe after the target is resolved (ksyscall resolves its own). */
export function attachKprobeTarget(program: Program, target: KprobeTarget, options: KprobeOptions): Link {
  const what = describeKprobe(target);
  const method = options.method ?? "auto";
  checkCookieMethod("kprobes", method, options.cookie);
  const mode = options.interface ?? "auto";
  if (options.maxActive !== undefined && !(Number.isInteger(options.maxActive) && options.maxActive > 0)) {
    throw new InvalidArgumentError(`maxActive must be a positive integer, not ${options.maxActive}`, "maxActive");
  }
  const found = kprobeInterfaces();
  if (!haveKprobes(found)) throw noKprobesError(what, found);
  const attachOptions = { target: what, method, cookie: options.cookie };

  if (mode === "pmu" || (mode === "auto" && found.pmu)) {
    const type = pmuType("kprobe");
    const bit = target.retprobe ? pmuFormatBit("kprobe", "retprobe", "4.17") : 0;
    let event;
    try {
      event = perfEventOpen(kprobePerfAttr(target, type, bit));
    } catch (e) {
      throw explainPmuError(e, target, what);
    }
    return attachToPerfEvent(program, event, attachOptions);
  }

  if (found.kprobeEvents === undefined) throw noKprobesError(`${what} (legacy kprobe_events)`, found);
  const events = found.kprobeEvents;
  const name = legacyKprobeEventName(target.symbol ?? `0x${target.address!.toString(16)}`, target.offset);
  const id = addLegacyKprobe(events, {
    name, retprobe: target.retprobe, offset: target.offset,
    ...(target.symbol !== undefined ? { symbol: target.symbol } : { address: target.address! }),
    ...(options.maxActive !== undefined ? { maxActive: options.maxActive } : {}),
  }, what);
  const release = (): void => removeLegacyKprobe(events, name);
  let event;
  try {
    event = perfEventOpen({ type: PerfType.TRACEPOINT, config: id, cpu: 0, samplePeriod: 1, wakeupEvents: 1 });
  } catch (e) {
    release();
    throw e;
  }
  return attachToPerfEvent(program, event, { ...attachOptions, release });
}

/** @internal Shared with ksyscall. */
export { checkKprobeProgram };
