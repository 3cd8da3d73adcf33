// The producer thread of bench/events-consumer.ts (and of the events tests):
// runs a program of test/fixtures/events/producer.bpf.o with
// BPF_PROG_TEST_RUN, repeat = records, in a worker thread, so that a consumer
// on the main thread's event loop competes with it as libbpf's consumer
// competes with its producer thread. The worker starts idle (its start-up
// must not overlap the measurement): each message { programId, records }
// runs once and is answered with { startNs, ns } or { error }; a message
// { programId: 0 } ends the worker.
import { parentPort } from "node:worker_threads";
import { Program } from "../src/program.js";

/** One production run. */
export interface ProducerTask {
  /** Id of the loaded producer program (the worker opens its own fd); 0 ends the worker. */
  readonly programId: number;
  /** Runs, one record each. */
  readonly records: number;
}

/** The worker's answer. */
export interface ProducerResult {
  /** When the test run started (process.hrtime.bigint(), the same clock in every thread). */
  readonly startNs?: bigint;
  /** How long the test run took. */
  readonly ns?: number;
  readonly error?: string;
}

parentPort?.on("message", (task: ProducerTask) => {
  if (task.programId === 0) {
    parentPort?.close();
    return;
  }
  let result: ProducerResult;
  try {
    using program = Program.fromId(task.programId);
    const t0 = process.hrtime.bigint();
    program.testRun({ data: new Uint8Array(64), dataOutSize: 0, repeat: task.records });
    result = { startNs: t0, ns: Number(process.hrtime.bigint() - t0) };
  } catch (e) {
    result = { error: e instanceof Error ? e.message : String(e) };
  }
  parentPort?.postMessage(result);
});
