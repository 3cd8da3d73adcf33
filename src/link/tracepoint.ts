// Tracepoint programs (BPF_PROG_TYPE_TRACEPOINT) attached to a tracefs event:
// perf_event_open(PERF_TYPE_TRACEPOINT, id) and then a perf_event BPF link
// (Linux 5.15), or PERF_EVENT_IOC_SET_BPF + enable on older kernels.
import type { Program } from "../program/program.js";
import { ProgramType, programTypeName } from "../program/types.js";
import { perfEventOpen, PerfType, tracepointId } from "../sys/perf-event.js";
import { InvalidArgumentError } from "../sys/errors.js";
import type { Link } from "./link.js";
import { attachToPerfEvent, checkCookieMethod, type PerfAttachMethod } from "./perf-event-link.js";
import { targetFromSection } from "./section-target.js";

/** A tracepoint: its category (tracefs subsystem) and its name. */
export interface TracepointName {
  category: string;
  name: string;
}

/** Options of {@link attachTracepoint}. */
export interface TracepointOptions {
  /** Value the program reads with bpf_get_attach_cookie (needs a BPF link, Linux 5.15). */
  cookie?: bigint;
  /**
   * "auto" (default): a perf_event BPF link, or PERF_EVENT_IOC_SET_BPF where
   * the kernel has no such links (before 5.15); "link" / "ioctl" force one.
   */
  method?: PerfAttachMethod;
}

/** Parses "category:name" or "category/name" (InvalidArgumentError otherwise). */
export function parseTracepoint(target: string): TracepointName {
  const m = /^([^:/]+)[:/]([^:/]+)$/.exec(target);
  if (!m) {
    throw new InvalidArgumentError(`'${target}' is not a tracepoint: write it as category:name, e.g. syscalls:sys_enter_openat`, "target");
  }
  return { category: m[1]!, name: m[2]! };
}

/** The tracepoint of a SEC("tracepoint/category/name") or SEC("tp/category/name") name, if it is one. */
export function tracepointOfSection(sectionName: string): TracepointName | undefined {
  const m = /^(?:tracepoint|tp)\/([^/]+)\/([^/]+)$/.exec(sectionName);
  return m ? { category: m[1]!, name: m[2]! } : undefined;
}

function resolveTarget(program: Program, target: string | TracepointName | undefined): TracepointName {
  if (typeof target === "string") return parseTracepoint(target);
  if (target) return target;
  return targetFromSection(program, tracepointOfSection, "the tracepoint to attach to", "target");
}

/**
 * Attaches a tracepoint program to `target` ("category:name", "category/name"
 * or an object; default: from the program's SEC() name). The program runs
 * for every hit of the tracepoint on any CPU until the link is closed.
 * Errors: InvalidArgumentError for a program of another type,
 * NotFoundError for an unknown tracepoint or an unmounted tracefs,
 * PermissionError without CAP_PERFMON/CAP_BPF. Nothing stays open on failure.
 */
export function attachTracepoint(program: Program, target?: string | TracepointName, options: TracepointOptions = {}): Link {
  if (program.type !== ProgramType.Tracepoint) {
    throw new InvalidArgumentError(
      `program '${program.name}' is a ${programTypeName(program.type)} program; attachTracepoint needs a tracepoint program ` +
        `(SEC("tracepoint/…")); raw_tp and tp_btf programs attach by name with BPF_RAW_TRACEPOINT_OPEN`,
      "program",
    );
  }
  const { category, name } = resolveTarget(program, target);
  const id = tracepointId(category, name);
  const what = `tracepoint ${category}/${name}`;
  checkCookieMethod("tracepoints", options.method ?? "auto", options.cookie);
  // One event on CPU 0 for every process: the program sits on the tracepoint itself and runs on all CPUs.
  const event = perfEventOpen({ type: PerfType.TRACEPOINT, config: id, cpu: 0, samplePeriod: 1, wakeupEvents: 1 });
  return attachToPerfEvent(program, event, { target: what, method: options.method, cookie: options.cookie });
}
