// Streaming output for the CLI commands that run until Ctrl-C (`prog
// tracelog`, `map event_pipe`): the signals that stop them, and bpftool's
// shape for such output — plain lines as they come, or with -j one JSON array
// opened at the start, an element per event, closed when stopped.
import type { Output } from "./output.js";
import { bpftoolJson } from "./json-writer.js";

/** Aborts `controller` on SIGINT, SIGTERM or SIGHUP (and calls `onStop` once); returns the function that removes the handlers. */
export function stopOnSignals(controller: AbortController, onStop?: () => void): () => void {
  let stopped = false;
  const stop = (): void => {
    if (!stopped) onStop?.();
    stopped = true;
    controller.abort();
  };
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  for (const s of signals) process.on(s, stop);
  return () => {
    for (const s of signals) process.off(s, stop);
  };
}

/**
 * Text written as events arrive. Written out once per turn of the event
 * loop (not per event): a burst of events costs one write(2), which also keeps
 * a traced program that fires on write(2) from seeing one write per line.
 */
export class EventStream {
  readonly #out: Output;
  #first = true;
  #flushScheduled = false;

  constructor(out: Output) {
    this.#out = out;
    if (out.json) out.text("[");
  }

  /** One event: a line of text, or (with -j) one element of the JSON array. */
  event(text: string, json: unknown): void {
    if (this.#out.json) {
      this.#out.text(`${this.#first ? "" : ","}${bpftoolJson(json, this.#out.pretty)}`);
      this.#first = false;
    } else {
      this.#out.text(text);
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        this.#out.flush();
      });
    }
  }

  /** Closes the JSON array (and the line) and writes everything out. */
  end(): void {
    if (this.#out.json) this.#out.text("]\n");
    this.#out.flush();
  }
}
