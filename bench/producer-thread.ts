// Drives bench/events-producer.ts from the main thread: a worker started once
// (and waited for), then runs on demand, each resolving with the producer's
// start time and duration.
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import type { ProducerResult, ProducerTask } from "./events-producer.js";

/** A started producer worker; `close()` ends it. */
export class ProducerThread {
  readonly #worker: Worker;

  private constructor(worker: Worker) {
    this.#worker = worker;
  }

  /** Starts the worker and waits until it runs (no profiler flags: a SIGPROF would cut the test run short with EINTR). */
  static async start(): Promise<ProducerThread> {
    const worker = new Worker(new URL("./events-producer.js", import.meta.url), { execArgv: [] });
    await once(worker, "online");
    return new ProducerThread(worker);
  }

  /** Runs the program `records` times in the worker; resolves with when the run started and its duration in ns. */
  async run(programId: number, records: number): Promise<{ startNs: bigint; ns: number }> {
    const answer = once(this.#worker, "message") as Promise<[ProducerResult]>;
    this.#worker.postMessage({ programId, records } satisfies ProducerTask);
    const [result] = await answer;
    if (result.error !== undefined) throw new Error(`producer: ${result.error}`);
    return { startNs: result.startNs ?? 0n, ns: result.ns ?? 0 };
  }

  /** Ends the worker. */
  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}
