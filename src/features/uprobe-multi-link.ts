// Whether the kernel has uprobe_multi links (Linux 6.6) with process-wide pid
// filtering. The collection loader asks this before loading SEC("usdt")
// programs: the choice between one uprobe_multi link and a uprobe per site is
// fixed by the program's expected attach type at load time, long before the
// attach knows its pid, so — like libbpf — a kernel whose first uprobe_multi
// release filtered by thread rather than by process counts as "no".
import { Attr, stableBytes } from "../sys/attr.js";
import { Cmd, LinkCreateAttr } from "../sys/layouts.js";
import { bpfRaw, closeRaw } from "../sys/syscall.js";
import { EBADF, EINVAL } from "../sys/errno.js";
import { AttachType, ProgramType } from "../program/types.js";
import { encodeProbe, RETURN_ZERO } from "./probe-insns.js";
import { probeLoad } from "./probe-load.js";
import { SUPPORTED, unsupported, type ProbeResult } from "./result.js";

/** The first kernel with uprobe_multi links. */
export const UPROBE_MULTI_LINK_MIN_KERNEL = "6.6";

/** pid -1 (as the u32 the attr holds): no process has it. */
const INVALID_PID = 0xffffffff;

/** The errno of BPF_LINK_CREATE uprobe_multi on "/" (a directory, so never a probe target) at offset 0. */
function linkErrno(progFd: number, pid: number): number {
  const path = stableBytes(2); // "/\0"
  path[0] = 0x2f;
  const offsets = stableBytes(8); // one offset, 0
  const attr = new Attr(LinkCreateAttr);
  attr.set("prog_fd", progFd).set("attach_type", AttachType.TraceUprobeMulti)
    .setPointer("uprobe_multi_path", path).setPointer("uprobe_multi_offsets", offsets)
    .set("uprobe_multi_cnt", 1).set("uprobe_multi_pid", pid);
  const r = bpfRaw(Cmd.LINK_CREATE, attr.address, attr.size);
  if (r >= 0) {
    closeRaw(r);
    return 0;
  }
  return -r;
}

function probe(): ProbeResult {
  const load = probeLoad({
    type: ProgramType.Kprobe, insns: encodeProbe(RETURN_ZERO), expectedAttachType: AttachType.TraceUprobeMulti, keepOpen: true,
  });
  if (load.fd === undefined) return unsupported(load.errno, "could not load a kprobe program for uprobe_multi");
  try {
    // A kernel with the link type gets as far as opening the path and refuses the directory.
    const errno = linkErrno(load.fd, 0);
    if (errno !== EBADF) return unsupported(errno, `no uprobe_multi links (Linux ${UPROBE_MULTI_LINK_MIN_KERNEL})`);
    // Kernels that filter by process check the pid before the path: pid -1 is EINVAL there, EBADF on the first release.
    const pidErrno = linkErrno(load.fd, INVALID_PID);
    if (pidErrno !== EINVAL) return unsupported(pidErrno, "these uprobe_multi links filter by thread, not process (a later fix, also in stable kernels)");
    return SUPPORTED;
  } finally {
    closeRaw(load.fd);
  }
}

let cached: ProbeResult | undefined;

/** Probes uprobe_multi link support (cached per process). */
export function probeUprobeMultiLink(): ProbeResult {
  cached ??= probe();
  return cached;
}

/** True when USDT programs can be loaded for one uprobe_multi link over all their sites. */
export function haveUprobeMultiLink(): boolean {
  return probeUprobeMultiLink().supported;
}
