// The emulated maps' program side against the kernel's: one random program
// per seed calls the map helpers (lookup — and a store through the pointer —,
// update with every flag, delete, push, pop, peek, lookup_percpu_elem) on a
// hash, a per-CPU hash and array, an array, an LPM trie, a queue, a stack and
// a bloom filter, and writes each helper's r0 and the value it read into a
// results array. The program runs once in the
// kernel (BPF_PROG_TEST_RUN) and once in the machine (kernelHelpers over
// VmMaps, on the CPU the kernel ran on); the results and every map's
// contents afterwards must be equal byte for byte.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProgramBuilder, R0, R1, R2, R3, R4, R6, R7, R9, R10 } from "../../src/asm/index.js";
import { RingBuffer } from "../../src/events/ring-buffer.js";
import { PseudoLd } from "../../src/asm/opcodes.js";
import { BpfMap } from "../../src/map.js";
import { MapFlags, MapType } from "../../src/map/types.js";
import type { MapSpec } from "../../src/map/spec.js";
import { Program, ProgramType } from "../../src/program.js";
import { possibleCpuCount } from "../../src/sys/cpus.js";
import { createVmMap, kernelHelpers, Machine, RingBufferVmMap, VmKernel, VmMap, VmMapRegistry, VmProgram } from "../../src/vm/index.js";
import { Random } from "./random-program.js";
import { hex, u32 } from "../map/map-helpers.js";

const CPUS = possibleCpuCount();
const OPS = 48;
/** Each op writes r0 and a value read (8 bytes each); slot 0 holds the CPU the program ran on. */
const RESULT_BYTES = 16 * (OPS + 1);

const SPECS: Readonly<Record<string, MapSpec>> = {
  hash: { type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 4, name: "p_hash" },
  percpu: { type: MapType.PercpuHash, keySize: 4, valueSize: 8, maxEntries: 4, name: "p_percpu" },
  array: { type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 4, name: "p_array" },
  lpm: { type: MapType.LpmTrie, keySize: 8, valueSize: 8, maxEntries: 4, flags: MapFlags.NO_PREALLOC, name: "p_lpm" },
  queue: { type: MapType.Queue, keySize: 0, valueSize: 8, maxEntries: 3, name: "p_queue" },
  stack: { type: MapType.Stack, keySize: 0, valueSize: 8, maxEntries: 3, name: "p_stack" },
  pcarray: { type: MapType.PercpuArray, keySize: 4, valueSize: 8, maxEntries: 3, name: "p_pcarray" },
  bloom: { type: MapType.BloomFilter, keySize: 0, valueSize: 8, maxEntries: 4, flags: MapFlags.ZERO_SEED, name: "p_bloom" },
  results: { type: MapType.Array, keySize: 4, valueSize: RESULT_BYTES, maxEntries: 1, name: "p_results" },
};
type MapName = keyof typeof SPECS;
const NAMES = Object.keys(SPECS) as MapName[];

/** The program of `seed`; `fdOf` gives the number each ld_imm64 MAP_FD holds for a map. */
function randomProgram(seed: number, fdOf: (name: MapName) => number): ProgramBuilder {
  const rnd = new Random(seed);
  const b = new ProgramBuilder();
  const map = fdOf;
  // r9 = &results[0]
  b.stW(R10, -4, 0).ldMapFd(R1, map("results")).mov64Reg(R2, R10).add64Imm(R2, -4).call("map_lookup_elem")
    .jneImm(R0, 0, "have_results").mov64Imm(R0, 1).exit().label("have_results").mov64Reg(R9, R0)
    .call("get_smp_processor_id").stxDW(R9, R0, 0);
  const key = (name: MapName): void => {
    if (name === "lpm") b.stW(R10, -8, rnd.below(34)).stW(R10, -4, rnd.pick([0x0000a8c0, 0x0001a8c0, 0x00ffa8c0, 0x0a0a0a0a]));
    else b.stW(R10, -8, rnd.below(6));
  };
  for (let i = 1; i <= OPS; i++) {
    const name = rnd.pick(["hash", "percpu", "array", "lpm", "queue", "stack", "pcarray", "bloom"] as const);
    const keyed = name !== "queue" && name !== "stack" && name !== "bloom";
    const perCpu = name === "percpu" || name === "pcarray";
    const op = keyed
      ? rnd.pick(["lookup", "lookup", "update", "update", "update", "delete", ...(perCpu ? ["percpu"] as const : [])])
      : rnd.pick(name === "bloom" ? ["push", "peek"] as const : ["push", "push", "pop", "peek"] as const);
    const r0 = 16 * i;
    b.mov64Imm(R7, 0);
    switch (op) {
      case "lookup":
        key(name);
        b.ldMapFd(R1, map(name)).mov64Reg(R2, R10).add64Imm(R2, -8).call("map_lookup_elem")
          .jeqImm(R0, 0, `null${i}`).ldxDW(R7, R0, 0).add64Imm(R7, 1).stxDW(R0, R7, 0).mov64Imm(R0, 1).label(`null${i}`);
        break;
      case "update":
        key(name);
        b.stDW(R10, -16, rnd.below(1000)).ldMapFd(R1, map(name)).mov64Reg(R2, R10).add64Imm(R2, -8).mov64Reg(R3, R10).add64Imm(R3, -16)
          .mov64Imm(R4, rnd.pick([0, 0, 1, 2, 3])).call("map_update_elem");
        break;
      case "percpu":
        key(name);
        b.ldMapFd(R1, map(name)).mov64Reg(R2, R10).add64Imm(R2, -8).mov64Imm(R3, rnd.below(CPUS + 1)).call("map_lookup_percpu_elem")
          .jeqImm(R0, 0, `null${i}`).ldxDW(R7, R0, 0).mov64Imm(R0, 1).label(`null${i}`);
        break;
      case "delete":
        key(name);
        b.ldMapFd(R1, map(name)).mov64Reg(R2, R10).add64Imm(R2, -8).call("map_delete_elem");
        break;
      case "push":
        b.stDW(R10, -16, name === "bloom" ? rnd.below(8) : rnd.below(1000)).ldMapFd(R1, map(name)).mov64Reg(R2, R10).add64Imm(R2, -16).mov64Imm(R3, rnd.pick([0, 0, 2, 1])).call("map_push_elem");
        break;
      default:
        // A bloom filter's peek tests the value in the buffer.
        b.stDW(R10, -16, name === "bloom" ? rnd.below(8) : 0).ldMapFd(R1, map(name)).mov64Reg(R2, R10).add64Imm(R2, -16).call(op === "pop" ? "map_pop_elem" : "map_peek_elem")
          .ldxDW(R7, R10, -16);
    }
    b.stxDW(R9, R0, r0).stxDW(R9, R7, r0 + 8);
  }
  return b.mov64Imm(R0, 0).exit();
}

/** What a map holds, as user space reads it (hash-like maps sorted; queues and stacks drained). */
function contents(m: BpfMap | VmMap): string {
  if (m.type === MapType.BloomFilter) return "";
  if (m.type === MapType.Queue || m.type === MapType.Stack) {
    const out: string[] = [];
    for (let v = m.pop(); v !== undefined; v = m.pop()) out.push(hex(v));
    return out.join(",");
  }
  const entries = [...m.entries()].map(([k, v]) => `${hex(k)}=${hex(v)}`);
  return (m.type === MapType.Array ? entries : entries.sort()).join(",");
}

test("vm maps: random programs using the map helpers leave the same results and map contents in the kernel and the machine", () => {
  const seen = new Set<bigint>();
  for (let seed = 1; seed <= 24; seed++) {
    const kernelMaps = NAMES.map((n) => BpfMap.create(SPECS[n] as MapSpec));
    let kernelResults: Uint8Array;
    const kernelContents = new Map<MapName, string>();
    try {
      const insns = randomProgram(seed, (n) => (kernelMaps[NAMES.indexOf(n)] as BpfMap).fd.raw).build();
      using prog = Program.load({ type: ProgramType.SocketFilter, instructions: insns, license: "GPL" });
      assert.equal(prog.testRun({ data: new Uint8Array(64) }).retval, 0, `seed ${seed}: kernel run`);
      kernelResults = (kernelMaps[NAMES.indexOf("results")] as BpfMap).lookup(u32(0));
      for (const [i, n] of NAMES.entries()) if (n !== "results") kernelContents.set(n, contents(kernelMaps[i] as BpfMap));
    } finally {
      for (const m of kernelMaps) m.close();
    }
    const view = new DataView(kernelResults.buffer);
    const cpu = Number(view.getBigUint64(0, true));
    for (let i = 1; i <= OPS; i++) seen.add(view.getBigInt64(16 * i, true));
    // In the machine, ld_imm64 MAP_FD holds the map's index in NAMES.
    const instructions = randomProgram(seed, (n) => NAMES.indexOf(n)).instructions();
    for (const engine of ["interpreter", "jit"] as const) {
      const vmKernel = new VmKernel({ cpus: CPUS });
      vmKernel.cpu = cpu;
      const registry = new VmMapRegistry();
      vmKernel.maps = registry;
      const machine = new Machine({ helpers: kernelHelpers(vmKernel) });
      const host = { memory: machine.memory, cpus: CPUS, currentCpu: () => vmKernel.cpu };
      const current = NAMES.map((n) => registry.add(createVmMap(SPECS[n] as MapSpec, host)));
      const run = new VmProgram(instructions, { resolveLdImm64: (src, imm) => (src === PseudoLd.MAP_FD ? (current[imm] as VmMap).handle.base : 0n) });
      assert.equal(machine.run(run, { engine }).r0, 0n, `seed ${seed}: ${engine} run`);
      const vmResults = (current[NAMES.indexOf("results")] as VmMap).lookup(u32(0));
      for (let i = 0; i <= OPS; i++) {
        assert.equal(hex(vmResults.subarray(16 * i, 16 * i + 16)), hex(kernelResults.subarray(16 * i, 16 * i + 16)), `seed ${seed} ${engine}: op ${i} (r0, value)`);
      }
      for (const [i, n] of NAMES.entries()) {
        if (n !== "results") assert.equal(contents(current[i] as VmMap), kernelContents.get(n), `seed ${seed} ${engine}: contents of ${n}`);
      }
      registry.close();
    }
  }
  // The programs met found and missing keys, full maps, flag conflicts and bad flags.
  for (const r0 of [0n, 1n, -2n, -7n, -17n, -22n]) assert.ok(seen.has(r0), `some helper returned ${r0}`);
});

/**
 * A program that reserves (and submits or discards), outputs and queries on
 * a 4096-byte ring buffer until it is full; r0 of each call goes to the
 * results array (a reservation: 1 or 0). Reserved records are written whole
 * (the kernel does not clear reused ring space).
 */
function ringProgram(seed: number, ring: number, results: number): ProgramBuilder {
  const rnd = new Random(seed);
  const b = new ProgramBuilder();
  b.stW(R10, -4, 0).ldMapFd(R1, results).mov64Reg(R2, R10).add64Imm(R2, -4).call("map_lookup_elem")
    .jneImm(R0, 0, "have_results").mov64Imm(R0, 1).exit().label("have_results").mov64Reg(R9, R0);
  for (let off = -512; off < -8; off += 8) b.stDW(R10, off, rnd.u32() | 0);
  for (let i = 1; i <= OPS; i++) {
    const kind = rnd.below(6);
    if (kind <= 2) {
      const words = 1 + rnd.below(8);
      b.ldMapFd(R1, ring).mov64Imm(R2, words * 8).mov64Imm(R3, 0).call("ringbuf_reserve").mov64Imm(R7, 0).jeqImm(R0, 0, `full${i}`).mov64Reg(R6, R0);
      for (let w = 0; w < words; w++) b.stDW(R6, w * 8, i * 100 + w);
      b.mov64Reg(R1, R6).mov64Imm(R2, 0).call(kind === 2 ? "ringbuf_discard" : "ringbuf_submit").mov64Imm(R7, 1).label(`full${i}`).mov64Reg(R0, R7);
    } else if (kind <= 4) {
      b.ldMapFd(R1, ring).mov64Reg(R2, R10).add64Imm(R2, -512).mov64Imm(R3, 1 + rnd.below(504)).mov64Imm(R4, 0).call("ringbuf_output");
    } else {
      b.ldMapFd(R1, ring).mov64Imm(R2, rnd.below(4)).call("ringbuf_query");
    }
    b.stxDW(R9, R0, 16 * i);
  }
  return b.mov64Imm(R0, 0).exit();
}

test("vm maps: ring buffer reservations, outputs and queries from programs match the kernel's, and so do the records read", () => {
  const ringSpec: MapSpec = { type: MapType.Ringbuf, keySize: 0, valueSize: 0, maxEntries: 4096, name: "p_ring" };
  const resultsSpec = SPECS.results as MapSpec;
  let full = 0;
  for (let seed = 1; seed <= 8; seed++) {
    let kernelResults: Uint8Array;
    let kernelRecords: string[];
    {
      using ring = BpfMap.create(ringSpec);
      using results = BpfMap.create(resultsSpec);
      using prog = Program.load({ type: ProgramType.SocketFilter, instructions: ringProgram(seed, ring.fd.raw, results.fd.raw).build(), license: "GPL" });
      assert.equal(prog.testRun({ data: new Uint8Array(64) }).retval, 0);
      kernelResults = results.lookup(u32(0));
      using reader = new RingBuffer(ring);
      kernelRecords = reader.readAvailable().map(hex);
    }
    for (const engine of ["interpreter", "jit"] as const) {
      const vmKernel = new VmKernel();
      const registry = new VmMapRegistry();
      vmKernel.maps = registry;
      const machine = new Machine({ helpers: kernelHelpers(vmKernel) });
      const host = { memory: machine.memory, cpus: 1, currentCpu: () => 0 };
      const maps = [registry.add(createVmMap(ringSpec, host)), registry.add(createVmMap(resultsSpec, host))];
      const program = new VmProgram(ringProgram(seed, 0, 1).instructions(), { resolveLdImm64: (src, imm) => (src === PseudoLd.MAP_FD ? (maps[imm] as VmMap).handle.base : 0n) });
      assert.equal(machine.run(program, { engine }).r0, 0n);
      const vmResults = (maps[1] as VmMap).lookup(u32(0));
      for (let i = 1; i <= OPS; i++) assert.equal(hex(vmResults.subarray(16 * i, 16 * i + 8)), hex(kernelResults.subarray(16 * i, 16 * i + 8)), `seed ${seed} ${engine}: op ${i}`);
      for (let i = 1; i <= OPS; i++) if (new DataView(vmResults.buffer).getBigInt64(16 * i, true) === -11n) full++;
      assert.deepEqual((maps[0] as RingBufferVmMap).drain().map((r) => hex(r.data)), kernelRecords, `seed ${seed} ${engine}: records`);
      registry.close();
    }
  }
  assert.ok(full > 0, "some output found the ring full (-EAGAIN)");
});
