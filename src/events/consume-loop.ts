// The waiting part of consume() shared by RingBuffer, RingBufferReader and
// PerfBuffer: watch fds on the event loop and drain on every wake-up until
// the signal aborts, the reader closes or a callback throws. The drain
// itself (the hot path, per record) stays with the caller; this runs once
// per wake-up.
import type { FD } from "../sys/fd.js";
import { watchReadable } from "./readiness.js";

/** What consumeWhileReady() needs from its reader; `I` tells which of its rings woke up. */
export interface ConsumeLoop<I> {
  /** Starts the watch: `ready(i)` on each wake-up, `fail(e)` once if it breaks. Returns what stops it. */
  watch: (ready: (i: I) => void, fail: (e: Error) => void) => () => void;
  signal: AbortSignal | undefined;
  /** The reader's running waits; close() calls each to end them. */
  cancels: Set<() => void>;
  /** Drains after a wake-up; true asks for another visit on the next loop turn. A throw ends the loop and rejects. */
  onReady: (i: I) => boolean | void;
  /** Runs once when the loop ends, before the promise settles (stop the drains, free the reader). */
  onEnd: () => void;
}

/** Resolves when `signal` aborts or a cancel runs; rejects with what `onReady` or the watch threw. */
export function consumeWhileReady<I>(loop: ConsumeLoop<I>): Promise<void> {
  const { signal, cancels, onReady, onEnd } = loop;
  return new Promise<void>((resolve, reject) => {
    let done = false;
    let stopWatching: (() => void) | undefined;
    const finish = (error?: unknown): void => {
      if (done) return;
      done = true;
      onEnd();
      stopWatching?.();
      signal?.removeEventListener("abort", cancel);
      cancels.delete(cancel);
      if (error === undefined) resolve();
      else reject(error);
    };
    const cancel = (): void => finish();
    const ready = (i: I): void => {
      if (done) return;
      try {
        if (onReady(i) === true && !done) setImmediate(ready, i);
      } catch (e) {
        finish(e);
      }
    };
    try {
      stopWatching = loop.watch(ready, finish);
    } catch (e) {
      finish(e);
      return;
    }
    signal?.addEventListener("abort", cancel, { once: true });
    cancels.add(cancel);
  });
}

/** A ConsumeLoop watch of one fd (level triggered: data already there brings the first wake-up at once). */
export function watchOne(fd: FD, what: string): ConsumeLoop<void>["watch"] {
  return (ready, fail) => {
    const watch = watchReadable(fd, what, () => ready(), fail);
    return () => watch.stop();
  };
}
