// The kernel as a program run in the machine sees it: a clock, a random
// source, the CPU it runs on, the current task, trace_pipe, kernel and user
// memory for probe reads, the maps, and the packet. Every piece is a plain
// field the test sets, so a program's view of the world is deterministic
// unless the test asks otherwise. The kernel helpers (./helpers.ts) read it.
import type { AddressSpace } from "../memory.js";
import type { VmPacket } from "../context/packet.js";
import type { VmMapLookup } from "../maps/types.js";

/** The task a program runs on behalf of (bpf_get_current_*). */
export interface VmTask {
  /** Thread id (the kernel's pid): the low 32 bits of bpf_get_current_pid_tgid. */
  pid: number;
  /** Process id (the kernel's tgid): the high 32 bits. */
  tgid: number;
  uid: number;
  gid: number;
  /** Command name, at most 15 bytes (bpf_get_current_comm). */
  comm: string;
  /** cgroup v2 id (bpf_get_current_cgroup_id). */
  cgroupId: bigint;
  /** Address returned by bpf_get_current_task (0: none). */
  task: bigint;
}

/** One line a program printed with bpf_printk / bpf_trace_printk / bpf_trace_vprintk. */
export interface VmTraceLine {
  /** The formatted text, without a trailing newline. */
  readonly text: string;
  /** Slot index of the helper call. */
  readonly index: number;
}

/** Options of {@link VmKernel}. */
export interface VmKernelOptions {
  /** Number of CPUs (default 1). */
  cpus?: number;
  /** The first value of the clock, in ns (default 1_000_000_000n); each read advances it by `clockStep`. */
  clockStart?: bigint;
  /** Nanoseconds the clock advances per read (default 1000n; 0n freezes it). */
  clockStep?: bigint;
  /** Seed of the default random source (a 32-bit xorshift; default 1). */
  seed?: number;
}

/** The controllable kernel state of one machine. */
export class VmKernel {
  /** Number of CPUs. */
  readonly cpus: number;
  /** The CPU programs run on (0 ≤ cpu < cpus). */
  cpu = 0;
  /** bpf_ktime_get_ns and friends: returns the current time in ns. Replace it to control time. */
  clock: () => bigint;
  /** bpf_get_prandom_u32: returns an unsigned 32-bit number. Replace it to control randomness. */
  random: () => number;
  /** The current task. */
  readonly task: VmTask = { pid: 4242, tgid: 4242, uid: 0, gid: 0, comm: "tsbpf-vm", cgroupId: 1n, task: 0n };
  /** Lines printed with bpf_printk, in order. */
  readonly trace: VmTraceLine[] = [];
  /**
   * Memory bpf_probe_read_kernel(_str) may read: regions the test maps here
   * (a fault is -EFAULT for the program, not an error). By default the
   * machine's own memory.
   */
  kernelMemory: AddressSpace | undefined;
  /** Memory bpf_probe_read_user(_str) and bpf_copy_from_user may read (default: the machine's memory). */
  userMemory: AddressSpace | undefined;
  /** The packet of the current run, if the program's context has one. */
  packet: VmPacket | undefined;
  /** The maps programs reference. */
  maps: VmMapLookup = { mapAt: () => undefined };

  constructor(options: VmKernelOptions = {}) {
    const cpus = options.cpus ?? 1;
    if (!Number.isInteger(cpus) || cpus < 1 || cpus > 4096) throw new RangeError(`cpus must be an integer from 1 to 4096, got ${cpus}`);
    this.cpus = cpus;
    let now = options.clockStart ?? 1_000_000_000n;
    const step = options.clockStep ?? 1000n;
    this.clock = () => {
      const t = now;
      now += step;
      return t;
    };
    let x = (options.seed ?? 1) >>> 0 || 1;
    this.random = () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      return x;
    };
  }
}
