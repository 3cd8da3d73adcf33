// RingBuffer on the real kernel: a socket filter run with BPF_PROG_TEST_RUN
// writes records with bpf_ringbuf_output (or reserves and discards one), as
// user space tells it through an array map; the reader must see exactly
// those records, in order, through wrap-around, on the event loop, and leave
// no fd or mapping behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { BpfMap, MapType } from "../../src/map.js";
import { Program, ProgramType } from "../../src/program.js";
import { ProgramBuilder, R0, R1, R2, R3, R4, R6, R7, R10 } from "../../src/asm/index.js";
import { BusyError, ClosedError, InvalidArgumentError } from "../../src/index.js";
import { RingBuffer } from "../../src/events/index.js";

const MAX_RECORD = 512;
const MODE_OUTPUT = 0;
const MODE_DISCARD = 1;

/** A ring buffer map of `size` bytes plus the control map the writer program reads. */
class Writer implements Disposable {
  readonly ring: BpfMap;
  readonly control: BpfMap;
  readonly program: Program;

  constructor(size = 64 * 1024, name = "tsbpf_rb") {
    this.ring = BpfMap.create({ type: MapType.Ringbuf, keySize: 0, valueSize: 0, maxEntries: size, name });
    this.control = BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 8 + MAX_RECORD, maxEntries: 1, name: "tsbpf_rb_ctl" });
    // control[0] = { u32 length; u32 mode; u8 payload[512] }. Mode 0: output
    // the payload; mode 1: reserve 16 bytes and discard them. Returns the
    // helper's result (0, or -errno when the ring is full).
    const insns = new ProgramBuilder()
      .stW(R10, -4, 0).mov64Reg(R2, R10).add64Imm(R2, -4).ldMapFd(R1, this.control.fd).call("map_lookup_elem")
      .jeqImm(R0, 0, "bad")
      .mov64Reg(R6, R0)
      .ldxW(R3, R6, 0).ldxW(R7, R6, 4)
      .jgtImm(R3, MAX_RECORD, "bad")
      .jeqImm(R7, MODE_DISCARD, "discard")
      .ldMapFd(R1, this.ring.fd).mov64Reg(R2, R6).add64Imm(R2, 8).mov64Imm(R4, 0).call("ringbuf_output")
      .exit()
      .label("discard")
      .ldMapFd(R1, this.ring.fd).mov64Imm(R2, 16).mov64Imm(R3, 0).call("ringbuf_reserve")
      .jeqImm(R0, 0, "full")
      .mov64Reg(R1, R0).mov64Imm(R2, 0).call("ringbuf_discard")
      .mov64Imm(R0, 0).exit()
      .label("full").mov64Imm(R0, -11).exit()
      .label("bad").mov64Imm(R0, 0x7fff).exit()
      .build();
    this.program = Program.load({ type: ProgramType.SocketFilter, instructions: insns, license: "GPL", name: "tsbpf_rb_write" });
  }

  #run(length: number, mode: number, payload: Uint8Array): number {
    const value = new Uint8Array(8 + MAX_RECORD);
    const v = new DataView(value.buffer);
    v.setUint32(0, length, true);
    v.setUint32(4, mode, true);
    value.set(payload.subarray(0, MAX_RECORD), 8);
    this.control.update(new Uint8Array(4), value);
    return this.program.testRun({ data: new Uint8Array(64) }).retval | 0;
  }

  /** Has the program output `payload`; returns the helper's result. */
  output(payload: Uint8Array): number {
    return this.#run(payload.byteLength, MODE_OUTPUT, payload);
  }

  /** Has the program reserve a record and discard it. */
  discard(): number {
    return this.#run(0, MODE_DISCARD, new Uint8Array(0));
  }

  [Symbol.dispose](): void {
    this.program.close();
    this.control.close();
    this.ring.close();
  }
}

/** A payload of `length` bytes that encodes `seed`. */
function payload(seed: number, length: number): Uint8Array {
  const p = new Uint8Array(length);
  for (let i = 0; i < length; i++) p[i] = (seed * 31 + i * 7) & 0xff;
  if (length >= 4) new DataView(p.buffer).setUint32(0, seed, true);
  return p;
}

function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

/** mmap()s of bpf map fds in this process. */
function bpfMappings(): number {
  return readFileSync("/proc/self/maps", "utf8").split("\n").filter((l) => l.includes("anon_inode:bpf-map")).length;
}

test("records come back byte for byte and in order; poll and readAvailable drain the ring", () => {
  using w = new Writer();
  using rb = new RingBuffer(w.ring);
  assert.equal(rb.size, 64 * 1024);
  assert.equal(rb.pending, 0);
  assert.deepEqual(rb.readAvailable(), []);

  const sent = [0, 1, 3, 8, 13, 64, 255, 511, 512].map((len, i) => payload(i + 1, len));
  for (const p of sent) assert.equal(w.output(p), 0);
  assert.ok(rb.pending > 0, "the producer position moved");

  const seen: Uint8Array[] = [];
  const count = rb.poll((record) => {
    assert.ok(record instanceof Uint8Array);
    seen.push(record.slice());
  });
  assert.equal(count, sent.length);
  assert.deepEqual(seen, sent);
  assert.equal(rb.pending, 0, "the consumer position was published");
  assert.equal(rb.poll(() => assert.fail("nothing is left")), 0);

  for (const p of sent.slice(0, 3)) w.output(p);
  assert.deepEqual(rb.readAvailable(), sent.slice(0, 3));
});

test("discarded records are skipped", () => {
  using w = new Writer();
  using rb = new RingBuffer(w.ring);
  const a = payload(1, 40);
  const b = payload(2, 24);
  assert.equal(w.output(a), 0);
  assert.equal(w.discard(), 0);
  assert.equal(w.discard(), 0);
  assert.equal(w.output(b), 0);
  assert.deepEqual(rb.readAvailable(), [a, b]);
  assert.equal(rb.pending, 0, "the discarded records were consumed too");
});

test("a full ring makes the program's output fail; reading frees the space", () => {
  using w = new Writer(4096);
  using rb = new RingBuffer(w.ring);
  // 512-byte records take 520 bytes with their header: 7 fit in 4096.
  const sent: Uint8Array[] = [];
  const results: number[] = [];
  for (let i = 0; i < 9; i++) {
    const p = payload(i, 512);
    const r = w.output(p);
    results.push(r);
    if (r === 0) sent.push(p);
  }
  assert.deepEqual(results.map((r) => r === 0), [true, true, true, true, true, true, true, false, false]);
  assert.ok(results[7]! < 0, `the helper reports the drop with an errno (${results[7]})`);
  assert.deepEqual(rb.readAvailable(), sent);
  assert.equal(w.output(payload(99, 512)), 0, "space is back once the reader consumed");
  assert.deepEqual(rb.readAvailable(), [payload(99, 512)]);
});

test("wrap-around: thousands of records of odd sizes through a one-page ring", () => {
  using w = new Writer(4096);
  using rb = new RingBuffer(w.ring);
  let expected = 0;
  let received = 0;
  const check = (record: Uint8Array): void => {
    const want = payload(expected, (expected * 37) % 300 + 4);
    assert.deepEqual(record, want, `record ${expected}`);
    expected++;
    received++;
  };
  for (let i = 0; i < 3000; i++) {
    const r = w.output(payload(i, (i * 37) % 300 + 4));
    assert.equal(r, 0, `record ${i} fits`);
    if (i % 5 === 4) rb.poll(check);
  }
  rb.poll(check);
  assert.equal(received, 3000);
  assert.ok(3000 * 150 > 50 * 4096, "the positions went round the ring many times");
});

test("the async iterator receives records produced after it started; AbortSignal ends it", { timeout: 20_000 }, async () => {
  using w = new Writer();
  using rb = new RingBuffer(w.ring);
  const controller = new AbortController();
  const sent = [payload(1, 10), payload(2, 20), payload(3, 30)];
  const got: Uint8Array[] = [];
  const reader = (async () => {
    for await (const record of rb.records({ signal: controller.signal })) {
      got.push(record);
      if (got.length === sent.length) setTimeout(() => controller.abort(), 20);
    }
  })();
  // The reader is now waiting on epoll; produce from timers.
  for (const p of sent) {
    await sleep(30);
    assert.equal(w.output(p), 0);
  }
  await reader;
  assert.deepEqual(got, sent);
  // The records are copies: they survive the reader.
  rb.close();
  assert.deepEqual(got[2], sent[2]);
});

test("consume() calls back on the event loop until aborted; the record may be written to (it is not the read-only ring)", { timeout: 20_000 }, async () => {
  using w = new Writer();
  using rb = new RingBuffer(w.ring);
  const controller = new AbortController();
  const got: Uint8Array[] = [];
  w.output(payload(7, 16)); // already there when consume starts
  const done = rb.consume((record) => {
    got.push(record.slice());
    // The ring's data pages are mapped PROT_READ: a store through a view of
    // them would kill the process. Records are copies, so this is harmless.
    record.fill(0xff);
    if (got.length === 3) controller.abort();
  }, { signal: controller.signal });
  setTimeout(() => w.output(payload(8, 17)), 10);
  setTimeout(() => w.output(payload(9, 18)), 30);
  await done;
  assert.deepEqual(got, [payload(7, 16), payload(8, 17), payload(9, 18)]);
  // After abort a new reader may start; nothing was left behind.
  assert.deepEqual(rb.readAvailable(), []);
  rb.close();
});

test("several ring buffers are read at the same time", { timeout: 20_000 }, async () => {
  using a = new Writer(4096, "tsbpf_rb_a");
  using b = new Writer(8192, "tsbpf_rb_b");
  using ra = new RingBuffer(a.ring);
  using rbuf = new RingBuffer(b.ring);
  const controller = new AbortController();
  const fromA: number[] = [];
  const fromB: number[] = [];
  const seed = (r: Uint8Array): number => new DataView(r.buffer, r.byteOffset, 4).getUint32(0, true);
  const both = Promise.all([
    ra.consume((r) => fromA.push(seed(r)), { signal: controller.signal }),
    (async () => {
      for await (const r of rbuf.records({ signal: controller.signal })) fromB.push(seed(r));
    })(),
  ]);
  for (let i = 0; i < 5; i++) {
    await sleep(5);
    a.output(payload(100 + i, 8));
    b.output(payload(200 + i, 12));
  }
  while (fromA.length < 5 || fromB.length < 5) await sleep(5);
  controller.abort();
  await both;
  assert.deepEqual(fromA, [100, 101, 102, 103, 104]);
  assert.deepEqual(fromB, [200, 201, 202, 203, 204]);
});

test("one waiting reader at a time; a throwing callback rejects consume()", { timeout: 20_000 }, async () => {
  using w = new Writer();
  using rb = new RingBuffer(w.ring);
  const controller = new AbortController();
  const first = rb.consume(() => {}, { signal: controller.signal });
  assert.throws(() => rb.consume(() => {}), BusyError);
  await assert.rejects(rb.records().next(), BusyError);
  controller.abort();
  await first;

  w.output(payload(1, 8));
  w.output(payload(2, 8));
  const boom = new Error("callback failed");
  let calls = 0;
  await assert.rejects(rb.consume(() => {
    calls++;
    throw boom;
  }), (e) => e === boom);
  assert.equal(calls, 1, "the reader stops at the first error");
  // The record that threw counts as consumed; the next one is still there.
  assert.deepEqual(rb.readAvailable(), [payload(2, 8)]);
});

test("close ends running readers, unmaps and makes the reader throw ClosedError", { timeout: 20_000 }, async () => {
  using w = new Writer();
  const mappingsBefore = bpfMappings();
  const rb = new RingBuffer(w.ring);
  assert.equal(bpfMappings(), mappingsBefore + 2, "consumer page and producer/data mapping");
  const consuming = rb.consume(() => {});
  const iterating = (async () => {
    const out: Uint8Array[] = [];
    // A second RingBuffer on the same map may iterate while the first consumes.
    using other = new RingBuffer(w.ring);
    setTimeout(() => other.close(), 20);
    for await (const r of other) out.push(r);
    return out;
  })();
  setTimeout(() => rb.close(), 10);
  await consuming;
  assert.deepEqual(await iterating, []);
  assert.equal(rb.closed, true);
  assert.equal(bpfMappings(), mappingsBefore, "both mappings are gone");
  assert.throws(() => rb.poll(() => {}), ClosedError);
  assert.throws(() => rb.readAvailable(), ClosedError);
  assert.throws(() => rb.consume(() => {}), ClosedError);
  assert.throws(() => rb.records(), ClosedError);
  assert.throws(() => rb.pending, ClosedError);
  rb.close(); // idempotent
});

test("wrong map type is a typed error; no fd is leaked by any of this", () => {
  const before = openFds();
  {
    using array = BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 1, name: "tsbpf_notrb" });
    assert.throws(() => new RingBuffer(array), (e) => e instanceof InvalidArgumentError && /not a ringbuf/.test(e.message));
    using w = new Writer();
    const rb = new RingBuffer(w.ring);
    w.output(payload(1, 8));
    assert.equal(rb.readAvailable().length, 1);
    rb.close();
  }
  assert.equal(openFds(), before);
});
