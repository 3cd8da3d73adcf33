// Perf event arrays: bpf_perf_event_output writes a record to a slot (a CPU's
// perf buffer). The records are collected for the test. By default every
// slot has a reader, as if user space had opened a PerfBuffer, so a test sees
// what a program output without opening anything; with `readersAttached`
// false, a slot holds a reader only after an update stores a perf event fd,
// and output to an empty slot is -ENOENT, as in the kernel. User-space updates store the given fd number, which the
// machine cannot check; lookups are not supported, as in the kernel.
import * as E from "../../sys/errno.js";
import type { MapSpec } from "../../map/spec.js";
import { FdArrayVmMap } from "./fd-array.js";
import type { VmEventRecord, VmMapHost, VmPerfEventArrayOps } from "./types.js";

/** perf_event_array. */
export class PerfEventArrayVmMap extends FdArrayVmMap<number> implements VmPerfEventArrayOps {
  #records: VmEventRecord[] = [];

  /** A max_entries of 0 means one slot per CPU (as libbpf does). */
  constructor(spec: MapSpec, host: VmMapHost) {
    super(spec.maxEntries === 0 ? { ...spec, maxEntries: host.cpus } : spec, host);
  }

  protected resolve(fd: number): number {
    return fd;
  }

  protected sysLookup(): number {
    return -E.ENOTSUPP;
  }

  /** Whether every slot has a reader (default); false: only slots given an fd by update. */
  readersAttached = true;

  output(cpu: number, data: Uint8Array): number {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.maxEntries) return -E.E2BIG;
    if (!this.readersAttached && this.slots[cpu] === undefined) return -E.ENOENT;
    this.#records.push({ data: data.slice(), cpu });
    return 0;
  }

  /** Records output so far, oldest first (copies; kept until drain()). */
  records(): VmEventRecord[] {
    return this.#records.map((r) => ({ data: r.data.slice(), cpu: r.cpu }));
  }

  /** Takes the records output so far, oldest first. */
  drain(): VmEventRecord[] {
    const out = this.#records;
    this.#records = [];
    return out;
  }
}
