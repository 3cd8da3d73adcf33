// perf_event programs (SEC("perf_event")) on sampling events: a software
// clock or counter, or a hardware counter, sampled by frequency or by period.
// A perf event counts on one CPU (or for one process), so sampling the whole
// machine opens one event per online CPU, each with its own Link, grouped in a
// LinkGroup that detaches them all at once.
import { existsSync } from "node:fs";
import type { Program } from "../program/program.js";
import { ProgramType, programTypeName } from "../program/types.js";
import { PMU_DIR, perfEventOpen, PerfSoftware, PerfType } from "../sys/perf-event.js";
import { onlineCpus } from "../sys/cpus.js";
import { BpfError, InvalidArgumentError, NotSupportedError } from "../sys/errors.js";
import { ENODEV, ENOENT, EOPNOTSUPP } from "../sys/errno.js";
import { LinkGroup, type Link } from "./link.js";
import { attachToPerfEvent, type PerfAttachMethod } from "./perf-event-link.js";

/** Software events by their perf(1) names (PERF_TYPE_SOFTWARE configs). */
export const SOFTWARE_EVENTS = {
  "cpu-clock": PerfSoftware.CPU_CLOCK, "task-clock": PerfSoftware.TASK_CLOCK, "page-faults": PerfSoftware.PAGE_FAULTS,
  "context-switches": PerfSoftware.CONTEXT_SWITCHES, "cpu-migrations": PerfSoftware.CPU_MIGRATIONS,
  "minor-faults": 5, "major-faults": 6, "alignment-faults": 7, "emulation-faults": 8,
} as const;

/** Hardware events by their perf(1) names (PERF_TYPE_HARDWARE configs). */
export const HARDWARE_EVENTS = {
  "cycles": 0, "instructions": 1, "cache-references": 2, "cache-misses": 3, "branch-instructions": 4, "branch-misses": 5,
  "bus-cycles": 6, "stalled-cycles-frontend": 7, "stalled-cycles-backend": 8, "ref-cycles": 9,
} as const;

/** A perf(1) event name, or a raw type/config pair. */
export type PerfEventName = keyof typeof SOFTWARE_EVENTS | keyof typeof HARDWARE_EVENTS;

/** Options of {@link attachPerfEvent}: exactly one of frequency and period. */
export interface PerfEventOptions {
  /** The event: a perf(1) name ("cpu-clock", "cycles" …) or { type, config }. Default "cpu-clock". */
  event?: PerfEventName | { type: number; config: bigint | number; name?: string };
  /** Samples per second (per CPU). */
  frequency?: number;
  /** One sample every `period` events (nanoseconds for the clocks). */
  period?: bigint | number;
  /** CPUs to sample on (default: every online CPU). With `pid`, default: any CPU. */
  cpus?: readonly number[];
  /** Only this process (all its threads). */
  pid?: number;
  /** "auto" (default): perf_event BPF links, or PERF_EVENT_IOC_SET_BPF before 5.15. */
  method?: PerfAttachMethod;
}

function resolveEvent(e: PerfEventOptions["event"]): { type: number; config: bigint; name: string } {
  if (e === undefined) return { type: PerfType.SOFTWARE, config: BigInt(PerfSoftware.CPU_CLOCK), name: "cpu-clock" };
  if (typeof e === "string") {
    if (Object.hasOwn(SOFTWARE_EVENTS, e)) return { type: PerfType.SOFTWARE, config: BigInt(SOFTWARE_EVENTS[e as keyof typeof SOFTWARE_EVENTS]), name: e };
    if (Object.hasOwn(HARDWARE_EVENTS, e)) return { type: PerfType.HARDWARE, config: BigInt(HARDWARE_EVENTS[e as keyof typeof HARDWARE_EVENTS]), name: e };
    const known = [...Object.keys(SOFTWARE_EVENTS), ...Object.keys(HARDWARE_EVENTS)].join(", ");
    throw new InvalidArgumentError(`unknown perf event '${e}' (known: ${known}; or give { type, config })`, "event");
  }
  if (!Number.isInteger(e.type) || e.type < 0) throw new InvalidArgumentError(`event.type must be a perf type number, not ${e.type}`, "event");
  return { type: e.type, config: BigInt(e.config), name: e.name ?? `type ${e.type} config ${e.config}` };
}

/** The error for a hardware event the machine cannot count (a VM without a virtual PMU, usually). */
function noHardwareCounters(name: string, cause: BpfError): NotSupportedError {
  const cpuPmu = existsSync(`${PMU_DIR}/cpu`) ? "" : `; ${PMU_DIR}/cpu does not exist: no hardware PMU is exposed (a VM without a virtual PMU)`;
  return new NotSupportedError(`hardware perf event '${name}' on this machine (the CPU's counters are not available${cpuPmu}; software events such as cpu-clock work everywhere)`,
    undefined, { operation: "perf_event_open", ...(cause.errno !== undefined ? { errno: cause.errno } : {}), cause });
}

/**
 * Attaches a perf_event program to a sampling event on every online CPU (or
 * `cpus`, or one process with `pid`): the program runs at each sample, with
 * the interrupted context's registers (bpf_perf_event_data). Returns the
 * per-CPU links as one LinkGroup.
 * Errors: InvalidArgumentError (program type, neither or both of frequency
 * and period, unknown event or CPU), NotSupportedError (a hardware event
 * without hardware counters, naming it), PermissionError. Nothing stays open
 * on failure.
 */
export function attachPerfEvent(program: Program, options: PerfEventOptions = {}): LinkGroup {
  if (program.type !== ProgramType.PerfEvent) {
    throw new InvalidArgumentError(`program '${program.name}' is a ${programTypeName(program.type)} program; attachPerfEvent needs a perf_event program (SEC("perf_event"))`, "program");
  }
  if ((options.frequency === undefined) === (options.period === undefined)) {
    throw new InvalidArgumentError("give exactly one of frequency (samples per second) and period (events per sample)", "frequency");
  }
  if (options.frequency !== undefined && !(Number.isInteger(options.frequency) && options.frequency > 0)) {
    throw new InvalidArgumentError(`frequency must be a positive integer, not ${options.frequency}`, "frequency");
  }
  if (options.period !== undefined && !(BigInt(options.period) > 0n)) throw new InvalidArgumentError(`period must be positive, not ${options.period}`, "period");
  if (options.pid !== undefined && !(Number.isInteger(options.pid) && options.pid > 0)) throw new InvalidArgumentError(`pid must be a process id, not ${options.pid}`, "pid");
  const event = resolveEvent(options.event);
  const online = onlineCpus();
  const cpus = options.cpus ?? (options.pid !== undefined ? [-1] : online);
  const bad = cpus.find((c) => !(c === -1 && options.pid !== undefined) && !online.includes(c));
  if (bad !== undefined) throw new InvalidArgumentError(`CPU ${bad} is not online (online: ${online.join(",")})`, "cpus");
  const rate = options.frequency !== undefined ? `${options.frequency} Hz` : `period ${options.period}`;

  const links: Link[] = [];
  try {
    for (const cpu of cpus) {
      let fd;
      try {
        fd = perfEventOpen({
          type: event.type, config: event.config, cpu, pid: options.pid ?? -1,
          ...(options.frequency !== undefined ? { sampleFreq: options.frequency } : { samplePeriod: BigInt(options.period!) }),
        });
      } catch (e) {
        if (event.type === PerfType.HARDWARE && e instanceof BpfError && [ENOENT, ENODEV, EOPNOTSUPP].includes(e.errno ?? 0)) throw noHardwareCounters(event.name, e);
        throw e;
      }
      const where = options.pid !== undefined ? `pid ${options.pid}${cpu === -1 ? "" : ` cpu ${cpu}`}` : `cpu ${cpu}`;
      links.push(attachToPerfEvent(program, fd, { target: `perf_event ${event.name} ${rate} on ${where}`, method: options.method }));
    }
  } catch (e) {
    for (const link of links) link.close();
    throw e;
  }
  return new LinkGroup(links);
}
