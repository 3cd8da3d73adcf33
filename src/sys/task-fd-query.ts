// BPF_TASK_FD_QUERY (Linux 4.18): what BPF program another process's fd runs
// and where — a perf event with a program attached (tracepoint, kprobe,
// uprobe) or a raw tracepoint — as `bpftool perf show` reports it.
import { closeSync, openSync } from "node:fs";
import { Attr, stableBytes } from "./attr.js";
import { readCString } from "./cstring.js";
import { Cmd, TaskFdQueryAttr } from "./layouts.js";
import { bpfRaw } from "./syscall.js";
import { errorFromErrno } from "./errors.js";
import { ENOTSUPP } from "./errno.js";

/** enum bpf_task_fd_type. */
export const TaskFdType = {
  RAW_TRACEPOINT: 0, TRACEPOINT: 1, KPROBE: 2, KRETPROBE: 3, UPROBE: 4, URETPROBE: 5,
} as const;

/** What one (pid, fd) runs. */
export interface TaskFdInfo {
  progId: number;
  /** {@link TaskFdType}. */
  fdType: number;
  /** Tracepoint name, kprobe function or uprobe file (empty for a kprobe given by address). */
  name: string;
  probeOffset: bigint;
  probeAddr: bigint;
}

/** PATH_MAX: the longest name the kernel reports (uprobe file names). */
const NAME_MAX = 4096;
const attr = new Attr(TaskFdQueryAttr);
const nameBuf = stableBytes(NAME_MAX);

function query(pid: number, fd: number): number {
  attr.zero().set("pid", pid).set("fd", fd).set("buf_len", NAME_MAX).setPointer("buf", nameBuf);
  nameBuf[0] = 0;
  return bpfRaw(Cmd.TASK_FD_QUERY, attr.address, attr.size);
}

/**
 * Checks that this process may query fds (CAP_SYS_ADMIN, a kernel with the
 * command): the query of an fd that is no BPF attachment must fail with
 * ENOTSUPP, as bpftool probes it; anything else is thrown as a typed error.
 */
export function checkTaskFdQuery(): void {
  const fd = openSync("/", "r");
  try {
    const r = query(process.pid, fd);
    if (r >= 0 || -r === ENOTSUPP) return;
    throw errorFromErrno(-r, "BPF_TASK_FD_QUERY", "probe on a directory fd (needs CAP_SYS_ADMIN and Linux 4.18)");
  } finally {
    closeSync(fd);
  }
}

/**
 * Queries fd `fd` of process `pid`; undefined when it is no BPF attachment
 * (most fds of every process) or cannot be queried (the process or fd went
 * away, or the kernel refused that task), as bpftool skips them.
 */
export function taskFdQuery(pid: number, fd: number): TaskFdInfo | undefined {
  if (query(pid, fd) < 0) return undefined;
  return {
    progId: attr.get("prog_id"), fdType: attr.get("fd_type"), name: readCString(nameBuf),
    probeOffset: attr.getBig("probe_offset"), probeAddr: attr.getBig("probe_addr"),
  };
}
