// The loop of the ring-buffer tracers (bootstrap, execsnoop, runqslower):
// attach every program of the object, read map "events" until the tool is
// stopped (stopSignal: Ctrl-C, SIGTERM, a closed stdout, -d), detach.
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
