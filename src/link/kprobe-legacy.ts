// Legacy kprobes through tracefs's kprobe_events, for kernels without the
// kprobe PMU (before 4.17, or built without it): a uniquely named event is
// written to kprobe_events, opened as a tracepoint by its id, and removed
// again when the link closes (an event left behind would outlive the process
// and clutter `kprobe_events` for everyone).
import { appendFileSync, readFileSync } from "node:fs";
import { errorFromErrno, InvalidArgumentError, NotFoundError } from "../sys/errors.js";

/** The group tsbpf's legacy kprobe events live in (the kernel's default group). */
export const LEGACY_KPROBE_GROUP = "kprobes";

/** What one legacy kprobe event probes. */
export interface LegacyKprobe {
  /** The event's name (unique, see {@link legacyKprobeEventName}). */
  name: string;
  retprobe: boolean;
  /** Function name; absent when `address` is given. */
  symbol?: string;
  /** Kernel address of the probe. */
  address?: bigint;
  /** Bytes into the function. */
  offset: number;
  /** How many instances of a kretprobe may be pending at once (the "rN:" prefix); kernel default when absent. */
  maxActive?: number;
}

let counter = 0;

/**
 * A fresh event name: "tsbpf_<pid>_<function>_0x<offset>_<n>" with every
 * character the kernel does not accept in names turned into '_' (as libbpf
 * names its "libbpf_…" events), so two probes of one process never collide.
 */
export function legacyKprobeEventName(target: string, offset: number, pid = process.pid, n = counter++): string {
  return `tsbpf_${pid}_${target}_0x${offset.toString(16)}_${n}`.replace(/[^A-Za-z0-9_]/g, "_");
}

/** The line that defines the event in kprobe_events ("p:kprobes/NAME FUNC+OFF", "r:kprobes/NAME FUNC"). */
export function legacyKprobeDefinition(k: LegacyKprobe): string {
  if ((k.symbol === undefined) === (k.address === undefined)) {
    throw new InvalidArgumentError("a legacy kprobe needs exactly one of a symbol and an address", "symbol");
  }
  if (k.retprobe && k.offset !== 0) throw new InvalidArgumentError(`kretprobe ${k.symbol ?? ""}: kretprobes cannot have an offset`, "offset");
  const kind = k.retprobe ? `r${k.maxActive ?? ""}` : "p";
  const where = k.address !== undefined ? `0x${(k.address + BigInt(k.offset)).toString(16)}` : k.offset ? `${k.symbol}+0x${k.offset.toString(16)}` : k.symbol!;
  return `${kind}:${LEGACY_KPROBE_GROUP}/${k.name} ${where}`;
}

/** The line that removes the event. */
export function legacyKprobeRemoval(name: string): string {
  return `-:${LEGACY_KPROBE_GROUP}/${name}`;
}

function append(file: string, line: string, what: string): void {
  try {
    appendFileSync(file, `${line}\n`);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ENOENT" || err.code === "EINVAL") {
      // The kernel refuses an unknown or unprobeable function with ENOENT/EINVAL; its error_log says which.
      throw new NotFoundError(`${what}: ${file} refused '${line}' (${err.code}): no such kernel function, or it cannot be probed (see error_log in tracefs)`);
    }
    throw errorFromErrno(err.errno ? -err.errno : 5, `write ${file}`, what);
  }
}

/**
 * Defines the event in `kprobeEvents` and returns its tracepoint id; the
 * event is removed again if its id cannot be read.
 */
export function addLegacyKprobe(kprobeEvents: string, k: LegacyKprobe, what: string): number {
  append(kprobeEvents, legacyKprobeDefinition(k), what);
  const idFile = `${kprobeEvents.replace(/kprobe_events$/, "")}events/${LEGACY_KPROBE_GROUP}/${k.name}/id`;
  try {
    return Number(readFileSync(idFile, "utf8").trim());
  } catch (e) {
    removeLegacyKprobe(kprobeEvents, k.name);
    throw new NotFoundError(`${what}: the kprobe event was defined but ${idFile} cannot be read (${(e as Error).message})`);
  }
}

/** Removes the event (after every perf event on it is closed, or the kernel answers EBUSY). Errors are ignored: there is no one to report them to at close. */
export function removeLegacyKprobe(kprobeEvents: string, name: string): void {
  try {
    appendFileSync(kprobeEvents, `${legacyKprobeRemoval(name)}\n`);
  } catch {
    // Already gone (or tracefs unmounted meanwhile).
  }
}
