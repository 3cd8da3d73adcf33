// Which kprobe interfaces the running kernel offers: the kprobe PMU
// (perf_event_open with a function name, Linux 4.17) and the older
// kprobe_events file of tracefs. A kernel built without CONFIG_KPROBES (or
// CONFIG_KPROBE_EVENTS) has neither; then every kprobe-based attach (kprobe,
// kretprobe, ksyscall, kprobe.multi) fails with one error that says so,
// instead of a misleading "needs Linux x.y" from the errno of a later call.
import { existsSync } from "node:fs";
import { findTracefs, PMU_DIR } from "../sys/perf-event.js";
import { NotSupportedError } from "../sys/errors.js";

/** The kprobe interfaces found on this machine. */
export interface KprobeInterfaces {
  /** The kprobe PMU exists (/sys/bus/event_source/devices/kprobe). */
  pmu: boolean;
  /** Path of tracefs's kprobe_events file, when it exists. */
  kprobeEvents: string | undefined;
  /** The tracefs directory, when tracefs is mounted (for the error message). */
  tracefs: string | undefined;
}

/** Where the kprobe PMU would be. */
export const KPROBE_PMU = `${PMU_DIR}/kprobe`;

/** Looks for the kprobe PMU and tracefs's kprobe_events (mounting tracefs if it is nowhere). */
export function kprobeInterfaces(): KprobeInterfaces {
  const tracefs = findTracefs();
  const events = tracefs === undefined ? undefined : `${tracefs}/kprobe_events`;
  return { pmu: existsSync(`${KPROBE_PMU}/type`), kprobeEvents: events !== undefined && existsSync(events) ? events : undefined, tracefs };
}

/** True when the kernel can place kprobes at all (through either interface). */
export function haveKprobes(found: KprobeInterfaces = kprobeInterfaces()): boolean {
  return found.pmu || found.kprobeEvents !== undefined;
}

/**
 * The error for a kernel without kprobes: names the attachment, the config
 * options and how it was detected. No minimum version: no Linux release
 * helps a kernel built without them.
 */
export function noKprobesError(what: string, found: KprobeInterfaces): NotSupportedError {
  const legacy = found.tracefs === undefined ? "tracefs is not mounted, so no kprobe_events either" : `${found.tracefs}/kprobe_events does not exist`;
  return new NotSupportedError(
    `${what} (the kernel has no kprobes: it was built without CONFIG_KPROBES / CONFIG_KPROBE_EVENTS — ` +
      `${KPROBE_PMU} is missing and ${legacy}; tracepoints and raw_tp/tp_btf programs need neither)`,
  );
}
