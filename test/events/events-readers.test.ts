// The event readers on the real kernel with test/fixtures/events/producer.bpf.o:
// every record a program writes arrives once and in order (batch and simple
// callbacks, several rings on one reader), a consumer on the event loop keeps
// up with a producer thread where libbpf's does, and the perf buffer
// accounts for every sample it could not take (received + lost = produced).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { setImmediate as nextTurn } from "node:timers/promises";
import { Collection, loadObjectSpec, PerfBuffer, RingBuffer, RingBufferReader } from "../../src/index.js";
import { ProducerThread } from "../../bench/producer-thread.js";
import { PRODUCER_OBJECT, runLibbpfConsumer, runTsbpfConsumer } from "../../bench/events.js";
import { cToolchainProblem } from "../../bench/c-harness.js";
import { missingOracle } from "../util/environment.js";

const TAG = 0x7473627066n;
/** Indexes of the fixture's `counters` array. */
const Counter = { SEQ: 0, DROPPED: 1, SEQ2: 2, DROPPED2: 3, PERF_SEQ: 4, PERF_DROPPED: 5 } as const;

function counter(objects: Collection, which: number): number {
  const v = objects.map("counters").lookup(new Uint8Array(Uint32Array.of(which).buffer));
  return Number(new DataView(v.buffer, v.byteOffset).getBigUint64(0, true));
}

function run(objects: Collection, program: string, times: number): void {
  objects.program(program).testRun({ data: new Uint8Array(64), dataOutSize: 0, repeat: times });
}

function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

/** Checks records { seq, tag } arrive as 0, 1, 2 … with the expected tag. */
class SeqCheck {
  next = 0;
  bad = 0;
  constructor(readonly tag: bigint) {}
  see(view: DataView, offset: number, length: number): void {
    if (length !== 16 || view.getBigUint64(offset, true) !== BigInt(this.next) || view.getBigUint64(offset + 8, true) !== this.tag) this.bad++;
    this.next++;
  }
}

test("pollBatch and consumeBatch hand out every record in order, in a writable reused copy", { timeout: 30_000 }, async () => {
  const before = openFds();
  {
    using objects = Collection.load(loadObjectSpec(PRODUCER_OBJECT));
    using ring = new RingBuffer(objects.map("ring"));
    const check = new SeqCheck(TAG);
    let buffers = new Set<ArrayBufferLike>();
    run(objects, "produce_ring", 10_000);
    const n = ring.pollBatch((view, offset, length, bytes) => {
      assert.equal(bytes.buffer, view.buffer);
      bytes[offset] ^= 0xff; // a copy: writing it harms nothing
      bytes[offset] ^= 0xff;
      buffers.add(view.buffer);
      check.see(view, offset, length);
    });
    assert.equal(n, 10_000);
    assert.equal(check.next, 10_000);
    assert.equal(check.bad, 0);
    assert.equal(buffers.size, 1, "one reused buffer, no allocation per record");

    // The waiting reader: records written while it runs, through wrap-around (4 MiB ring, 24 bytes a record).
    const controller = new AbortController();
    buffers = new Set();
    const done = ring.consumeBatch((view, offset, length) => {
      check.see(view, offset, length);
      buffers.add(view.buffer);
      if (check.next === 10_000 + 400_000) controller.abort();
    }, { signal: controller.signal });
    for (let i = 0; i < 4; i++) {
      run(objects, "produce_ring", 100_000);
      while (check.next < 10_000 + (i + 1) * 100_000) await nextTurn();
    }
    await done;
    assert.equal(check.next, 410_000);
    assert.equal(check.bad, 0);
    assert.equal(counter(objects, Counter.DROPPED), 0);
    assert.equal(buffers.size, 1);
  }
  assert.equal(openFds(), before, "no fd left behind");
});

test("RingBufferReader reads several rings through one epoll fd, each with its own callback", { timeout: 30_000 }, async () => {
  const before = openFds();
  {
    using objects = Collection.load(loadObjectSpec(PRODUCER_OBJECT));
    const loaded = openFds();
    const first = new SeqCheck(TAG);
    const second: bigint[] = [];
    using reader = new RingBufferReader()
      .addBatch(objects.map("ring"), (view, offset, length) => first.see(view, offset, length))
      .add(objects.map("ring2"), (record) => {
        const v = new DataView(record.buffer, record.byteOffset, record.byteLength);
        assert.equal(v.getBigUint64(8, true), TAG + 1n);
        second.push(v.getBigUint64(0, true));
      });
    assert.equal(reader.rings, 2);
    assert.equal(openFds(), loaded + 3, "an fd per ring and one epoll fd");

    run(objects, "produce_ring", 1000);
    run(objects, "produce_ring2", 500);
    assert.equal(reader.poll(), 1500);

    const controller = new AbortController();
    const done = reader.consume({ signal: controller.signal });
    run(objects, "produce_ring2", 700); // ring2 alone first: the one watcher must see it
    while (second.length < 1200) await nextTurn();
    run(objects, "produce_ring", 3000);
    while (first.next < 4000) await nextTurn();
    controller.abort();
    await done;
    assert.equal(first.bad, 0);
    assert.equal(first.next, 4000);
    assert.deepEqual(second, Array.from({ length: 1200 }, (_, i) => BigInt(i)));
    assert.equal(counter(objects, Counter.DROPPED2), 0);
    reader.close();
    assert.throws(() => reader.poll(), /closed/);
  }
  assert.equal(openFds(), before, "no fd left behind");
});

test("a ring buffer consumer on the event loop loses no record of a modest flood from another thread, as libbpf's loses none", { timeout: 120_000 }, async (t) => {
  // The oracle first: libbpf's consumer with its producer thread, same program, same count.
  const problem = cToolchainProblem();
  if (problem !== undefined) {
    missingOracle(t, "libbpf-dev", problem);
    return;
  }
  const workload = { mode: "ring", records: 200_000 } as const;
  const libbpf = runLibbpfConsumer(workload);
  assert.equal(libbpf.lost, 0, "libbpf's consumer keeps up with this workload");
  const tsbpf = runTsbpfConsumer(workload);
  assert.equal(tsbpf.produced, 200_000);
  assert.equal(tsbpf.lost, libbpf.lost);
  assert.equal(tsbpf.received, tsbpf.produced);
  assert.equal(tsbpf.out_of_order, 0);

  // And in this process, with the simple callback and a producer thread.
  using objects = Collection.load(loadObjectSpec(PRODUCER_OBJECT));
  using ring = new RingBuffer(objects.map("ring"));
  const check = new SeqCheck(TAG);
  const controller = new AbortController();
  const done = ring.consume((record) => check.see(new DataView(record.buffer, record.byteOffset), 0, record.byteLength), { signal: controller.signal });
  const producer = await ProducerThread.start();
  try {
    await producer.run(objects.program("produce_ring").id, 150_000);
  } finally {
    await producer.close();
  }
  while (check.next + counter(objects, Counter.DROPPED) < 150_000) await nextTurn();
  controller.abort();
  await done;
  assert.equal(counter(objects, Counter.DROPPED), 0);
  assert.equal(check.next, 150_000);
  assert.equal(check.bad, 0);
});

test("the perf buffer reports what it lost: received + lost = produced, and the lost count matches the program's", { timeout: 30_000 }, async () => {
  const before = openFds();
  {
    using objects = Collection.load(loadObjectSpec(PRODUCER_OBJECT));
    const lostReports: { cpu: number; lost: number }[] = [];
    // One page per CPU: 128 samples of 32 bytes; 2,000 written at once overflow it.
    using perf = new PerfBuffer(objects.map("events"), { pages: 1, onLost: (cpu, lost) => lostReports.push({ cpu, lost }) });
    let received = 0;
    const perCpu = new Map<number, number>();
    const onSample = (cpu: number, view: DataView, offset: number, length: number): void => {
      assert.equal(length, 20, "16 bytes and the kernel's 4 bytes of padding");
      assert.equal(view.getBigUint64(offset + 8, true), TAG);
      const seq = Number(view.getBigUint64(offset, true));
      assert.ok(seq >= (perCpu.get(cpu) ?? 0), "in order on each CPU");
      perCpu.set(cpu, seq + 1);
      received++;
    };
    run(objects, "produce_perf", 2000);
    perf.pollBatch(onSample);
    // The kernel writes PERF_RECORD_LOST once the ring has room again: at the next sample.
    run(objects, "produce_perf", 1);
    perf.pollBatch(onSample);
    const produced = counter(objects, Counter.PERF_SEQ);
    assert.equal(produced, 2001);
    assert.ok(perf.lost > 0, "samples were lost");
    assert.equal(received + perf.lost, produced);
    assert.equal(perf.lost, counter(objects, Counter.PERF_DROPPED), "the kernel's count is the program's failed outputs");
    assert.equal(lostReports.reduce((s, r) => s + r.lost, 0), perf.lost);

    // The waiting reader with the simple callback gets the rest.
    const controller = new AbortController();
    let more = 0;
    const done = perf.consume((_cpu, data) => {
      assert.equal(data.byteLength, 20);
      if (++more === 50) controller.abort();
    }, { signal: controller.signal });
    run(objects, "produce_perf", 50);
    await done;
    assert.equal(more, 50);
  }
  assert.equal(openFds(), before, "no fd left behind");
});
