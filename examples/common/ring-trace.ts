// The loop of the ring-buffer tracers (bootstrap, execsnoop, opensnoop,
// runqslower), over their generated skeletons: attach the programs, read the
// typed records of map "events" until the tool is stopped (stopSignal:
// Ctrl-C, SIGTERM, a closed stdout, -d), detach.
import { stopSignal } from "./tool.js";

/** What traceSkeleton needs of a generated skeleton's events reader (TypedRingBuffer). */
export interface EventReader<T> {
  consume(callback: (event: T) => void, options: { signal?: AbortSignal }): Promise<void>;
}

/**
 * The loop for a tool with a generated skeleton (`tsbpf gen skeleton`):
 * attach its programs by their SEC() names, call `started`, then hand every
 * decoded record of `events` to `onEvent` until stopped after `duration`
 * seconds (0: at Ctrl-C); detach afterwards, also on failure.
 */
export async function traceSkeleton<T>(skeleton: { attach(): { close(): void } }, events: EventReader<T>, duration: number, started: () => void, onEvent: (event: T) => void): Promise<void> {
  const { signal, cleanup } = stopSignal(duration);
  try {
    const attachment = skeleton.attach();
    try {
      started();
      await events.consume(onEvent, { signal });
    } finally {
      attachment.close();
    }
  } finally {
    cleanup();
  }
}
