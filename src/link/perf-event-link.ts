// The shared second half of perf-event based attachments (tracepoints,
// uprobes, kprobes): put the program on an open perf event with a perf_event
// BPF link (Linux 5.15), or PERF_EVENT_IOC_SET_BPF on older kernels, enable
// the event, and hand both fds to a Link.
import type { Program } from "../program/program.js";
import { AttachType } from "../program/types.js";
import { linkCreate } from "../sys/link.js";
import { perfEventEnable, perfEventSetBpf } from "../sys/perf-event.js";
import { BpfError, NotSupportedError } from "../sys/errors.js";
import { EINVAL, ENOTSUPP, EOPNOTSUPP } from "../sys/errno.js";
import type { FD } from "../sys/fd.js";
import { Link } from "./link.js";

/** How a program is put on a perf event. */
export type PerfAttachMethod = "auto" | "link" | "ioctl";

/** Errors of BPF_LINK_CREATE that mean "this kernel has no perf_event links", so the ioctl may work. */
export function noPerfLinks(e: unknown): boolean {
  return e instanceof BpfError && (e.errno === EINVAL || e.errno === EOPNOTSUPP || e.errno === ENOTSUPP);
}

/** Throws NotSupportedError when a cookie is asked for with the ioctl method (cookies need a link). */
export function checkCookieMethod(what: string, method: PerfAttachMethod, cookie: bigint | undefined): void {
  if (method === "ioctl" && cookie !== undefined) {
    throw new NotSupportedError(`bpf cookies on ${what} attached with PERF_EVENT_IOC_SET_BPF (they need a perf_event link)`, "5.15");
  }
}

/**
 * Attaches `program` to the open perf event `event` and returns a Link that
 * owns both. The event is closed (and `release` run) when this throws, so callers only open it.
 */
export function attachToPerfEvent(
  program: Program, event: FD, options: {
    target: string; method?: PerfAttachMethod | undefined; cookie?: bigint | undefined;
    /** Removes what the event was opened on (a legacy kprobe event), after the event is closed; also on failure. */
    release?: () => void;
  },
): Link {
  const method = options.method ?? "auto";
  let link: FD | undefined;
  try {
    if (method !== "ioctl") {
      try {
        link = linkCreate({
          progFd: program.fd, targetFd: event, attachType: AttachType.PerfEvent,
          ...(options.cookie !== undefined ? { perfEventCookie: options.cookie } : {}),
        });
      } catch (e) {
        if (method === "link" || options.cookie !== undefined || !noPerfLinks(e)) throw e;
      }
    }
    if (!link) perfEventSetBpf(event, program.fd);
    perfEventEnable(event);
    // Without a BPF link the perf event is the attachment: closing it detaches (detach() before close()).
    return new Link({
      ...(link ? { link } : { detach: () => event.close() }), others: [event], target: options.target,
      ...(options.release ? { release: options.release } : {}),
    });
  } catch (e) {
    link?.close();
    event.close();
    options.release?.();
    throw e;
  }
}
