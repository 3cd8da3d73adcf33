// The waiting part of consume() shared by RingBuffer and RingBufferReader:
// watch one fd (a ring's, or an epoll fd over many) on the event loop and
// drain on every wake-up until the signal aborts, the reader closes or a
// callback throws. The drain itself (the hot path) stays with the caller.
import type { FD } from "../sys/fd.js";
import { watchReadable, type Watch } from "./readiness.js";

/** What consumeWhileReadable() needs from its reader. */
export interface ConsumeLoop {
  /** The fd to watch (level triggered: data already there brings the first wake-up at once). */
  fd: FD;
  /** The reader's name for errors. */
  what: string;
  signal: AbortSignal | undefined;
  /** The reader's running waits; close() calls each to end them. */
  cancels: Set<() => void>;
  /** Runs on each wake-up; a throw ends the loop and rejects the promise. */
  onReady: () => void;
  /** Runs once when the loop ends, before the promise settles (stop the drains, free the reader). */
  onEnd: () => void;
}

/** Resolves when `signal` aborts or a cancel runs; rejects with what `onReady` or the watch threw. */
export function consumeWhileReadable(loop: ConsumeLoop): Promise<void> {
  const { signal, cancels, onReady, onEnd } = loop;
  return new Promise<void>((resolve, reject) => {
    let done = false;
    let watch: Watch | undefined;
    const finish = (error?: unknown): void => {
      if (done) return;
      done = true;
      onEnd();
      watch?.stop();
      signal?.removeEventListener("abort", cancel);
      cancels.delete(cancel);
      if (error === undefined) resolve();
      else reject(error);
    };
    const cancel = (): void => finish();
    const ready = (): void => {
      try {
        onReady();
      } catch (e) {
        finish(e);
      }
    };
    try {
      watch = watchReadable(loop.fd, loop.what, ready, finish);
    } catch (e) {
      finish(e);
      return;
    }
    signal?.addEventListener("abort", cancel, { once: true });
    cancels.add(cancel);
  });
}
