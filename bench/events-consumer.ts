// tsbpf side of bench/events.ts, the counterpart of bench/c/event_consumer.c:
// a RingBuffer (or PerfBuffer) consumer on the main thread's event loop
// while a worker thread (bench/events-producer.ts) runs the producer program
// with BPF_PROG_TEST_RUN, repeat = records. Prints the same JSON line as the
// C harness.
//
//   node dist/bench/events-consumer.js <producer.bpf.o> ring|perf <records> [perf pages [warm-up rounds]] [--simple]
//
// Warm-up rounds (default 5, untimed) produce records in the main thread and
// drain them with poll, so the JIT has compiled the read path before the
// timed flood; the C harness does the same rounds.
// --simple reads with the per-record callback (consume()) instead of the
// batch interface, to show what the convenience costs.
import { setImmediate as nextTurn } from "node:timers/promises";
import { Collection, loadObjectSpec, PerfBuffer, RingBuffer } from "../src/index.js";
import { ProducerThread } from "./producer-thread.js";

const SEQ = 0;
const DROPPED = 1;
const PERF_SEQ = 4;
const PERF_DROPPED = 5;
const RECORD_SIZE = 16;
/** Records per warm-up round, as in bench/c/event_consumer.c. */
const WARMUP_RECORDS = 50_000;

interface Counts {
  received: number;
  nextSeq: number;
  outOfOrder: number;
  lostReported: number;
  /** process.hrtime.bigint() when the last record that wakes the consumer (seq % 1024 == 1023) arrived (as the C harness). */
  lastNs: bigint;
}

/** The low 32 bits of a record's little-endian seq, read without allocating (as the batch callback's getUint32). */
function lowWord(r: Uint8Array): number {
  return (r[0]! | (r[1]! << 8) | (r[2]! << 16) | (r[3]! << 24)) >>> 0;
}

function counter(objects: Collection, which: number): number {
  const value = objects.map("counters").lookup(new Uint8Array(Uint32Array.of(which).buffer));
  return Number(new DataView(value.buffer, value.byteOffset).getBigUint64(0, true));
}

async function main(argv: readonly string[]): Promise<void> {
  const [object, mode, recordsText, pagesText, warmupText] = argv.filter((a) => !a.startsWith("--"));
  const simple = argv.includes("--simple");
  if (object === undefined || (mode !== "ring" && mode !== "perf") || recordsText === undefined) {
    throw new Error("usage: events-consumer OBJECT ring|perf RECORDS [PERF_PAGES [WARMUP_ROUNDS]] [--simple]");
  }
  const records = Number(recordsText);
  const pages = Number(pagesText ?? 64);
  const warmup = Number(warmupText ?? 5);
  using objects = Collection.load(loadObjectSpec(object));
  const counts: Counts = { received: 0, nextSeq: 0, outOfOrder: 0, lostReported: 0, lastNs: 0n };
  const seen = (seq: number): void => {
    if (seq < counts.nextSeq) counts.outOfOrder++;
    counts.nextSeq = seq + 1;
    counts.received++;
    if ((seq & 1023) === 1023) counts.lastNs = process.hrtime.bigint();
  };
  const controller = new AbortController();
  const program = objects.program(mode === "ring" ? "produce_ring" : "produce_perf");
  let reading: Promise<void>;
  let drain: () => void;
  let close: () => void;
  if (mode === "ring") {
    const ring = new RingBuffer(objects.map("ring"));
    if (simple) {
      const onRecord = (r: Uint8Array): void => {
        if (r.byteLength === RECORD_SIZE) seen(lowWord(r));
      };
      reading = ring.consume(onRecord, { signal: controller.signal });
      drain = () => void ring.poll(onRecord);
    } else {
      // The sequence number's low 32 bits are enough to check order here (records < 2^32).
      const onRecord = (view: DataView, offset: number, length: number): void => {
        if (length === RECORD_SIZE) seen(view.getUint32(offset, true));
      };
      reading = ring.consumeBatch(onRecord, { signal: controller.signal });
      drain = () => void ring.pollBatch(onRecord);
    }
    close = () => ring.close();
  } else {
    const perf = new PerfBuffer(objects.map("events"), { pages, onLost: (_cpu, n) => (counts.lostReported += n) });
    if (simple) {
      const onRecord = (_cpu: number, r: Uint8Array): void => {
        if (r.byteLength >= RECORD_SIZE) seen(lowWord(r));
      };
      reading = perf.consume(onRecord, { signal: controller.signal });
      drain = () => void perf.poll(onRecord);
    } else {
      const onRecord = (_cpu: number, view: DataView, offset: number, length: number): void => {
        if (length >= RECORD_SIZE) seen(view.getUint32(offset, true));
      };
      reading = perf.consumeBatch(onRecord, { signal: controller.signal });
      drain = () => void perf.pollBatch(onRecord);
    }
    close = () => perf.close();
  }
  const warmupRecords = mode === "ring" ? WARMUP_RECORDS : Math.min(WARMUP_RECORDS, (pages * 4096) / 64);
  // Warm-up through the same path as the measurement (the waiting reader),
  // so that the JIT has seen every call site the flood will use.
  for (let round = 0; round < warmup; round++) {
    const expected = counts.received + warmupRecords;
    program.testRun({ data: new Uint8Array(64), dataOutSize: 0, repeat: warmupRecords });
    for (let turns = 0; counts.received < expected && turns < 10_000; turns++) await nextTurn();
  }
  const producer = await ProducerThread.start();
  const produced0 = counter(objects, mode === "ring" ? SEQ : PERF_SEQ);
  const lost0 = counter(objects, mode === "ring" ? DROPPED : PERF_DROPPED);
  counts.received = 0;
  counts.lostReported = 0;
  const run = producer.run(program.id, records);
  const { startNs, ns: producerNs } = await run;
  await producer.close();
  drain();
  // From the producer's first record to the last one read.
  const elapsed = Number((counts.lastNs > startNs ? counts.lastNs : process.hrtime.bigint()) - startNs);
  controller.abort();
  await reading;
  close();
  const produced = counter(objects, mode === "ring" ? SEQ : PERF_SEQ) - produced0;
  const lost = counter(objects, mode === "ring" ? DROPPED : PERF_DROPPED) - lost0;
  console.log(JSON.stringify({
    mode, produced, received: counts.received, lost, lost_reported: counts.lostReported,
    elapsed_ns: elapsed, producer_ns: producerNs, out_of_order: counts.outOfOrder,
  }));
}

await main(process.argv.slice(2));
