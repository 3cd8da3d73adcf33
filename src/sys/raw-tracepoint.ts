// BPF_RAW_TRACEPOINT_OPEN: attaches raw_tp programs by tracepoint name, and
// tp_btf / fentry / fexit / fmod_ret / lsm programs (whose target was fixed
// at load time by attach_btf_id) without a name.
import { Attr, stableBytes } from "./attr.js";
import { Cmd, RawTracepointOpenAttr } from "./layouts.js";
import { bpfRaw } from "./syscall.js";
import { FD } from "./fd.js";
import { ENOENT } from "./errno.js";
import { NotFoundError } from "./errors.js";
import { attachError } from "./attach-errors.js";

const attr = new Attr(RawTracepointOpenAttr);
const encoder = new TextEncoder();

/**
 * Opens a raw tracepoint link (Linux 4.17; tracing programs without a name
 * 5.5; `cookie` 6.10). `name` is the tracepoint ("sys_enter", "sched_switch"),
 * or null for programs whose target was chosen at load. Returns the link fd:
 * the program runs until it is closed.
 */
export function rawTracepointOpen(progFd: FD, name: string | null, cookie?: bigint): FD {
  let nameBytes: Uint8Array | undefined;
  if (name !== null) {
    const b = encoder.encode(name);
    nameBytes = stableBytes(b.length + 1);
    nameBytes.set(b);
  }
  attr.zero().set("prog_fd", progFd.raw).setPointer("name", nameBytes);
  if (cookie !== undefined) attr.set("cookie", cookie);
  const r = bpfRaw(Cmd.RAW_TRACEPOINT_OPEN, attr.address, attr.size);
  if (r < 0) {
    if (-r === ENOENT && name !== null) {
      throw new NotFoundError(
        `BPF_RAW_TRACEPOINT_OPEN: no raw tracepoint named '${name}' (see /sys/kernel/tracing/available_events; ` +
          "raw tracepoints use the bare event name, e.g. 'sys_enter' or 'sched_switch')",
        { operation: "BPF_RAW_TRACEPOINT_OPEN", errno: ENOENT },
      );
    }
    throw attachError(-r, { operation: "BPF_RAW_TRACEPOINT_OPEN", target: name ?? undefined, attr });
  }
  return new FD(r, "raw tracepoint link fd");
}
