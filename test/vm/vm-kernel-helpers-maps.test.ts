// Map helpers with the kernel as the oracle: one XDP program runs a script
// of map helper calls — updates with every flag, deletes, lookups through
// the returned pointer, queue/stack push/pop/peek, per-CPU lookups, ring
// buffer output until it is full and its queries — on a kernel map under
// BPF_PROG_TEST_RUN and on the emulated map in both engines; each call's r0
// (or the value read through it) goes into the output packet, and the
// packets and the maps' final contents must be equal. The machine runs on
// the CPU the kernel's test run ran on (the script's first result).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProgramBuilder, R0, R1, R2, R3, R4, R6, R10 } from "../../src/asm/index.js";
import { BpfMap, MapType, type MapSpec } from "../../src/map.js";
import { Program, ProgramType } from "../../src/program.js";
import { possibleCpuCount } from "../../src/sys/cpus.js";
import { packetWorld } from "./vm-kernel-helpers-util.js";

type Op =
  | { op: "update"; key: number; value: number; flags: number }
  | { op: "delete"; key: number }
  | { op: "lookup"; key: number }
  | { op: "lookup_percpu"; key: number; cpu: number }
  | { op: "push"; value: number; flags: number }
  | { op: "pop" | "peek" }
  | { op: "ringbuf_output"; size: number; flags: number }
  | { op: "ringbuf_query"; flags: number };

const RESULTS = -96; // 24 u32 slots
const KEY = -104;
const VALUE = -112;
const BUFFER = -512; // 400 bytes for ring buffer records
const BUFFER_SIZE = 400;
const NOT_FOUND = -1;

/** The program of a script; every op appends one or two u32 results, copied into the packet at the end. */
function build(fd: number, ops: readonly Op[]): { b: ProgramBuilder; slots: number } {
  const b = new ProgramBuilder().mov64Reg(R6, R1);
  for (let i = 0; i < 24; i++) b.stW(R10, RESULTS + 4 * i, 0);
  if (ops.some((o) => o.op === "ringbuf_output")) for (let i = 0; i < BUFFER_SIZE; i += 4) b.stW(R10, BUFFER + i, 0x01010101 * ((i / 4) & 0x7f));
  let slot = 0;
  const result = (): void => void b.stxW(R10, R0, RESULTS + 4 * slot++);
  // Slot 0: the CPU the script runs on (per-CPU values depend on it).
  b.call("get_smp_processor_id");
  result();
  const ptr = (r: typeof R2, at: number): void => void b.mov64Reg(r, R10).add64Imm(r, at);
  ops.forEach((o, n) => {
    const label = `null${n}`;
    const done = `done${n}`;
    switch (o.op) {
      case "update":
        b.stW(R10, KEY, o.key).stW(R10, VALUE, o.value).ldMapFd(R1, fd);
        ptr(R2, KEY); ptr(R3, VALUE);
        b.mov64Imm(R4, o.flags).call("map_update_elem");
        result();
        break;
      case "delete":
        b.stW(R10, KEY, o.key).ldMapFd(R1, fd);
        ptr(R2, KEY);
        b.call("map_delete_elem");
        result();
        break;
      case "lookup":
      case "lookup_percpu":
        b.stW(R10, KEY, o.key).ldMapFd(R1, fd);
        ptr(R2, KEY);
        if (o.op === "lookup") b.call("map_lookup_elem");
        else b.mov64Imm(R3, o.cpu).call("map_lookup_percpu_elem");
        b.jeqImm(R0, 0, label).ldxW(R0, R0, 0).ja(done).label(label).mov64Imm(R0, NOT_FOUND).label(done);
        result();
        break;
      case "push":
        b.stW(R10, VALUE, o.value).ldMapFd(R1, fd);
        ptr(R2, VALUE);
        b.mov64Imm(R3, o.flags).call("map_push_elem");
        result();
        break;
      case "pop":
      case "peek":
        b.stW(R10, VALUE, 0x7777).ldMapFd(R1, fd);
        ptr(R2, VALUE);
        b.call(o.op === "pop" ? "map_pop_elem" : "map_peek_elem");
        result();
        b.ldxW(R0, R10, VALUE);
        result();
        break;
      case "ringbuf_output":
        b.ldMapFd(R1, fd);
        ptr(R2, BUFFER);
        b.mov64Imm(R3, o.size).mov64Imm(R4, o.flags).call("ringbuf_output");
        result();
        break;
      case "ringbuf_query":
        b.ldMapFd(R1, fd).mov64Imm(R2, o.flags).call("ringbuf_query");
        result();
        break;
    }
  });
  b.mov64Reg(R1, R6).mov64Imm(R2, 0);
  ptr(R3, RESULTS);
  b.mov64Imm(R4, 4 * slot).call("xdp_store_bytes").mov64Imm(R0, 2).exit();
  return { b, slots: slot };
}

/** The map's elements (hex key → hex value), sorted; per-CPU values all CPUs' bytes. */
function contents(map: { entries(): Iterable<[Uint8Array, Uint8Array]> }): string[] {
  const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
  return [...map.entries()].map(([k, v]) => `${hex(k)}=${hex(v)}`).sort();
}

/** Runs the script on a kernel map and on the emulated one; asserts the same results and contents. */
function agree(spec: MapSpec, ops: readonly Op[], what: string, compareContents = true): number[] {
  let expected: { results: number[]; contents: string[] | undefined };
  {
    using map = BpfMap.create(spec);
    const { b, slots } = build(map.fd.raw, ops);
    using prog = Program.load({ type: ProgramType.XDP, instructions: b.build(), license: "GPL", name: "vm_maps" });
    const r = prog.testRun({ data: new Uint8Array(96) });
    const view = new DataView((r.dataOut ?? new Uint8Array(96)).slice().buffer);
    expected = { results: Array.from({ length: slots }, (_, i) => view.getInt32(4 * i, true)), contents: compareContents ? contents(map) : undefined };
  }
  for (const engine of ["interpreter", "jit"] as const) {
    // As many CPUs as the kernel's per-CPU maps have values.
    const { world, ctx, packet } = packetWorld("xdp", new Uint8Array(96), { cpus: possibleCpuCount() });
    const { map, fd } = world.map(spec);
    const { b, slots } = build(fd, ops);
    world.kernel.cpu = expected.results[0] as number; // where the kernel's test run happened to run
    world.machine.run(world.program(b), { engine, args: [ctx.base] });
    const view = new DataView(packet.bytes.slice().buffer);
    const got = { results: Array.from({ length: slots }, (_, i) => view.getInt32(4 * i, true)), contents: compareContents ? contents(map) : undefined };
    assert.deepEqual(got, expected, `${what} [${engine}]`);
  }
  return expected.results;
}

const ANY = 0;
const NOEXIST = 1;
const EXIST = 2;
const F_LOCK = 4;

test("hash and array map helpers: every update flag, deletes, lookups through the pointer, full maps", () => {
  const hashOps: Op[] = [
    { op: "update", key: 1, value: 10, flags: ANY }, { op: "update", key: 1, value: 11, flags: NOEXIST }, { op: "update", key: 2, value: 20, flags: EXIST },
    { op: "update", key: 2, value: 20, flags: ANY }, { op: "update", key: 3, value: 30, flags: NOEXIST }, { op: "update", key: 4, value: 40, flags: ANY },
    { op: "update", key: 1, value: 12, flags: EXIST }, { op: "lookup", key: 1 }, { op: "lookup", key: 9 }, { op: "delete", key: 9 },
    { op: "delete", key: 2 }, { op: "update", key: 4, value: 40, flags: ANY }, { op: "update", key: 4, value: 41, flags: F_LOCK },
    { op: "update", key: 4, value: 41, flags: 8 }, { op: "update", key: 4, value: 42, flags: EXIST }, { op: "lookup", key: 4 },
  ];
  for (const type of [MapType.Hash, MapType.PercpuHash]) {
    const results = agree({ type, keySize: 4, valueSize: 4, maxEntries: 3 }, hashOps, `${MapType[type]} map`);
    assert.ok(results.includes(-7) && results.includes(-17) && results.includes(-2) && results.includes(-22), "the script reaches -E2BIG, -EEXIST, -ENOENT and -EINVAL");
  }
  const arrayOps: Op[] = [
    { op: "update", key: 0, value: 5, flags: ANY }, { op: "update", key: 1, value: 6, flags: EXIST }, { op: "update", key: 1, value: 7, flags: NOEXIST },
    { op: "update", key: 3, value: 8, flags: ANY }, { op: "lookup", key: 1 }, { op: "lookup", key: 3 }, { op: "delete", key: 0 }, { op: "update", key: 2, value: 9, flags: F_LOCK },
  ];
  for (const type of [MapType.Array, MapType.PercpuArray]) agree({ type, keySize: 4, valueSize: 4, maxEntries: 3 }, arrayOps, `${MapType[type]} map`);
  agree({ type: MapType.PercpuArray, keySize: 4, valueSize: 4, maxEntries: 2 }, [
    { op: "update", key: 1, value: 3, flags: ANY }, { op: "lookup_percpu", key: 1, cpu: 0 }, { op: "lookup_percpu", key: 1, cpu: 1 }, { op: "lookup_percpu", key: 1, cpu: 4095 }, { op: "lookup_percpu", key: 5, cpu: 0 },
  ], "map_lookup_percpu_elem");
});

test("queue and stack helpers: order, full maps with and without BPF_EXIST, empty pops", () => {
  const ops: Op[] = [
    { op: "pop" }, { op: "peek" }, { op: "push", value: 1, flags: ANY }, { op: "push", value: 2, flags: ANY }, { op: "push", value: 3, flags: ANY },
    { op: "push", value: 4, flags: EXIST }, { op: "push", value: 5, flags: 4 }, { op: "peek" }, { op: "pop" }, { op: "pop" }, { op: "pop" },
  ];
  for (const type of [MapType.Queue, MapType.Stack]) agree({ type, keySize: 0, valueSize: 4, maxEntries: 2 }, ops, `${MapType[type]} map`, false);
});

test("ring buffer output until full, with flags, and its queries", () => {
  const ops: Op[] = [{ op: "ringbuf_query", flags: 0 }, { op: "ringbuf_query", flags: 1 }];
  for (let i = 0; i < 11; i++) ops.push({ op: "ringbuf_output", size: BUFFER_SIZE, flags: i % 3 });
  ops.push({ op: "ringbuf_output", size: 8, flags: 4 }, { op: "ringbuf_query", flags: 0 }, { op: "ringbuf_query", flags: 2 }, { op: "ringbuf_query", flags: 3 }, { op: "ringbuf_query", flags: 9 });
  const results = agree({ type: MapType.Ringbuf, keySize: 0, valueSize: 0, maxEntries: 4096 }, ops, "ringbuf", false);
  assert.ok(results.includes(-11), "the ring fills up (-EAGAIN)");
});
