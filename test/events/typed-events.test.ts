// Typed events on the real kernel: the typed fixture's programs (run with
// BPF_PROG_TEST_RUN) write `struct event` — u64s, a char array, a nested
// struct, an anonymous struct member with an array, bitfields, a signed
// byte, a bool, an enum and a u8 array — to a ring buffer and a perf buffer,
// from globals the test sets; every reader form (poll, readAvailable,
// consume, records) must decode every field as written. A record type that
// clang dropped from the object's BTF is a NotFoundError that says why and
// how to keep it, and leaves no fd behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadObjectSpec } from "../../src/object/index.js";
import { Collection } from "../../src/collection.js";
import { BtfCodec } from "../../src/btf/codec/index.js";
import { InvalidArgumentError, NotFoundError } from "../../src/sys/errors.js";
import { TypedRingBuffer } from "../../src/events/index.js";
import { openFdCount } from "../util/kernel.js";

const fixture = (file: string): string => fileURLToPath(new URL(`../../../test/fixtures/typed/${file}`, import.meta.url));
const PACKET = { data: new Uint8Array(64) };

interface Event {
  ts: bigint;
  big: bigint;
  pid: number;
  comm: string;
  where: { x: number; y: number };
  inner: { flags: number; ports: number[] };
  kind: number;
  level: number;
  rest: number;
  small: number;
  ok: boolean;
  lvl: number;
  raw: Uint8Array;
}

/** The fixture with its globals set (before and after load) and what fill_event() then writes. */
function loaded(): { c: Collection; expected: Event } {
  const spec = loadObjectSpec(fixture("typed.bpf.o"));
  spec.variables.get("cfg")!.write({ pid: 4321, comm: "cfg", big: 0x8000_0000_0000_0001n });
  spec.variables.get("ro_ports")!.write([22, 0xffff, 0]);
  const c = Collection.load(spec);
  c.variable("origin").write({ x: -123456, y: -2 });
  c.variable("greeting").write("fifteen-chars!!");
  c.variable("counts").write([0, 0xfe_dcba, 0, 0]);
  const expected: Event = {
    ts: 0xfedc_ba98_7654_3210n, big: 0x8000_0000_0000_0001n, pid: 4321, comm: "fifteen-chars!!",
    where: { x: -123456, y: -2 }, inner: { flags: 0x81, ports: [22, 0xffff, 0] },
    kind: 6, level: 17, rest: 0xfe_dcba, small: -7, ok: true, lvl: 7, raw: new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
  };
  return { c, expected };
}

test("ring buffer: every field of struct event decodes as the program wrote it (poll, readAvailable, consume, records)", async () => {
  const { c, expected } = loaded();
  using _c = c;
  const ring = c.ringBuffer<Event>("ring", { type: "struct event" });
  assert.equal(ring.codec.name, "struct event");
  assert.equal(ring.codec.size, 72);
  const emit = (): void => assert.equal(c.program("emit_ring").testRun(PACKET).retval, 0);
  emit();
  const polled: Event[] = [];
  assert.equal(ring.poll((e) => polled.push(e)), 1);
  assert.deepEqual(polled, [expected]);
  emit();
  emit();
  assert.deepEqual(ring.readAvailable(), [expected, expected]);
  // consume(): on the event loop, stopped by the signal after the first record.
  const stop = new AbortController();
  const consumed: Event[] = [];
  const done = ring.consume((e) => {
    consumed.push(e);
    stop.abort();
  }, { signal: stop.signal });
  emit();
  await done;
  assert.deepEqual(consumed, [expected]);
  // records(): an async iterator of decoded values.
  emit();
  for await (const e of ring.records()) {
    assert.deepEqual(e, expected);
    break;
  }
  // A name without the kind finds the struct too.
  using again = new TypedRingBuffer<Event>(c.map("ring"), { type: "event", btf: c.btf });
  emit();
  assert.deepEqual(again.readAvailable(), [expected]);
  // Closing the collection closes the readers it made (not the ones made outside it).
  c.close();
  assert.equal(ring.closed, true);
  assert.equal(again.closed, false);
});

test("ring buffer: records are decoded in place, also the one that crosses the end of the ring", () => {
  const { c, expected } = loaded();
  using _c = c;
  const ring = c.ringBuffer<Event>("ring", { type: "struct event" });
  // 80 bytes per record (8 of header) in a 64 KiB ring: the 820th record
  // starts 16 bytes before the end, and is read through the ring's second
  // mapping of its first page. 2,500 records wrap the ring three times.
  const rounds = 5;
  const perRound = 500;
  let decoded = 0;
  for (let i = 0; i < rounds; i++) {
    assert.equal(c.program("emit_ring").testRun({ ...PACKET, repeat: perRound }).retval, 0);
    ring.poll((e) => {
      assert.deepEqual(e, expected);
      decoded++;
    });
  }
  assert.equal(decoded, rounds * perRound);
  assert.equal(ring.pending, 0);
});

test("perf buffer: samples decode as the program wrote them, with the CPU", async () => {
  const { c, expected } = loaded();
  using _c = c;
  const perf = c.perfBuffer<Event>("perf", { type: "struct event", pages: 1 });
  assert.equal(c.program("emit_perf").testRun(PACKET).retval, 0);
  const got: [Event, number][] = [];
  assert.equal(perf.poll((e, cpu) => got.push([e, cpu])), 1);
  assert.deepEqual(got[0]![0], expected);
  assert.ok(perf.cpus.includes(got[0]![1]));
  assert.equal(c.program("emit_perf").testRun(PACKET).retval, 0);
  for await (const e of perf.records()) {
    assert.deepEqual(e, expected);
    break;
  }
  // A ready codec works as well as a type name (chars as bytes here).
  const codec = BtfCodec.of<Omit<Event, "comm"> & { comm: Uint8Array }>(c.btf!, "struct event", { chars: "bytes" });
  perf.close();
  using raw = c.perfBuffer("perf", { codec, pages: 1 });
  assert.equal(c.program("emit_perf").testRun(PACKET).retval, 0);
  const [sample] = raw.readAvailable();
  assert.deepEqual(sample!.comm, new TextEncoder().encode("fifteen-chars!!\0"));
});

test("a record type clang dropped (used only through a local variable): NotFoundError with the fix, nothing left open", () => {
  using c = Collection.load(loadObjectSpec(fixture("local-only.bpf.o")));
  const before = openFdCount();
  assert.throws(
    () => c.ringBuffer("events", { type: "struct local_event" }),
    (e: unknown) => {
      assert.ok(e instanceof NotFoundError, String(e));
      assert.match(e.message, /'struct local_event' is not in the object's BTF/);
      assert.match(e.message, /local variables/);
      assert.match(e.message, /struct local_event \*unused_local_event __attribute__\(\(unused\)\);/);
      return true;
    },
  );
  assert.throws(() => c.ringBuffer("events", { type: "struct kept_evnt" }), (e: unknown) => e instanceof NotFoundError && /Similar types in the object: struct kept_event/.test(e.message));
  assert.equal(openFdCount(), before);
  // The kept one works: the same bytes as local_event.
  using ring = c.ringBuffer<{ ts: bigint; pid: number }>("events", { type: "struct kept_event" });
  assert.equal(c.program("emit").testRun(PACKET).retval, 0);
  assert.deepEqual(ring.readAvailable(), [{ ts: 1n, pid: 2 }]);
});

test("a ring buffer record shorter than its type is an InvalidArgumentError naming the type", () => {
  const { c } = loaded();
  using _c = c;
  // struct __sk_buff (192 bytes) is in the object's BTF (the programs' context) and longer than an event (72).
  using ring = c.ringBuffer("ring", { type: "struct __sk_buff" });
  assert.equal(c.program("emit_ring").testRun(PACKET).retval, 0);
  assert.throws(() => ring.readAvailable(), (e: unknown) => e instanceof InvalidArgumentError && /__sk_buff/.test(e.message));
});
