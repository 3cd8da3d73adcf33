// Wrong-typed, out-of-range and used-after-close arguments to the public
// Map / MapMemory / Variable / FD / ObjectSpec APIs: each is a typed error
// (InvalidArgumentError naming the argument, BadFdError, ClosedError,
// ObjectError) raised before any syscall or allocation, never a TypeError or
// RangeError from deep inside, and nothing is left open.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  BadFdError,
  BpfError,
  ClosedError,
  FD,
  InvalidArgumentError,
  BpfMap,
  MapFlags,
  MapType,
  NotFoundError,
  type MapSpec,
} from "../../src/index.js";
import { Program, ProgramType } from "../../src/program.js";
import { ProgramBuilder, R0 } from "../../src/asm/index.js";
import { loadObjectSpec, ObjectSpec, ObjectError } from "../../src/object/index.js";
import { Collection } from "../../src/collection.js";
import { PerfBuffer, RingBuffer } from "../../src/events/index.js";
import { bpffsTempDir, openFdCount } from "../util/kernel.js";
import { u32, u64 } from "../map/map-helpers.js";

const hashSpec: MapSpec = { type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 8 };
const fixture = (dir: string, name: string): string => fileURLToPath(new URL(`../../../test/fixtures/${dir}/${name}.bpf.o`, import.meta.url));

/** Wrong values of every JS type, for any argument that wants bytes. */
const NOT_BYTES: unknown[] = [null, undefined, 0, -1, NaN, 1n, "abcd", {}, [1, 2, 3, 4], () => 0, new ArrayBuffer(4), Symbol("k")];

function field(name: string) {
  return (e: unknown) => e instanceof InvalidArgumentError && e.field === name;
}

test("keys, values and out buffers of the wrong type are InvalidArgumentError naming them", () => {
  using m = BpfMap.create(hashSpec);
  for (const bad of NOT_BYTES) {
    const key = bad as Uint8Array;
    assert.throws(() => m.lookup(key), field("key"), String(bad));
    assert.throws(() => m.tryLookup(key), field("key"));
    assert.throws(() => m.update(key, u64(1)), field("key"));
    assert.throws(() => m.delete(key), field("key"));
    assert.throws(() => m.lookupAndDelete(key), field("key"));
    assert.throws(() => m.update(u32(1), bad as Uint8Array), field("value"));
    assert.throws(() => m.lookupInto(u32(1), bad as Uint8Array), field("out"));
  }
  // nextKey(null/undefined) means "from the start".
  assert.equal(m.nextKey(null), undefined);
  assert.throws(() => m.nextKey("k" as unknown as Uint8Array), field("key"));
});

test("flags that are not u64 integers are refused before the syscall", () => {
  using m = BpfMap.create(hashSpec);
  for (const flags of [NaN, -1, 1.5, Infinity, 2 ** 60, "1", null]) {
    assert.throws(() => m.update(u32(1), u64(1), flags as number), field("flags"), String(flags));
    assert.throws(() => m.lookup(u32(1), flags as number), field("flags"));
  }
  // Still a working map: nothing was written.
  assert.equal(m.tryLookup(u32(1)), undefined);
});

test("per-CPU arrays and batch calls check every element and option", () => {
  using pc = BpfMap.create({ type: MapType.PercpuArray, keySize: 4, valueSize: 8, maxEntries: 2 });
  const values = Array.from({ length: pc.cpus }, () => u64(1) as unknown);
  values[values.length - 1] = null;
  assert.throws(() => pc.update(u32(0), values as Uint8Array[]), field(`per-CPU value ${pc.cpus - 1}`));
  using m = BpfMap.create(hashSpec);
  m.update(u32(1), u64(1));
  const keys = new Uint8Array(4 * 8);
  const vals = new Uint8Array(8 * 8);
  assert.throws(() => m.lookupBatch(null as unknown as ReturnType<BpfMap["batchCursor"]>, keys, vals), field("cursor"));
  assert.throws(() => m.lookupBatch(m.batchCursor(), null as unknown as Uint8Array, vals), field("keys"));
  assert.throws(() => m.updateBatch(u32(1), "v" as unknown as Uint8Array), field("values"));
  assert.throws(() => m.deleteBatch({} as Uint8Array), field("keys"));
  assert.throws(() => m.updateBatch(u32(2), u64(2), { elemFlags: NaN }), field("elemFlags"));
  assert.throws(() => [...m.batchEntries({ batchSize: NaN })], field("batchSize"));
  assert.throws(() => [...m.batchEntries({ batchSize: -3 })], field("batchSize"));
  assert.equal([...m.batchEntries()].length, 1);
});

test("Map.fromFd/fromId/openPinned: bad numbers, types and modes are typed; nothing leaks", () => {
  const before = openFdCount();
  for (const fd of [-1, NaN, 1.5, 2 ** 31, -0.5]) {
    assert.throws(() => BpfMap.fromFd(fd), BadFdError, String(fd));
    assert.throws(() => new FD(fd), BadFdError, String(fd));
  }
  assert.throws(() => BpfMap.fromFd("3" as unknown as number), field("fd"));
  assert.throws(() => BpfMap.fromFd(null as unknown as number), field("fd"));
  for (const id of [0, -1, NaN, 2 ** 32, "1"]) assert.throws(() => BpfMap.fromId(id as number), field("id"), String(id));
  assert.throws(() => BpfMap.infoById(NaN), field("id"));
  assert.throws(() => BpfMap.openPinned(5 as unknown as string), field("path"));
  assert.throws(() => BpfMap.openPinned("/sys/fs/bpf/x", { mode: "bogus" as "rw" }), field("mode"));
  // A number whose fd is closed: typed, and the number is not closed later by the leak net.
  const raw = openSync("/dev/null", "r");
  closeSync(raw);
  assert.throws(() => BpfMap.fromFd(raw), BpfError);
  assert.equal(openFdCount(), before);
});

test("Map.openPinned on a program pin says what the pin is, reads no map info, leaks nothing", () => {
  const dir = bpffsTempDir("tsbpf-args-");
  try {
    {
      using prog = Program.load({ type: ProgramType.SocketFilter, instructions: new ProgramBuilder().mov64Imm(R0, 0).exit().build(), license: "GPL" });
      prog.pin(`${dir.path}/prog`);
    }
    const before = openFdCount();
    const ownedBefore = FD.openCount;
    assert.throws(
      () => BpfMap.openPinned(`${dir.path}/prog`),
      (e) => e instanceof BadFdError && /is not a pinned map: it is a BPF program.*Program\.openPinned/.test(e.message),
    );
    assert.equal(openFdCount(), before, "the program fd was closed");
    assert.equal(FD.openCount, ownedBefore);
    // The program is still there and opens as a program.
    using again = Program.openPinned(`${dir.path}/prog`);
    assert.equal(again.type, ProgramType.SocketFilter);
  } finally {
    dir.cleanup();
  }
});

test("MapMemory and mmap() after close are ClosedError", () => {
  const m = BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 4, flags: MapFlags.MMAPABLE });
  const mem = m.mmap();
  mem.bytes[0] = 7;
  assert.deepEqual(m.lookup(u32(0)), u64(7));
  mem.close();
  mem.close();
  assert.throws(() => mem.bytes, ClosedError);
  assert.throws(() => mem.view, ClosedError);
  m.close();
  assert.throws(() => m.mmap(), ClosedError);
  const plain = BpfMap.create(hashSpec);
  plain.close();
  assert.throws(() => plain.mmap(), ClosedError, "closed comes before 'not mmapable'");
});

test("Variable get/set/view after the collection is closed are ClosedError; wrong values are typed", () => {
  const spec = loadObjectSpec(fixture("collection", "globals"));
  const c = Collection.load(spec);
  const counter = c.variable("counter");
  assert.equal(counter.getNumber(), 5);
  for (const bad of ["12", 1.5, NaN, {}, null, [1], new Uint16Array(4)]) {
    assert.throws(() => counter.set(bad as number), field("value"), String(bad));
  }
  assert.equal(counter.getNumber(), 5, "nothing was written");
  c.close();
  assert.throws(() => counter.get(), ClosedError);
  assert.throws(() => counter.getBigInt(), ClosedError);
  assert.throws(() => counter.view(), ClosedError);
  assert.throws(() => counter.set(1), ClosedError);
});

test(".bss and .kconfig sizes beyond the kernel's limit are ObjectError before any allocation", () => {
  assert.throws(() => loadObjectSpec(fixture("api-robustness", "huge-bss")), (e) => e instanceof ObjectError && e.section === ".bss" && /2147483648 bytes/.test(e.message));
  assert.throws(() => loadObjectSpec(fixture("api-robustness", "huge-kconfig")), (e) => e instanceof ObjectError && e.section === ".kconfig");
  // A section header claiming 1 TiB of .bss (no file bytes back it): refused, not allocated.
  const bytes = new Uint8Array(readFileSync(fixture("collection", "globals")));
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = Number(dv.getBigUint64(0x28, true));
  const shnum = dv.getUint16(0x3c, true);
  let patched = 0;
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * 64;
    const SHT_NOBITS = 8;
    if (dv.getUint32(h + 4, true) === SHT_NOBITS) {
      dv.setBigUint64(h + 0x20, 1n << 40n, true);
      patched++;
    }
  }
  assert.equal(patched, 1);
  assert.throws(() => ObjectSpec.parse(bytes), (e) => e instanceof ObjectError && /\.bss claims 1099511627776 bytes/.test(e.message));
});

test("missing pins stay NotFoundError", () => {
  assert.throws(() => BpfMap.openPinned("/sys/fs/bpf/tsbpf-args-no-such-pin"), NotFoundError);
});

/** Values of every JS type for arguments that want something else. */
const WRONG: unknown[] = [null, undefined, -1, NaN, 1.5, 2 ** 40, 5n, "x", {}, [], () => 0, Symbol("s")];

/**
 * Runs `f`; a throw must be one of the project's errors. A promise (consume()
 * waits until its reader closes) is kept in `pending` to be checked after.
 */
function onlyTyped(label: string, f: () => unknown, pending: Array<Promise<void>>): void {
  const typed = (e: unknown): void => {
    assert.ok(e instanceof BpfError, `${label}: untyped ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
  };
  try {
    const r = f();
    if (r instanceof Promise) pending.push(r.then(() => undefined, typed));
    else if (r && typeof (r as AsyncGenerator).return === "function") pending.push((r as AsyncGenerator).return(undefined).then(() => undefined, typed));
  } catch (e) {
    typed(e);
  }
}

test("Program, RingBuffer, PerfBuffer and Collection entry points: wrong arguments and use after close are typed", async () => {
  const before = openFdCount();
  const spec = loadObjectSpec(fixture("collection", "globals"));
  const load = () => Program.load({ type: ProgramType.SocketFilter, instructions: new ProgramBuilder().mov64Imm(R0, 0).exit().build(), license: "GPL" });
  let calls = 0;
  const pending: Array<Promise<void>> = [];
  const check = async (label: string, f: () => unknown): Promise<void> => {
    calls++;
    onlyTyped(label, f, pending);
  };
  for (const v of WRONG) {
    const s = String(typeof v === "symbol" ? "symbol" : v);
    const p = load();
    await check(`Program.fromFd(${s})`, () => Program.fromFd(v as FD));
    await check(`Program.fromId(${s})`, () => Program.fromId(v as number));
    await check(`Program.openPinned(${s})`, () => Program.openPinned(v as string));
    await check(`Program.load(${s})`, () => Program.load(v as Parameters<typeof Program.load>[0]));
    await check(`testRun(${s})`, () => p.testRun(v as object));
    await check(`testRun({ data: ${s} })`, () => p.testRun({ data: v as Uint8Array }));
    await check(`testRun({ repeat: ${s} })`, () => p.testRun({ data: new Uint8Array(64), repeat: v as number }));
    await check(`info(${s})`, () => p.info(v as object));
    await check(`bindMap(${s})`, () => p.bindMap(v as FD));
    p.close();
    await check("testRun after close", () => p.testRun({ data: new Uint8Array(64) }));
    await check("info after close", () => p.info());

    await check(`RingBuffer(${s})`, () => new RingBuffer(v as BpfMap));
    await check(`PerfBuffer(${s})`, () => new PerfBuffer(v as BpfMap));
    using ringMap = BpfMap.create({ type: MapType.Ringbuf, keySize: 0, valueSize: 0, maxEntries: 4096 });
    const ring = new RingBuffer(ringMap);
    await check(`ring.poll(${s})`, () => ring.poll(v as () => void));
    await check(`ring.consume(${s})`, () => ring.consume(v as () => void));
    await check(`ring.consume(cb, ${s})`, () => ring.consume(() => undefined, v as object));
    await check(`ring.records(${s})`, () => ring.records(v as object));
    ring.close();
    await Promise.all(pending.splice(0));
    await check("ring.poll after close", () => ring.poll(() => undefined));
    await check("ring.pending after close", () => ring.pending);
    using perfMap = BpfMap.create({ type: MapType.PerfEventArray, keySize: 4, valueSize: 4, maxEntries: 0 });
    await check(`PerfBuffer(map, ${s})`, () => new PerfBuffer(perfMap, v as object).close());
    await check(`PerfBuffer(map, { pages: ${s} })`, () => new PerfBuffer(perfMap, { pages: v as number }).close());
    const perf = new PerfBuffer(perfMap);
    await check(`perf.poll(${s})`, () => perf.poll(v as () => void));
    await check(`perf.consume(${s})`, () => perf.consume(v as () => void));
    await check(`perf.records(${s})`, () => perf.records(v as object));
    perf.close();
    await Promise.all(pending.splice(0));
    await check("perf.readAvailable after close", () => perf.readAvailable());

    await check(`Collection.load(${s})`, () => Collection.load(v as ObjectSpec));
    await check(`Collection.load(spec, ${s})`, () => Collection.load(spec, v as object).close());
  }
  const c = Collection.load(spec);
  for (const v of WRONG) {
    await check("collection.map", () => c.map(v as string));
    await check("collection.program", () => c.program(v as string));
    await check("collection.variable", () => c.variable(v as string));
  }
  c.close();
  await check("map of a closed collection", () => c.map(".data").lookup(u32(0)));
  await check("program of a closed collection", () => c.program("count").testRun({ data: new Uint8Array(64) }));
  await Promise.all(pending);
  assert.ok(calls > 350, `${calls} calls`);
  assert.equal(openFdCount(), before, "no fd left open");
});

test("writing through what read-only mappings hand out cannot crash the process (child process)", () => {
  // In a child: a write to a PROT_READ page is a SIGSEGV, which must show up as a failure, not kill the runner.
  const dist = fileURLToPath(new URL("../../src/", import.meta.url));
  const script = `
    import { Map, MapType, MapFlags } from ${JSON.stringify(`${dist}index.js`)};
    import { Collection } from ${JSON.stringify(`${dist}collection.js`)};
    import { loadObjectSpec } from ${JSON.stringify(`${dist}object/index.js`)};
    const c = Collection.load(loadObjectSpec(${JSON.stringify(fixture("collection", "globals"))}));
    const v = c.variable("multiplier");
    v.view().setUint32(0, 9, true);
    const frozen = Map.create({ type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 1, flags: MapFlags.MMAPABLE });
    frozen.update(new Uint8Array(4), new Uint8Array([5, 0, 0, 0, 0, 0, 0, 0]));
    frozen.freeze();
    const mem = frozen.mmap();
    mem.bytes[0] = 7;
    new DataView(mem.buffer).setUint8(0, 7);
    mem.view.setUint8(0, 7);
    process.stdout.write(JSON.stringify({ writable: mem.writable, variable: v.getNumber(), map: frozen.lookup(new Uint8Array(4))[0] }));
    c.close();
    frozen.close();
  `;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(r.signal, null, `the child crashed: ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { writable: false, variable: 2, map: 5 });
});
