// The producer thread of bench/events-consumer.ts (and of the events tests):
// runs one program of test/fixtures/events/producer.bpf.o with
// BPF_PROG_TEST_RUN, repeat = records, in a worker thread so that the
// consumer on the main thread's event loop competes with it as libbpf's
// consumer competes with its producer thread. Posts { ns } when done, or
// { error } if the run failed.
import { parentPort, workerData } from "node:worker_threads";
import { Program } from "../src/program.js";

/** What the worker is given. */
export interface ProducerTask {
  /** Id of the loaded producer program (the worker opens its own fd). */
  readonly programId: number;
  /** Runs, one record each. */
  readonly records: number;
}

const task = workerData as ProducerTask;
try {
  using program = Program.fromId(task.programId);
  const t0 = process.hrtime.bigint();
  program.testRun({ data: new Uint8Array(64), dataOutSize: 0, repeat: task.records });
  parentPort?.postMessage({ ns: Number(process.hrtime.bigint() - t0) });
} catch (e) {
  parentPort?.postMessage({ error: e instanceof Error ? e.message : String(e) });
}
