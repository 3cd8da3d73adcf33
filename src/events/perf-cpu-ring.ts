// One CPU's share of a perf buffer: a BPF output perf event bound to that
// CPU, its mmap()ed ring, and the slot of the perf event array that points
// bpf_perf_event_output(…, BPF_F_CURRENT_CPU, …) on that CPU at it.
import type { BpfMap } from "../map.js";
import type { FD } from "../sys/fd.js";
import { InvalidArgumentError } from "../sys/errors.js";
import { perfEventDisable, perfEventEnable, perfEventOpen, PerfSample, PerfSoftware, PerfType } from "../sys/perf-event.js";
import { PerfRing } from "./perf-ring.js";

/** How often the kernel wakes the reader, and what samples carry (see PerfBufferOptions). */
export interface WakeupSettings {
  wakeupEvents?: number;
  wakeupWatermark?: number;
  /** Samples carry the kernel's time stamp (PERF_SAMPLE_TIME). */
  timestamps?: boolean;
}

function cpuKey(cpu: number): Uint8Array {
  return new Uint8Array(Uint32Array.of(cpu).buffer);
}

/** The event, ring and map slot of one CPU; `close()` undoes all three. */
export class CpuRing {
  readonly cpu: number;
  /** The key of the map slot that points at this CPU's event. */
  readonly key: number;
  readonly ring: PerfRing;
  readonly #fd: FD;
  readonly #map: BpfMap;
  #inMap = false;
  #closed = false;

  /**
   * Opens the event (disabled), maps `dataPages` pages of ring, stores the
   * event in `map` at `key` (usually the CPU) and enables it. On failure
   * nothing is left open or stored.
   */
  constructor(map: BpfMap, cpu: number, key: number, dataPages: number, wakeup: WakeupSettings, what: string) {
    if (key >= map.maxEntries) {
      throw new InvalidArgumentError(
        `${what}: the perf event array has ${map.maxEntries} entries but CPU ${cpu} needs key ${key}; ` +
          "create the map with maxEntries 0 (one entry per possible CPU)",
        "maxEntries",
      );
    }
    this.cpu = cpu;
    this.key = key;
    this.#map = map;
    this.#fd = perfEventOpen({
      type: PerfType.SOFTWARE,
      config: PerfSoftware.BPF_OUTPUT,
      sampleType: wakeup.timestamps ? PerfSample.RAW | PerfSample.TIME : PerfSample.RAW,
      samplePeriod: 1,
      wakeupEvents: wakeup.wakeupWatermark === undefined ? (wakeup.wakeupEvents ?? 1) : undefined,
      wakeupWatermark: wakeup.wakeupWatermark,
      bits: { disabled: true },
      pid: -1,
      cpu,
    });
    try {
      this.ring = new PerfRing(this.#fd, dataPages, `${what} on CPU ${cpu}`, wakeup.timestamps ?? false);
    } catch (e) {
      this.#fd.close();
      throw e;
    }
    try {
      map.update(cpuKey(key), this.#fd);
      this.#inMap = true;
      perfEventEnable(this.#fd);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** The perf event fd, for readiness watches. */
  get fd(): FD {
    return this.#fd;
  }

  /** Removes the map slot, disables the event, unmaps the ring and closes the fd. Idempotent; never throws. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#inMap) {
      // Best effort: the map may already be gone; a missing slot is fine too.
      try {
        this.#map.tryDelete(cpuKey(this.key));
      } catch {
        /* nothing more to undo */
      }
    }
    try {
      perfEventDisable(this.#fd);
    } catch {
      /* closing the fd below stops the event anyway */
    }
    this.ring.unmap();
    this.#fd.close();
  }
}
