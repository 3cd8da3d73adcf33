// The loop of the ring-buffer tracers (bootstrap, execsnoop, opensnoop, runqslower):
// attach every program of the object, read map "events" until the tool is
// stopped (stopSignal: Ctrl-C, SIGTERM, a closed stdout, -d), detach —
// traceEvents for raw records, traceSkeleton for a generated skeleton's typed events.
import { Collection, RingBuffer, type Link, type Program, type RecordCallback } from "../../src/index.js";
import { stopSignal } from "./tool.js";

/**
 * Attaches each program of `objects` with `attach`, calls `started` (print the
 * header and "Tracing …"), then hands every record of ring buffer map
 * "events" to `onRecord` until stopped after `duration` seconds (0: at
 * Ctrl-C); every link is closed afterwards, also on failure.
 */
export async function traceEvents(objects: Collection, attach: (program: Program) => Link, duration: number, started: () => void, onRecord: RecordCallback): Promise<void> {
  const links: Link[] = [];
  const { signal, cleanup } = stopSignal(duration);
  try {
    for (const program of objects.programs.values()) links.push(attach(program));
    using ring = new RingBuffer(objects.map("events"));
    started();
    await ring.consume(onRecord, { signal });
  } finally {
    cleanup();
    for (const link of links) link.close();
  }
}

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
