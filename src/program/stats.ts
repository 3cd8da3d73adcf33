// BPF_ENABLE_STATS: the kernel counts run time and run count of every
// program only while at least one stats fd is open (it costs a few ns per run).
import { Attr } from "../sys/attr.js";
import { Cmd, EnableStatsAttr } from "../sys/layouts.js";
import { bpfRaw } from "../sys/syscall.js";
import { FD } from "../sys/fd.js";
import { EINVAL } from "../sys/errno.js";
import { errorFromErrno, NotSupportedError } from "../sys/errors.js";

/** enum bpf_stats_type. */
export const StatsType = {
  /** run_time_ns and run_cnt in the program info (Linux 5.8). */
  RUN_TIME: 0,
} as const;

/**
 * Turns on run-time statistics for all programs until the returned FD is
 * closed (Linux 5.8; needs CAP_SYS_ADMIN). Read them with `program.info()`.
 */
export function enableStats(type: number = StatsType.RUN_TIME): FD {
  const attr = new Attr(EnableStatsAttr);
  attr.set("type", type);
  const r = bpfRaw(Cmd.ENABLE_STATS, attr.address, attr.size);
  if (r < 0) {
    if (-r === EINVAL) throw new NotSupportedError(`BPF_ENABLE_STATS type ${type}`, "5.8", { operation: "BPF_ENABLE_STATS", errno: EINVAL });
    throw errorFromErrno(-r, "BPF_ENABLE_STATS");
  }
  return new FD(r, "stats fd");
}
