// Time, randomness, the CPU and the current task: each helper reads the
// VmKernel field the test controls (kernel.clock, kernel.random, kernel.cpu,
// kernel.task), so a program's view of them is deterministic by default.
import type { VmHelperTable } from "../helpers.js";
import { bytesAt, u32 } from "./access.js";
import type { VmKernel } from "./state.js";

/** Clock ticks per second behind bpf_jiffies64 (CONFIG_HZ of Debian's kernels). */
export const VM_HZ = 250;
const NS_PER_JIFFY = BigInt(1_000_000_000 / VM_HZ);
/** The kernel's TASK_COMM_LEN: comm is at most 15 bytes and a NUL. */
const TASK_COMM_LEN = 16;

const encoder = new TextEncoder();

/** ktime_get_*_ns, jiffies64, get_prandom_u32, CPU/NUMA ids and the get_current_* helpers. */
export function taskHelpers(kernel: VmKernel): VmHelperTable {
  const now = (): bigint => BigInt.asUintN(64, kernel.clock());
  return {
    // One clock for every time base: tests control time through kernel.clock alone.
    ktime_get_ns: now,
    ktime_get_boot_ns: now,
    ktime_get_coarse_ns: now,
    ktime_get_tai_ns: now,
    jiffies64: () => now() / NS_PER_JIFFY,
    get_prandom_u32: () => kernel.random() >>> 0,
    get_smp_processor_id: () => kernel.cpu,
    get_numa_node_id: () => 0,
    get_current_pid_tgid: () => (BigInt(kernel.task.tgid >>> 0) << 32n) | BigInt(kernel.task.pid >>> 0),
    get_current_uid_gid: () => (BigInt(kernel.task.gid >>> 0) << 32n) | BigInt(kernel.task.uid >>> 0),
    get_current_cgroup_id: () => BigInt.asUintN(64, kernel.task.cgroupId),
    get_current_task: () => BigInt.asUintN(64, kernel.task.task),
    get_current_task_btf: () => BigInt.asUintN(64, kernel.task.task),
    // strscpy_pad: the name cut to size - 1 (and to 15 bytes), NUL-padded to size.
    get_current_comm: (ctx, buf, size) => {
      const dst = bytesAt(ctx, buf, u32(size), "write");
      const comm = encoder.encode(kernel.task.comm).subarray(0, Math.min(TASK_COMM_LEN - 1, Math.max(dst.byteLength - 1, 0)));
      dst.fill(0);
      dst.set(comm);
      return 0;
    },
  };
}
