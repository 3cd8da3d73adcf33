// The emulated maps' program side and what the kernel cannot be asked about
// without a program: live value regions (a program's store is what the next
// lookup returns), per-CPU values, read-only-to-programs maps, queue/stack
// and bloom helpers, ring buffer reservations and space accounting, perf
// event output, prog arrays, the registry, and cleanup (close unmaps every
// region). A program run on the Machine uses a two-helper table written here
// on top of VmMapOps, as the kernel helpers (src/vm/kernel) do.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProgramBuilder, R0, R1, R2, R6, R10 } from "../../src/asm/index.js";
import { MapFlags, MapType, UpdateFlags } from "../../src/map/types.js";
import type { MapSpec } from "../../src/map/spec.js";
import { ClosedError, InvalidArgumentError, KeyNotFoundError, NotSupportedError, PermissionError } from "../../src/sys/errors.js";
import {
  AddressSpace, ArrayVmMap, createVmMap, Machine, PerfEventArrayVmMap, ProgArrayVmMap, RingBufferVmMap, VmFaultError, VmMapRegistry,
  VmProgram, vmProgramId, spinLockOffset, type VmHelperTable, type VmMapHost,
} from "../../src/vm/index.js";
import { PseudoLd } from "../../src/asm/opcodes.js";
import { Btf } from "../../src/btf/btf.js";
import { encodeBtf } from "../../src/btf/encode.js";

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

function u64(n: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
}

function readU64(b: Uint8Array, offset = 0): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(offset, true);
}

function hostOf(memory: AddressSpace, cpus = 1): VmMapHost & { cpu: number } {
  const host = { memory, cpus, cpu: 0, currentCpu: () => host.cpu };
  return host;
}

/** map_lookup_elem and map_update_elem over a registry, as the kernel helpers do. */
function mapHelpers(registry: VmMapRegistry): VmHelperTable {
  const mapOf = (address: bigint) => {
    const map = registry.mapAt(address);
    if (!map) throw new Error(`no map at 0x${address.toString(16)}`);
    return map;
  };
  return {
    map_lookup_elem: (ctx, r1, r2) => {
      const map = mapOf(r1);
      return map.programLookup(ctx.memory.read(r2, map.spec.keySize).slice());
    },
    map_update_elem: (ctx, r1, r2, r3, r4) => {
      const map = mapOf(r1);
      return BigInt.asUintN(64, BigInt(map.programUpdate(ctx.memory.read(r2, map.spec.keySize).slice(), ctx.memory.read(r3, map.valueSize).slice(), r4)));
    },
  };
}

/** r0 = 1 and `*value += 5` when key 7 is in the map whose handle ld_imm64 loads; r0 = 0 when absent. */
function counterProgram(map: { handle: { base: bigint } }): VmProgram {
  const insns = new ProgramBuilder()
    .stW(R10, -4, 7)
    .ldMapFd(R1, 1)
    .mov64Reg(R2, R10)
    .add64Imm(R2, -4)
    .call("map_lookup_elem")
    .jeqImm(R0, 0, "absent")
    .ldxDW(R6, R0, 0)
    .add64Imm(R6, 5)
    .stxDW(R0, R6, 0)
    .mov64Imm(R0, 1)
    .exit()
    .label("absent")
    .mov64Imm(R0, 0)
    .exit()
    .instructions();
  return new VmProgram(insns, { resolveLdImm64: (src) => (src === PseudoLd.MAP_FD ? map.handle.base : 0n) });
}

test("vm maps: a program's store through a looked-up pointer is what the next user lookup returns", () => {
  for (const type of [MapType.Hash, MapType.LruHash, MapType.Array]) {
    const machine = new Machine();
    const registry = new VmMapRegistry();
    const map = registry.add(createVmMap({ type, keySize: 4, valueSize: 8, maxEntries: 8, name: "counts" }, hostOf(machine.memory)));
    for (const [name, fn] of Object.entries(mapHelpers(registry))) machine.setHelper(name, fn);
    const program = counterProgram(map);
    if (type !== MapType.Array) assert.equal(machine.run(program).r0, 0n, "absent key");
    map.update(u32(7), u64(100n));
    assert.equal(machine.run(program).r0, 1n);
    assert.equal(machine.run(program, { engine: "jit" }).r0, 1n);
    assert.equal(readU64(map.lookup(u32(7))), 110n);
    // User values are copies: changing one changes nothing in the map.
    map.lookup(u32(7)).fill(0xff);
    assert.equal(readU64(map.lookup(u32(7))), 110n);
    registry.close();
  }
});

test("vm maps: per-CPU maps give each CPU its own value; a program writes only its CPU's", () => {
  for (const type of [MapType.PercpuHash, MapType.PercpuArray, MapType.LruPercpuHash]) {
    const memory = new AddressSpace();
    const host = hostOf(memory, 3);
    const map = createVmMap({ type, keySize: 4, valueSize: 4, maxEntries: 4 }, host);
    assert.equal(map.valueBufferSize, 24);
    map.update(u32(1), [u32(10), u32(11), u32(12)]);
    host.cpu = 2;
    const address = map.programLookup(u32(1));
    assert.equal(memory.read(address, 4)[0], 12);
    assert.equal(memory.read(map.programLookupPerCpu(u32(1), 0), 4)[0], 10);
    assert.equal(map.programLookupPerCpu(u32(1), 3), 0n, "no CPU 3");
    memory.write(address, u32(99));
    assert.equal(map.programUpdate(u32(1), u32(50), 0n), 0);
    assert.deepEqual(map.lookupPerCpu(u32(1)).map((v) => v[0]), [10, 11, 50]);
    if (type !== MapType.PercpuArray) {
      // A new element from a program: this CPU's value set, the others zero.
      assert.equal(map.programUpdate(u32(2), u32(7), 0n), 0);
      assert.deepEqual(map.lookupPerCpu(u32(2)).map((v) => v[0]), [0, 0, 7]);
    }
    host.cpu = 3;
    assert.throws(() => map.programLookup(u32(1)), (e) => e instanceof InvalidArgumentError && e.field === "cpu");
    map.close();
  }
});

test("vm maps: program-side updates honour NOEXIST/EXIST and capacity with the kernel's errnos", () => {
  const memory = new AddressSpace();
  const hash = createVmMap({ type: MapType.Hash, keySize: 4, valueSize: 4, maxEntries: 2 }, hostOf(memory));
  assert.equal(hash.programUpdate(u32(1), u32(1), BigInt(UpdateFlags.EXIST)), -2);
  assert.equal(hash.programUpdate(u32(1), u32(1), 0n), 0);
  assert.equal(hash.programUpdate(u32(1), u32(1), BigInt(UpdateFlags.NOEXIST)), -17);
  assert.equal(hash.programUpdate(u32(2), u32(2), 0n), 0);
  assert.equal(hash.programUpdate(u32(3), u32(3), 0n), -7, "full: -E2BIG");
  assert.equal(hash.programUpdate(u32(3), u32(3), 8n), -22, "bad flags: -EINVAL");
  assert.equal(hash.programUpdate(u32(3), u32(3), BigInt(UpdateFlags.F_LOCK)), -22, "F_LOCK without a spin lock");
  assert.equal(hash.programDelete(u32(9)), -2);
  assert.equal(hash.programDelete(u32(1)), 0);
  const array = createVmMap({ type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 2 }, hostOf(memory));
  assert.equal(array.programUpdate(u32(2), u32(1), 0n), -7, "index past the end: -E2BIG");
  assert.equal(array.programUpdate(u32(1), u32(1), 1n), -17, "arrays: NOEXIST is -EEXIST");
  assert.equal(array.programDelete(u32(1)), -22);
  assert.equal(array.programLookup(u32(2)), 0n);
  // With a spin lock in the value (VmMapOptions.spinLockOffset), BPF_F_LOCK is accepted and the lock is left alone.
  const locked = createVmMap({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 2 }, hostOf(memory), { spinLockOffset: 4 });
  locked.update(u32(1), u64(0xffff_ffff_0000_0005n), UpdateFlags.F_LOCK);
  assert.equal(readU64(locked.lookup(u32(1), UpdateFlags.F_LOCK)), 5n, "the lock reads as zeros");
  assert.equal(readU64(memory.read(locked.programLookup(u32(1)), 8)), 5n, "and was not written");
  assert.equal(locked.programUpdate(u32(1), u64(6n), BigInt(UpdateFlags.F_LOCK)), 0);
  assert.throws(() => createVmMap({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 2 }, hostOf(memory), { spinLockOffset: 6 }), InvalidArgumentError);
  assert.throws(() => createVmMap({ type: MapType.PercpuHash, keySize: 4, valueSize: 8, maxEntries: 2 }, hostOf(memory), { spinLockOffset: 0 }), NotSupportedError);
  assert.throws(() => hash.update(u32(1), u32(1), UpdateFlags.F_LOCK), InvalidArgumentError);
});

test("vm maps: a value pointer stays valid after its element is deleted (as the kernel's preallocated elements)", () => {
  const memory = new AddressSpace();
  const map = createVmMap({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 4 }, hostOf(memory));
  map.update(u32(1), u64(42n));
  const address = map.programLookup(u32(1));
  map.delete(u32(1));
  assert.equal(readU64(memory.read(address, 8)), 42n);
  memory.write(address, u64(1n));
  // The slot is reused, zeroed, by the next element.
  map.update(u32(2), u64(7n));
  assert.equal(map.programLookup(u32(2)), address);
  assert.equal(readU64(map.lookup(u32(2))), 7n);
});

test("vm maps: BPF_F_RDONLY_PROG values are read-only to programs; BPF_F_MMAPABLE arrays expose their value area", () => {
  const memory = new AddressSpace();
  const rodata = createVmMap({ type: MapType.Array, keySize: 4, valueSize: 12, maxEntries: 1, flags: MapFlags.RDONLY_PROG | MapFlags.MMAPABLE, name: ".rodata" }, hostOf(memory));
  assert.ok(rodata instanceof ArrayVmMap);
  rodata.memory.set([1, 2, 3]);
  const address = rodata.programLookup(u32(0));
  assert.deepEqual([...memory.read(address, 3)], [1, 2, 3]);
  assert.throws(() => memory.write(address, u32(0)), (e) => e instanceof VmFaultError && /read-only/.test(e.message));
  assert.equal(rodata.programUpdate(u32(0), new Uint8Array(12), 0n), -1, "-EPERM");
  const data = createVmMap({ type: MapType.Array, keySize: 4, valueSize: 5, maxEntries: 3, flags: MapFlags.MMAPABLE }, hostOf(memory)) as ArrayVmMap;
  assert.equal(data.memory.byteLength, 24, "3 elements of 5 bytes rounded up to 8");
  data.update(u32(2), Uint8Array.of(9, 9, 9, 9, 9));
  assert.equal(data.memory[16], 9);
  assert.equal(data.programLookup(u32(2)) - data.programLookup(u32(0)), 16n);
});

test("vm maps: queue, stack and bloom filter helpers from programs", () => {
  const memory = new AddressSpace();
  const queue = createVmMap({ type: MapType.Queue, keySize: 0, valueSize: 4, maxEntries: 2 }, hostOf(memory));
  const stack = createVmMap({ type: MapType.Stack, keySize: 0, valueSize: 4, maxEntries: 2 }, hostOf(memory));
  for (const m of [queue, stack]) {
    assert.equal(m.programPush(u32(1), 0n), 0);
    assert.equal(m.programPush(u32(2), 0n), 0);
    assert.equal(m.programPush(u32(3), 0n), -7, "full: -E2BIG");
    assert.equal(m.programPush(u32(3), BigInt(UpdateFlags.EXIST)), 0, "BPF_EXIST drops the oldest");
  }
  const out = new Uint8Array(4);
  assert.equal(queue.programPop(out, false), 0);
  assert.equal(out[0], 2, "queue head: the oldest left");
  assert.equal(stack.programPop(out, true), 0);
  assert.equal(out[0], 3, "stack top: the newest");
  assert.deepEqual([stack.pop()?.[0], stack.pop()], [2, undefined]);
  assert.equal(stack.programPop(out, true), -2, "empty: -ENOENT");
  const bloom = createVmMap({ type: MapType.BloomFilter, keySize: 0, valueSize: 4, maxEntries: 100 }, hostOf(memory));
  assert.equal(bloom.programPush(u32(1234), 0n), 0);
  assert.equal(bloom.programPop(u32(1234), false), 0, "peek: maybe present");
  assert.equal(bloom.programPop(u32(4321), false), -2, "peek: certainly absent");
  assert.equal(bloom.programPop(out, true), -95, "no pop: -EOPNOTSUPP");
  assert.ok(bloom.mayContain(u32(1234)));
});

test("vm maps: ring buffer reservations, submit/discard, output, query and the kernel's space accounting", () => {
  const memory = new AddressSpace();
  const host = hostOf(memory, 2);
  const rb = createVmMap({ type: MapType.Ringbuf, keySize: 0, valueSize: 0, maxEntries: 4096, name: "events" }, host) as RingBufferVmMap;
  const a = rb.reserve(16);
  assert.ok(a);
  memory.write(a.base, u64(0xabcdn));
  host.cpu = 1;
  assert.equal(rb.output(Uint8Array.of(1, 2, 3)), 0);
  assert.deepEqual(rb.records(), [], "a reserved record blocks the consumer");
  assert.equal(rb.query(0n), 24n + 16n, "avail: (16+8) + (3+8 rounded to 16)");
  assert.equal(rb.commit(a.base, false), 0);
  assert.equal(rb.commit(a.base, false), -22, "twice: -EINVAL");
  assert.throws(() => memory.read(a.base, 1), VmFaultError, "a submitted record is unmapped");
  const b = rb.reserve(8);
  assert.ok(b);
  assert.equal(rb.commit(b.base, true), 0);
  assert.deepEqual(rb.records().map((r) => [[...r.data], r.cpu]), [[[0xcd, 0xab, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0], [[1, 2, 3], 1]]);
  assert.equal(rb.query(3n), 56n, "producer position");
  assert.equal(rb.drain().length, 2);
  assert.equal(rb.query(2n), 56n, "consumer caught up");
  assert.equal(rb.query(0n), 0n);
  assert.equal(rb.query(1n), 4096n);
  // At most size − 1 bytes in flight: 4088 + 8 = 4096 is one byte too many.
  assert.equal(rb.reserve(4088), undefined);
  assert.equal(rb.output(new Uint8Array(4080)), 0);
  assert.equal(rb.output(new Uint8Array(1)), -11, "full: -EAGAIN");
  rb.drain();
  assert.equal(rb.output(new Uint8Array(1)), 0);
  rb.close();
  assert.equal(memory.regionAt(rb.handle.base), undefined);
});

test("vm maps: perf event output is collected per slot without a reader", () => {
  const memory = new AddressSpace();
  const perf = createVmMap({ type: MapType.PerfEventArray, keySize: 4, valueSize: 4, maxEntries: 0 }, hostOf(memory, 4)) as PerfEventArrayVmMap;
  assert.equal(perf.maxEntries, 4, "0 entries: one slot per CPU");
  assert.equal(perf.output(3, Uint8Array.of(7)), 0);
  assert.equal(perf.output(4, Uint8Array.of(7)), -7, "past the last slot: -E2BIG");
  assert.deepEqual(perf.records().map((r) => [r.cpu, [...r.data]]), [[3, [7]]]);
  assert.equal(perf.drain().length, 1);
  assert.deepEqual(perf.records(), []);
});

test("vm maps: prog arrays hold VmPrograms, set directly or through resolveProgram", () => {
  const memory = new AddressSpace();
  const program = new VmProgram(new ProgramBuilder().mov64Imm(R0, 3).exit().instructions());
  const map = createVmMap({ type: MapType.ProgArray, keySize: 4, valueSize: 4, maxEntries: 4 }, hostOf(memory), { resolveProgram: (fd) => (fd === 42 ? program : undefined) }) as ProgArrayVmMap;
  map.setProgram(1, program);
  assert.equal(map.programAt(1), program);
  assert.equal(map.programAt(0), undefined);
  map.update(u32(2), u32(42));
  assert.equal(map.programAt(2), program);
  assert.equal(new DataView(map.lookup(u32(2)).buffer).getUint32(0, true), vmProgramId(program));
  assert.throws(() => map.update(u32(3), u32(41)), (e) => e instanceof Error && e.name === "BadFdError");
  assert.throws(() => map.setProgram(4, program), InvalidArgumentError);
  map.delete(u32(1));
  assert.equal(map.programAt(1), undefined);
});

test("vm maps: the registry finds maps by handle address (inner maps too) and by name", () => {
  const memory = new AddressSpace();
  const registry = new VmMapRegistry();
  const inner: MapSpec = { type: MapType.Hash, keySize: 4, valueSize: 4, maxEntries: 4 };
  const counts = registry.add(createVmMap({ ...inner, name: "counts" }, hostOf(memory)));
  const outer = registry.add(createVmMap({ type: MapType.ArrayOfMaps, keySize: 4, valueSize: 4, maxEntries: 2, innerMap: inner, name: "outer" }, hostOf(memory)));
  const innerMap = createVmMap(inner, hostOf(memory));
  outer.update(u32(0), innerMap);
  assert.equal(registry.mapAt(counts.handle.base), counts);
  assert.equal(registry.get("outer"), outer);
  assert.equal(outer.programLookup(u32(0)), innerMap.handle.base);
  assert.equal(registry.mapAt(outer.programLookup(u32(0))), innerMap);
  assert.equal(registry.mapAt(counts.handle.base + 8n), undefined);
  assert.deepEqual([...registry].map((m) => m.name), ["counts", "outer"]);
  assert.throws(() => registry.add({} as never), InvalidArgumentError);
  // Names need not be unique (kernel names are truncated to 15 characters): the first one answers.
  const again = registry.add(createVmMap({ ...inner, name: "counts" }, hostOf(memory)));
  assert.equal(registry.get("counts"), counts);
  assert.equal(registry.mapAt(again.handle.base), again);
  // A program can read the handle region (a struct bpf_map) but not write it.
  assert.throws(() => memory.write(counts.handle.base, u32(1)), VmFaultError);
});

test("vm maps: close unmaps every region; a closed map refuses user calls", () => {
  const memory = new AddressSpace();
  const map = createVmMap({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 4, name: "gone" }, hostOf(memory));
  map.update(u32(1), u64(1n));
  const value = map.programLookup(u32(1));
  {
    using scoped = map;
    assert.equal(scoped.closed, false);
  }
  assert.equal(memory.regionAt(value), undefined);
  assert.equal(memory.regionAt(map.handle.base), undefined);
  assert.throws(() => map.lookup(u32(1)), ClosedError);
  map.close();
});

test("vm maps: user-side errors are BpfMap's", () => {
  const memory = new AddressSpace();
  const map = createVmMap({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 4, name: "errs", flags: MapFlags.RDONLY }, hostOf(memory));
  assert.throws(() => map.update(u32(1), u64(1n)), PermissionError);
  assert.throws(() => map.lookup(u32(1)), KeyNotFoundError);
  assert.throws(() => map.lookup("key" as unknown as Uint8Array), InvalidArgumentError);
  assert.throws(() => map.update(u32(1), [u64(1n)]), /only valid for per-CPU maps/);
  assert.throws(() => map.lookup(u32(1), -1), InvalidArgumentError);
  assert.equal(map.programUpdate(u32(1), u64(1n), 0n), 0, "programs may still write");
  assert.equal(readU64(map.lookup(u32(1))), 1n);
  assert.throws(() => map.mayContain(u32(1)), /for bloom filters/);
});

test("vm maps: an unsupported map type is a NotSupportedError naming it", () => {
  const memory = new AddressSpace();
  assert.throws(
    () => createVmMap({ type: MapType.StackTrace, keySize: 4, valueSize: 8, maxEntries: 4 }, hostOf(memory)),
    (e) => e instanceof NotSupportedError && /stack_trace/.test(e.message),
  );
  assert.throws(() => createVmMap({ type: 999, keySize: 4, valueSize: 8, maxEntries: 4 }, hostOf(memory)), NotSupportedError);
});


test("vm maps: spinLockOffset finds the struct bpf_spin_lock of a value type in BTF, nested too", () => {
  const member = (name: string, type: number, bitOffset: number) => ({ name, type, bitOffset, bitfieldSize: 0 });
  const btf = new Btf(encodeBtf([
    { kind: "INT", name: "int", kindFlag: false, size: 4, signed: true, char: false, bool: false, bitOffset: 0, bits: 32 },
    { kind: "STRUCT", name: "bpf_spin_lock", kindFlag: false, size: 4, members: [member("val", 1, 0)] },
    { kind: "STRUCT", name: "inner", kindFlag: false, size: 8, members: [member("n", 1, 0), member("lock", 2, 32)] },
    { kind: "STRUCT", name: "outer", kindFlag: false, size: 16, members: [member("a", 1, 0), member("b", 1, 32), member("in", 3, 64)] },
    { kind: "TYPEDEF", name: "outer_t", kindFlag: false, type: 4 },
    { kind: "STRUCT", name: "plain", kindFlag: false, size: 8, members: [member("a", 1, 0), member("b", 1, 32)] },
  ]));
  assert.equal(spinLockOffset(btf, 3), 4);
  assert.equal(spinLockOffset(btf, 5), 12, "through a typedef and a nested struct");
  assert.equal(spinLockOffset(btf, 6), undefined);
  assert.equal(spinLockOffset(btf, 1), undefined);
});
