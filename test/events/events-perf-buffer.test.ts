// PerfBuffer on the real kernel: a raw tracepoint program run with
// BPF_PROG_TEST_RUN on a chosen CPU calls bpf_perf_event_output(ctx, map,
// BPF_F_CURRENT_CPU, payload, length) with what user space put in an array
// map; the reader must see exactly those records, from that CPU, in order,
// through wrap-around, with lost counts, on the event loop, and leave no fd,
// mapping or map slot behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { BpfMap, MapType } from "../../src/map.js";
import { Program, ProgramType } from "../../src/program.js";
import { ProgramBuilder, R0, R1, R2, R3, R4, R5, R6, R10 } from "../../src/asm/index.js";
import { BusyError, ClosedError, InvalidArgumentError } from "../../src/index.js";
import { onlineCpus } from "../../src/sys/index.js";
import { PerfBuffer } from "../../src/events/index.js";

const MAX_RECORD = 8192;
const CPUS = onlineCpus();

/** A perf event array plus the control map and program that write to it. */
class Writer implements Disposable {
  readonly events: BpfMap;
  readonly control: BpfMap;
  readonly program: Program;

  constructor(maxEntries = 0) {
    this.events = BpfMap.create({ type: MapType.PerfEventArray, keySize: 4, valueSize: 4, maxEntries, name: "tsbpf_pb" });
    this.control = BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 8 + MAX_RECORD, maxEntries: 1, name: "tsbpf_pb_ctl" });
    // control[0] = { u32 length; u32 pad; u8 payload[MAX_RECORD] }; returns
    // bpf_perf_event_output's result (0, or -errno when the ring is full).
    const insns = new ProgramBuilder()
      .mov64Reg(R6, R1)
      .stW(R10, -4, 0).mov64Reg(R2, R10).add64Imm(R2, -4).ldMapFd(R1, this.control.fd).call("map_lookup_elem")
      .jeqImm(R0, 0, "bad")
      .ldxW(R5, R0, 0)
      .jgtImm(R5, MAX_RECORD, "bad")
      .mov64Reg(R4, R0).add64Imm(R4, 8)
      .mov64Reg(R1, R6).ldMapFd(R2, this.events.fd)
      .mov32Imm(R3, -1) // BPF_F_CURRENT_CPU: 0xffffffff, zero-extended
      .call("perf_event_output")
      .exit()
      .label("bad").mov64Imm(R0, 0x7fff).exit()
      .build();
    this.program = Program.load({ type: ProgramType.RawTracepoint, instructions: insns, license: "GPL", name: "tsbpf_pb_write" });
  }

  /** Has the program output `payload` on `cpu`; returns the helper's result. */
  output(payload: Uint8Array, cpu = CPUS[0]!): number {
    const value = new Uint8Array(8 + MAX_RECORD);
    new DataView(value.buffer).setUint32(0, payload.byteLength, true);
    value.set(payload, 8);
    this.control.update(new Uint8Array(4), value);
    return this.program.testRun({ ctx: new Uint8Array(8), cpu }).retval | 0;
  }

  [Symbol.dispose](): void {
    this.program.close();
    this.control.close();
    this.events.close();
  }
}

/** A payload of `length` bytes that encodes `seed`. */
function payload(seed: number, length: number): Uint8Array {
  const p = new Uint8Array(length);
  for (let i = 0; i < length; i++) p[i] = (seed * 31 + i * 7) & 0xff;
  if (length >= 4) new DataView(p.buffer).setUint32(0, seed, true);
  return p;
}

/** Size of the record the reader sees for `length` bytes: the kernel pads u32 size + data to a multiple of 8. */
function paddedLength(length: number): number {
  return ((length + 4 + 7) & ~7) - 4;
}

/** The payload part of a record (the padding bytes are whatever the ring held: skipped, not zeroed). */
function unpad(data: Uint8Array, length: number): Uint8Array {
  assert.equal(data.byteLength, paddedLength(length));
  return data.slice(0, length);
}

function seedOf(r: Uint8Array): number {
  return new DataView(r.buffer, r.byteOffset, 4).getUint32(0, true);
}

function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

/** mmap()s of perf event fds in this process. */
function perfMappings(): number {
  return readFileSync("/proc/self/maps", "utf8").split("\n").filter((l) => l.includes("anon_inode:[perf_event]")).length;
}

test("records come back equal, in order, tagged with the CPU that wrote them", () => {
  using w = new Writer();
  using pb = new PerfBuffer(w.events);
  assert.deepEqual(pb.cpus, CPUS);
  assert.equal(pb.size, 8 * 4096);
  assert.deepEqual(pb.readAvailable(), []);

  const sent = [0, 1, 3, 4, 5, 12, 255, 511, 4000].map((len, i) => payload(i + 1, len));
  for (const p of sent) assert.equal(w.output(p, CPUS[0]), 0);
  assert.ok(pb.pending > 0);
  const seen: [number, Uint8Array][] = [];
  let i = 0;
  const n = pb.poll((cpu, data) => seen.push([cpu, unpad(data, sent[i++]!.byteLength)]));
  assert.equal(n, sent.length);
  assert.deepEqual(seen, sent.map((p) => [CPUS[0], p]));
  assert.equal(pb.pending, 0, "data_tail was published");
  assert.equal(pb.poll(() => assert.fail("nothing is left")), 0);

  // Every online CPU has its own ring; each record arrives on the CPU it was written on.
  for (const cpu of CPUS) assert.equal(w.output(payload(100 + cpu, 8), cpu), 0);
  const got = pb.readAvailable();
  assert.deepEqual(got.map((r) => r.cpu).sort(), [...CPUS].sort());
  for (const r of got) assert.deepEqual(unpad(r.data, 8), payload(100 + r.cpu, 8));
});

test("records larger than a page, and thousands of records wrapping round a one-page ring", () => {
  {
    using w = new Writer();
    using pb = new PerfBuffer(w.events, { pages: 4 });
    const big = [5000, 8192, 6001, 7777, 4097, 8000].map((len, i) => payload(i, len));
    const seen: Uint8Array[] = [];
    // 16 KiB per ring: reading after every record makes later ones cross its end.
    for (const p of big) {
      assert.equal(w.output(p), 0);
      pb.poll((_cpu, data) => seen.push(unpad(data, p.byteLength)));
    }
    assert.deepEqual(seen, big);
  }
  using w = new Writer();
  using pb = new PerfBuffer(w.events, { pages: 1 });
  assert.equal(pb.size, 4096);
  let expected = 0;
  const check = (cpu: number, data: Uint8Array): void => {
    assert.equal(cpu, CPUS[0]);
    const length = (expected * 37) % 300 + 4;
    assert.deepEqual(unpad(data, length), payload(expected, length), `record ${expected}`);
    expected++;
  };
  for (let i = 0; i < 3000; i++) {
    assert.equal(w.output(payload(i, (i * 37) % 300 + 4)), 0, `record ${i} fits`);
    if (i % 5 === 4) pb.poll(check);
  }
  pb.poll(check);
  assert.equal(expected, 3000);
  assert.equal(pb.lost, 0);
});

test("records dropped while the ring is full are reported to onLost", () => {
  using w = new Writer();
  const lostReports: [number, number][] = [];
  using pb = new PerfBuffer(w.events, { pages: 1, onLost: (cpu, lost) => lostReports.push([cpu, lost]) });
  const cpu = CPUS[CPUS.length - 1]!;
  const sent: number[] = [];
  let failed = 0;
  for (let i = 0; i < 20; i++) {
    const r = w.output(payload(i, 500), cpu);
    if (r === 0) sent.push(i);
    else failed++;
  }
  assert.ok(sent.length >= 6 && sent.length < 9, `about 4096 / 512 records fit (${sent.length})`);
  assert.equal(failed, 20 - sent.length);
  assert.deepEqual(pb.readAvailable().map((r) => seedOf(r.data)), sent);
  assert.deepEqual(lostReports, [], "the kernel reports the loss with the next record it writes");
  // Now there is room: the kernel writes a PERF_RECORD_LOST before this sample.
  assert.equal(w.output(payload(99, 16), cpu), 0);
  const after = pb.readAvailable();
  assert.deepEqual(after.map((r) => [r.cpu, unpad(r.data, 16)]), [[cpu, payload(99, 16)]]);
  assert.deepEqual(lostReports, [[cpu, failed]]);
  assert.equal(pb.lost, failed);
});

test("the async iterator wakes for records written later; AbortSignal ends it", { timeout: 20_000 }, async () => {
  using w = new Writer();
  using pb = new PerfBuffer(w.events);
  const controller = new AbortController();
  const sent = CPUS.flatMap((cpu) => [payload(10 + cpu, 10), payload(20 + cpu, 21)].map((p) => ({ cpu, p })));
  const got: { cpu: number; data: Uint8Array }[] = [];
  const reader = (async () => {
    for await (const record of pb.records({ signal: controller.signal })) {
      got.push(record);
      if (got.length === sent.length) setTimeout(() => controller.abort(), 20);
    }
  })();
  for (const s of sent) {
    await sleep(30);
    assert.equal(w.output(s.p, s.cpu), 0);
  }
  await reader;
  assert.deepEqual(got.map((r, i) => [r.cpu, unpad(r.data, sent[i]!.p.byteLength)]), sent.map(({ cpu, p }) => [cpu, p]));
  pb.close();
  assert.deepEqual(unpad(got[0]!.data, 10), sent[0]!.p, "the records are copies");
});

test("consume() sees records already there and later ones; one reader at a time; views are reused copies", { timeout: 20_000 }, async () => {
  using w = new Writer();
  using pb = new PerfBuffer(w.events);
  w.output(payload(7, 16)); // written before consume starts: no wake-up is pending for it on epoll
  const controller = new AbortController();
  const got: number[] = [];
  let kept: Uint8Array | undefined;
  const done = pb.consume((_cpu, data) => {
    kept = data;
    got.push(seedOf(data));
    if (got.length === 3) controller.abort();
  }, { signal: controller.signal });
  assert.throws(() => pb.consume(() => {}), BusyError);
  await assert.rejects(pb.records().next(), BusyError);
  // Each record is written once the previous one arrived: order across CPUs is the writer's order.
  while (got.length < 1) await sleep(2);
  w.output(payload(8, 17), CPUS[CPUS.length - 1]);
  while (got.length < 2) await sleep(2);
  w.output(payload(9, 18));
  await done;
  assert.deepEqual(got, [7, 8, 9]);
  assert.deepEqual(pb.readAvailable(), []);

  w.output(payload(1, 8));
  w.output(payload(2, 8));
  const boom = new Error("callback failed");
  await assert.rejects(pb.consume(() => {
    throw boom;
  }), (e) => e === boom);
  assert.deepEqual(pb.readAvailable().map((r) => seedOf(r.data)), [2], "the record that threw counts as read");
  // Views are of the reader's reused copy, not of the ring: the kernel can
  // reuse the ring's space once a batch is read, the copy stays stable and writable.
  assert.equal(kept?.buffer.byteLength !== undefined && kept.buffer.byteLength >= 64 * 1024, true, "a view of the batch copy");
  pb.close();
});

test("close ends readers, clears the map slots, and leaves no fd or mapping", { timeout: 20_000 }, async () => {
  using w = new Writer();
  const fdsBefore = openFds();
  const mappingsBefore = perfMappings();
  const pb = new PerfBuffer(w.events);
  assert.equal(openFds(), fdsBefore + 1 + CPUS.length, "a map fd duplicate and one perf event fd per CPU");
  assert.equal(perfMappings(), mappingsBefore + CPUS.length);
  const consuming = pb.consume(() => {});
  setTimeout(() => pb.close(), 20);
  await consuming;
  assert.equal(pb.closed, true);
  assert.equal(openFds(), fdsBefore);
  assert.equal(perfMappings(), mappingsBefore);
  for (const cpu of CPUS) {
    assert.equal(w.events.tryDelete(new Uint8Array(Uint32Array.of(cpu).buffer)), false, `slot ${cpu} is empty`);
  }
  // With no event in the slot the helper fails with ENOENT: nothing reads it any more.
  assert.equal(w.output(payload(1, 8)), -2);
  assert.throws(() => pb.poll(() => {}), ClosedError);
  assert.throws(() => pb.readAvailable(), ClosedError);
  assert.throws(() => pb.consume(() => {}), ClosedError);
  assert.throws(() => pb.records(), ClosedError);
  assert.throws(() => pb.pending, ClosedError);
  pb.close();

  // An iterator waiting on epoll ends when the buffer is closed.
  const other = new PerfBuffer(w.events);
  setTimeout(() => other.close(), 20);
  const out: unknown[] = [];
  for await (const r of other) out.push(r);
  assert.deepEqual(out, []);
  assert.equal(openFds(), fdsBefore);
});

test("bad maps and options are typed errors that leave nothing open", () => {
  const fdsBefore = openFds();
  const mappingsBefore = perfMappings();
  {
    using array = BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 4, name: "tsbpf_notpb" });
    assert.throws(() => new PerfBuffer(array), (e) => e instanceof InvalidArgumentError && /not a perf_event_array/.test(e.message));
    using w = new Writer();
    assert.throws(() => new PerfBuffer(w.events, { pages: 3 }), (e) => e instanceof InvalidArgumentError && e.field === "pages");
    assert.throws(() => new PerfBuffer(w.events, { wakeupEvents: 0 }), InvalidArgumentError);
    assert.throws(() => new PerfBuffer(w.events, { wakeupEvents: 2, wakeupWatermark: 100 }), InvalidArgumentError);
  }
  assert.equal(openFds(), fdsBefore);
  if (CPUS.length < 2) return; // the half-way failure needs a second online CPU
  {
    // One entry, two CPUs: CPU 0 is set up, CPU 1 fails, CPU 0 is undone.
    using small = new Writer(1);
    const fds = openFds();
    assert.throws(
      () => new PerfBuffer(small.events),
      (e) => e instanceof InvalidArgumentError && e.field === "maxEntries" && /has 1 entries but CPU 1/.test(e.message),
    );
    assert.equal(openFds(), fds);
    assert.equal(perfMappings(), mappingsBefore);
    assert.equal(small.events.tryDelete(new Uint8Array(4)), false, "slot 0 was cleared again");
  }
  assert.equal(openFds(), fdsBefore);
});

test("wakeupEvents batches wake-ups: the iterator is woken once enough records are in", { timeout: 20_000 }, async () => {
  using w = new Writer();
  using pb = new PerfBuffer(w.events, { wakeupEvents: 3 });
  const controller = new AbortController();
  const got: number[] = [];
  const reader = (async () => {
    for await (const r of pb.records({ signal: controller.signal })) got.push(seedOf(r.data));
  })();
  await sleep(30);
  w.output(payload(1, 8));
  w.output(payload(2, 8));
  await sleep(50);
  assert.deepEqual(got, [], "two records do not wake the reader");
  w.output(payload(3, 8));
  while (got.length < 3) await sleep(5);
  controller.abort();
  await reader;
  assert.deepEqual(got, [1, 2, 3]);
});
