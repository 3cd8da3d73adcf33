// Readiness of an fd on the Node.js event loop (libuv's epoll, level
// triggered), through the native shim's watch(). Waiting never blocks the
// loop; a watcher keeps the process alive while it runs.
import { native, POLL_READABLE, type WatchHandle } from "../sys/native.js";
import { errorFromErrno } from "../sys/errors.js";
import type { FD } from "../sys/fd.js";

/** A running watch of one fd; `stop()` ends it (idempotent). */
export interface Watch {
  stop(): void;
}

/**
 * Calls `onReady` on the event loop each time `fd` is readable, or `onError`
 * once if polling fails. Only one watch per fd may run at a time (libuv).
 */
export function watchReadable(fd: FD, what: string, onReady: () => void, onError: (e: Error) => void): Watch {
  let handle: WatchHandle | undefined;
  const stop = (): void => {
    if (handle === undefined) return;
    native.unwatch(handle);
    handle = undefined;
  };
  const r = native.watch(fd.raw, POLL_READABLE, (status) => {
    if (handle === undefined) return;
    if (status < 0) {
      stop();
      onError(errorFromErrno(-status, "epoll", what));
      return;
    }
    onReady();
  });
  if (typeof r === "number") throw errorFromErrno(-r, "epoll watch", what);
  handle = r;
  return { stop };
}
