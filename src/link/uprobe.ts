// Uprobes and uretprobes (kprobe-type programs on user-space code): the
// function is found in the binary's ELF symbols, turned into a file offset,
// and probed through the uprobe PMU (perf_event_open with the path in
// config1, the offset in config2; Linux 4.17), then attached like any perf
// event (a perf_event link on 5.15+, PERF_EVENT_IOC_SET_BPF before).
import { readFileSync } from "node:fs";
import type { Program } from "../program/program.js";
import { ProgramType, programTypeName } from "../program/types.js";
import { PMU_DIR, perfEventOpen, pmuType } from "../sys/perf-event.js";
import { InvalidArgumentError, NotSupportedError } from "../sys/errors.js";
import type { Link } from "./link.js";
import { attachToPerfEvent, checkCookieMethod, type PerfAttachMethod } from "./perf-event-link.js";
import { readBinaryElf, resolveUprobeBinary } from "./uprobe-binary.js";
import { symbolFileOffset } from "./elf-symbol-offset.js";
import { targetFromSection } from "./section-target.js";

/** Options of {@link attachUprobe}. */
export interface UprobeOptions {
  /** The executable or library: a path, or a bare name ("libc.so.6"; looked up in `pid`'s mappings when given). */
  binary?: string;
  /** Function to probe; "name+0x10" probes 16 bytes into it. Versioned names ("malloc@@GLIBC_2.2.5") match too. */
  symbol?: string;
  /** With `symbol`: bytes into the function (added to a "+off" in the name). Without: the file offset to probe. */
  offset?: number;
  /** Only this process (all of its threads); default -1: every process that runs the code. */
  pid?: number;
  /** Fire when the function returns instead of when it is entered. */
  retprobe?: boolean;
  /** Value the program reads with bpf_get_attach_cookie (needs a BPF link, Linux 5.15). */
  cookie?: bigint;
  /** File offset of a USDT semaphore the kernel increments while the probe is attached (Linux 4.20). */
  refCtrOffset?: number;
  /** "auto" (default): a perf_event BPF link, or PERF_EVENT_IOC_SET_BPF before 5.15; "link" / "ioctl" force one. */
  method?: PerfAttachMethod;
}

/** The target of a SEC("uprobe/BINARY:FUNC[+OFF]") (or uretprobe, uprobe.s, uretprobe.s) name. */
export interface UprobeSection {
  retprobe: boolean;
  binary: string;
  /** Function name, absent when the section gives a bare file offset. */
  symbol?: string;
  offset: number;
}

const sectionPattern = /^(uprobe|uretprobe)(?:\.s)?\/(.+):(?:([A-Za-z_.$][\w.$@]*)(?:\+(0x[0-9a-fA-F]+|\d+))?|(0x[0-9a-fA-F]+|\d+))$/;

/** Parses the attach target of a uprobe SEC() name, or undefined when it names none (e.g. plain SEC("uprobe")). */
export function uprobeOfSection(sectionName: string): UprobeSection | undefined {
  const m = sectionPattern.exec(sectionName);
  if (!m) return undefined;
  const [, kind, binary, symbol, symbolOffset, fileOffset] = m;
  return {
    retprobe: kind === "uretprobe", binary: binary!,
    ...(symbol !== undefined ? { symbol } : {}),
    offset: Number(symbolOffset ?? fileOffset ?? 0),
  };
}

/** Splits "name+0x10" into the name and the offset. */
function splitSymbol(symbol: string): { name: string; offset: number } {
  const m = /^(.+?)\+(0x[0-9a-fA-F]+|\d+)$/.exec(symbol);
  return m ? { name: m[1]!, offset: Number(m[2]) } : { name: symbol, offset: 0 };
}

/** The bit range a PMU format file gives a field ("config:0", "config:32-63"). */
function pmuFormatBit(field: string): number {
  const path = `${PMU_DIR}/uprobe/format/${field}`;
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch {
    const since = field === "ref_ctr_offset" ? "4.20" : "4.17";
    throw new NotSupportedError(`the uprobe PMU's ${field} field (${path} is missing)`, since);
  }
  const m = /^config:(\d+)(?:-\d+)?$/.exec(text);
  if (!m) throw new NotSupportedError(`the uprobe PMU's ${field} field in config (${path} says '${text}')`);
  return Number(m[1]);
}

function checkOffset(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new InvalidArgumentError(`${field} must be a non-negative integer, not ${value}`, field);
}

function resolveOptions(program: Program, options: UprobeOptions): UprobeOptions {
  if (options.binary !== undefined) return options;
  const fromSection = targetFromSection(program, uprobeOfSection, "the binary to probe", "binary");
  return {
    ...options,
    binary: fromSection.binary,
    ...(fromSection.symbol !== undefined ? { symbol: fromSection.symbol } : {}),
    offset: fromSection.offset + (options.offset ?? 0),
    retprobe: options.retprobe ?? fromSection.retprobe,
  };
}

/**
 * Attaches a kprobe-type program as a uprobe (or uretprobe) on a function of
 * a user-space binary. Without `binary` the target comes from the program's
 * SEC("uprobe/PATH:FUNC[+OFF]") / SEC("uretprobe/…") name. With `pid` only
 * that process's calls fire, otherwise every process's. Needs the uprobe PMU
 * (Linux 4.17); cookies need a perf_event link (5.15).
 * Errors: InvalidArgumentError (not a kprobe program, bad offsets, a symbol
 * that is not a function or is ambiguous), NotFoundError (binary or symbol
 * not found, naming the binary), ElfError (not an ELF file),
 * NotSupportedError (no uprobe PMU). Nothing stays open on failure.
 */
export function attachUprobe(program: Program, options: UprobeOptions = {}): Link {
  if (program.type !== ProgramType.Kprobe) {
    throw new InvalidArgumentError(
      `program '${program.name}' is a ${programTypeName(program.type)} program; uprobes run kprobe programs (SEC("uprobe/…"), SEC("uretprobe/…"))`,
      "program",
    );
  }
  const o = resolveOptions(program, options);
  const method = o.method ?? "auto";
  const kind = o.retprobe ? "uretprobe" : "uprobe";
  checkCookieMethod(`${kind}s`, method, o.cookie);
  if (o.offset !== undefined) checkOffset(o.offset, "offset");
  if (o.refCtrOffset !== undefined) checkOffset(o.refCtrOffset, "refCtrOffset");
  if (o.pid !== undefined && !(Number.isInteger(o.pid) && o.pid >= -1)) throw new InvalidArgumentError(`pid must be -1 or a process id, not ${o.pid}`, "pid");
  const path = resolveUprobeBinary(o.binary!, o.pid);

  let fileOffset = o.offset ?? 0;
  let where = `0x${fileOffset.toString(16)}`;
  if (o.symbol !== undefined) {
    const { name, offset } = splitSymbol(o.symbol);
    const resolved = symbolFileOffset(readBinaryElf(path), path, name);
    const into = offset + (o.offset ?? 0);
    fileOffset = resolved.offset + into;
    where = into ? `${name}+0x${into.toString(16)}` : name;
  } else if (o.offset === undefined) {
    throw new InvalidArgumentError(`${kind} on ${path}: give a symbol or a file offset`, "symbol");
  }

  const type = pmuType("uprobe");
  let config = o.retprobe ? 1n << BigInt(pmuFormatBit("retprobe")) : 0n;
  if (o.refCtrOffset !== undefined) config |= BigInt(o.refCtrOffset) << BigInt(pmuFormatBit("ref_ctr_offset"));
  const pid = o.pid ?? -1;
  // pid -1 needs a CPU; the probe is on the file's code, so it fires on every CPU anyway.
  const event = perfEventOpen({ type, config, uprobePath: path, probeOffset: fileOffset, pid, cpu: pid === -1 ? 0 : -1 });
  const target = `${kind} ${path}:${where}${pid === -1 ? "" : ` pid ${pid}`}`;
  return attachToPerfEvent(program, event, { target, method, cookie: o.cookie });
}
