// The kernel helpers of the machine, each driven by a program built with
// tsbpf/asm: map helpers against the emulated maps (read back through their
// user-side API), ring buffer and perf event records, tail calls, the task
// and time helpers against the VmKernel fields a test controls, bpf_loop,
// spin locks, probe reads and strncmp. Expected values come from the
// helpers' documented kernel behaviour (include/uapi/linux/bpf.h); where
// the kernel itself can answer, the -packet and -printk tests ask it.
import assert from "node:assert/strict";
import { ProgramBuilder, R0, R1, R2, R3, R4, R5, R6, R7, R10 } from "../../src/asm/index.js";
import { MapType } from "../../src/map.js";
import { E2BIG, EEXIST, EFAULT, EINVAL, ENOENT, ERANGE } from "../../src/sys/errno.js";
import { AddressSpace, VmFaultError, VmHelperArgumentError, VmProgram, type ProgArrayVmMap, type PerfEventArrayVmMap, type RingBufferVmMap } from "../../src/vm/index.js";
import { both, cString, packetWorld, signed, storeBytes, VmWorld } from "./vm-kernel-helpers-util.js";

const BPF_ANY = 0;
const BPF_NOEXIST = 1;

/** r2 = fp-8 holding the u32 key `key`. */
function keyOnStack(b: ProgramBuilder, key: number, register = R2): ProgramBuilder {
  return b.stW(R10, -8, key).mov64Reg(register, R10).add64Imm(register, -8);
}

both("map_update_elem honours BPF_NOEXIST, lookup gives live value memory, delete removes", () => {
  const w = new VmWorld();
  const { map, fd } = w.map({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 4, name: "counts" });
  const update = (flags: number): ProgramBuilder => {
    const b = new ProgramBuilder().stDW(R10, -16, 41).ldMapFd(R1, fd);
    keyOnStack(b, 7).mov64Reg(R3, R10).add64Imm(R3, -16).mov64Imm(R4, flags).call("map_update_elem");
    return b.exit();
  };
  assert.equal(signed(w.run(update(BPF_ANY))), 0);
  assert.equal(signed(w.run(update(BPF_NOEXIST))), -EEXIST);
  // Increment through the looked-up pointer; the user side sees the store.
  const bump = new ProgramBuilder().ldMapFd(R1, fd);
  keyOnStack(bump, 7).call("map_lookup_elem").jeqImm(R0, 0, "out")
    .ldxDW(R1, R0, 0).add64Imm(R1, 1).stxDW(R0, R1, 0).mov64Imm(R0, 1).label("out").exit();
  assert.equal(w.run(bump), 1n);
  assert.equal(new DataView(map.lookup(new Uint8Array([7, 0, 0, 0])).buffer).getBigUint64(0, true), 42n);
  const del = new ProgramBuilder().ldMapFd(R1, fd);
  keyOnStack(del, 7).call("map_delete_elem").exit();
  assert.equal(w.run(del), 0n);
  assert.equal(signed(w.run(del)), -ENOENT);
  assert.equal(w.run(bump), 0n, "lookup of a deleted key is NULL");
});

both("map_lookup_percpu_elem reads another CPU's value; a CPU past the machine's is NULL", () => {
  const w = new VmWorld({ cpus: 4 });
  const { map, fd } = w.map({ type: MapType.PercpuArray, keySize: 4, valueSize: 4, maxEntries: 2 });
  map.update(new Uint8Array(4), [10, 11, 12, 13].map((v) => new Uint8Array([v, 0, 0, 0])));
  const read = (cpu: number): bigint => {
    const b = new ProgramBuilder().ldMapFd(R1, fd);
    keyOnStack(b, 0).mov64Imm(R3, cpu).call("map_lookup_percpu_elem").jeqImm(R0, 0, "null").ldxW(R0, R0, 0).exit().label("null").mov64Imm(R0, -1).exit();
    return w.run(b);
  };
  assert.deepEqual([0, 1, 2, 3].map(read), [10n, 11n, 12n, 13n]);
  assert.equal(signed(read(4)), -1);
  // map_lookup_elem reads the current CPU's slot.
  w.kernel.cpu = 2;
  const mine = new ProgramBuilder().ldMapFd(R1, fd);
  keyOnStack(mine, 0).call("map_lookup_elem").ldxW(R0, R0, 0).exit();
  assert.equal(w.run(mine), 12n);
});

both("queue push/pop/peek: FIFO order, -ENOENT when empty", () => {
  const w = new VmWorld();
  const { map, fd } = w.map({ type: MapType.Queue, keySize: 0, valueSize: 4, maxEntries: 2 });
  const push = (v: number): bigint => w.run(new ProgramBuilder().stW(R10, -4, v).ldMapFd(R1, fd).mov64Reg(R2, R10).add64Imm(R2, -4).mov64Imm(R3, 0).call("map_push_elem").exit());
  assert.equal(push(5), 0n);
  assert.equal(push(6), 0n);
  assert.equal(signed(push(7)), -E2BIG, "a full queue without BPF_EXIST");
  // r0 = helper result; the value read back lands in r0's upper half to check both.
  const take = (helper: "map_pop_elem" | "map_peek_elem"): [number, number] => {
    const b = new ProgramBuilder().stW(R10, -4, 0x5a5a).ldMapFd(R1, fd).mov64Reg(R2, R10).add64Imm(R2, -4).call(helper)
      .ldxW(R1, R10, -4).lsh64Imm(R1, 32).mov32Reg(R0, R0).or64Reg(R0, R1).exit();
    const r0 = w.run(b);
    return [Number(BigInt.asIntN(32, r0 & 0xffff_ffffn)), Number(r0 >> 32n)];
  };
  assert.deepEqual(take("map_peek_elem"), [0, 5]);
  assert.deepEqual(take("map_pop_elem"), [0, 5]);
  assert.deepEqual(take("map_pop_elem"), [0, 6]);
  assert.deepEqual(take("map_pop_elem"), [-ENOENT, 0], "an empty queue clears the buffer, as the kernel's does");
  assert.equal(map.peek(), undefined, "the program emptied it");
});

both("bloom filter: peek tests membership of the value the program gives", () => {
  const w = new VmWorld();
  const { fd } = w.map({ type: MapType.BloomFilter, keySize: 0, valueSize: 4, maxEntries: 16, mapExtra: 3n });
  const op = (helper: "map_push_elem" | "map_peek_elem", v: number): number => {
    const b = new ProgramBuilder().stW(R10, -4, v).ldMapFd(R1, fd).mov64Reg(R2, R10).add64Imm(R2, -4);
    if (helper === "map_push_elem") b.mov64Imm(R3, 0);
    return signed(w.run(b.call(helper).exit()));
  };
  assert.equal(op("map_peek_elem", 99), -ENOENT);
  assert.equal(op("map_push_elem", 99), 0);
  assert.equal(op("map_peek_elem", 99), 0);
});

both("ring buffer: output, reserve + submit, reserve + discard, query; records in order", () => {
  const w = new VmWorld();
  const { map, fd } = w.map({ type: MapType.Ringbuf, keySize: 0, valueSize: 0, maxEntries: 4096 });
  const rb = map as RingBufferVmMap;
  const b = new ProgramBuilder().ldImm64(R1, 0x0102030405060708n).stxDW(R10, R1, -8);
  b.ldMapFd(R1, fd).mov64Reg(R2, R10).add64Imm(R2, -8).mov64Imm(R3, 8).mov64Imm(R4, 0).call("ringbuf_output").mov64Reg(R7, R0);
  // reserve 4 bytes, write, submit
  b.ldMapFd(R1, fd).mov64Imm(R2, 4).mov64Imm(R3, 0).call("ringbuf_reserve").jeqImm(R0, 0, "fail")
    .stW(R0, 0, 0x11223344).mov64Reg(R1, R0).mov64Imm(R2, 0).call("ringbuf_submit");
  // reserve and discard: no record
  b.ldMapFd(R1, fd).mov64Imm(R2, 16).mov64Imm(R3, 0).call("ringbuf_reserve").jeqImm(R0, 0, "fail")
    .mov64Reg(R1, R0).mov64Imm(R2, 0).call("ringbuf_discard");
  // reserve with flags: NULL
  b.ldMapFd(R1, fd).mov64Imm(R2, 4).mov64Imm(R3, 1).call("ringbuf_reserve").jneImm(R0, 0, "fail");
  b.ldMapFd(R1, fd).mov64Imm(R2, 1).call("ringbuf_query").exit(); // BPF_RB_RING_SIZE
  b.label("fail").mov64Imm(R0, -1).exit();
  assert.equal(w.run(b), 4096n);
  const records = rb.drain();
  assert.deepEqual(records.map((r) => [...r.data]), [[8, 7, 6, 5, 4, 3, 2, 1], [0x44, 0x33, 0x22, 0x11]]);
  // ringbuf_output with unknown flags is -EINVAL.
  const bad = new ProgramBuilder().ldMapFd(R1, fd).mov64Reg(R2, R10).add64Imm(R2, -8).mov64Imm(R3, 8).mov64Imm(R4, 4).call("ringbuf_output").exit();
  assert.equal(signed(w.run(bad)), -EINVAL);
});

both("ringbuf_submit of an address that is no reservation is the verifier's refusal, typed", () => {
  const w = new VmWorld();
  const { fd } = w.map({ type: MapType.Ringbuf, keySize: 0, valueSize: 0, maxEntries: 4096 });
  const twice = new ProgramBuilder().ldMapFd(R1, fd).mov64Imm(R2, 8).mov64Imm(R3, 0).call("ringbuf_reserve").mov64Reg(R6, R0)
    .mov64Reg(R1, R6).mov64Imm(R2, 0).call("ringbuf_submit").mov64Reg(R1, R6).mov64Imm(R2, 0).call("ringbuf_submit").exit();
  assert.throws(() => w.run(twice), (e: unknown) => e instanceof VmHelperArgumentError && e.helper === "bpf_ringbuf_submit" && e instanceof VmFaultError);
});

both("perf_event_output: BPF_F_CURRENT_CPU, explicit slots, -E2BIG past the array, -EINVAL for bad flags", () => {
  const w = new VmWorld({ cpus: 2 });
  const { map, fd } = w.map({ type: MapType.PerfEventArray, keySize: 4, valueSize: 4, maxEntries: 0 });
  const out = (flags: bigint): number => {
    const b = new ProgramBuilder().stW(R10, -4, 0x61626364).ldMapFd(R2, fd).ldImm64(R3, flags).mov64Reg(R4, R10).add64Imm(R4, -4).mov64Imm(R5, 4).call("perf_event_output").exit();
    return signed(w.run(b));
  };
  w.kernel.cpu = 1;
  assert.equal(out(0xffff_ffffn), 0);
  assert.equal(out(0n), 0);
  assert.equal(out(2n), -E2BIG);
  assert.equal(out(1n << 32n), -EINVAL, "tracing programs may not append packet bytes");
  assert.deepEqual((map as PerfEventArrayVmMap).drain().map((r) => [r.cpu, [...r.data]]), [[1, [0x64, 0x63, 0x62, 0x61]], [0, [0x64, 0x63, 0x62, 0x61]]]);
});

both("tail_call continues in the slot's program; a missing slot falls through", () => {
  const w = new VmWorld();
  const { map, fd } = w.map({ type: MapType.ProgArray, keySize: 4, valueSize: 4, maxEntries: 4 });
  (map as ProgArrayVmMap).setProgram(1, new VmProgram(new ProgramBuilder().mov64Reg(R0, R1).add64Imm(R0, 1000).exit().instructions()));
  const caller = (slot: number): bigint => w.run(new ProgramBuilder().mov64Reg(R6, R1).ldMapFd(R2, fd).mov64Imm(R3, slot).call("tail_call").mov64Imm(R0, 99).exit(), [7]);
  assert.equal(caller(1), 1007n, "the target got the caller's r1");
  assert.equal(caller(2), 99n);
  assert.equal(caller(400), 99n);
});

both("a map helper given something that is no map, or the wrong map type, is a typed error naming the helper", () => {
  const w = new VmWorld();
  const { fd } = w.map({ type: MapType.Hash, keySize: 4, valueSize: 4, maxEntries: 1 });
  const noMap = new ProgramBuilder().mov64Imm(R1, 1234);
  keyOnStack(noMap, 0).call("map_lookup_elem").exit();
  assert.throws(() => w.run(noMap), (e: unknown) => e instanceof VmHelperArgumentError && e.helper === "bpf_map_lookup_elem" && e.register === 1 && /is not a map/.test(e.message));
  const wrong = new ProgramBuilder().ldMapFd(R1, fd).mov64Reg(R2, R10).add64Imm(R2, -8).mov64Imm(R3, 8).mov64Imm(R4, 0).call("ringbuf_output").exit();
  assert.throws(() => w.run(wrong), /bpf_ringbuf_output: r1 is hash map .*not a ringbuf map/);
});

both("task and time helpers read the VmKernel fields the test sets", () => {
  const w = new VmWorld({ clockStart: 5_000_000_000n, clockStep: 0n, cpus: 4 });
  Object.assign(w.kernel.task, { pid: 11, tgid: 22, uid: 1000, gid: 100, cgroupId: 0x1234n, task: 0xffff_8880_0000_1000n });
  w.kernel.cpu = 3;
  w.kernel.random = () => 0xdead_beef;
  const call = (helper: string): bigint => w.run(new ProgramBuilder().call(helper as "ktime_get_ns").exit());
  assert.equal(call("get_current_pid_tgid"), (22n << 32n) | 11n);
  assert.equal(call("get_current_uid_gid"), (100n << 32n) | 1000n);
  assert.equal(call("get_current_cgroup_id"), 0x1234n);
  assert.equal(call("get_current_task"), 0xffff_8880_0000_1000n);
  assert.equal(call("get_current_task_btf"), 0xffff_8880_0000_1000n);
  assert.equal(call("get_smp_processor_id"), 3n);
  assert.equal(call("get_numa_node_id"), 0n);
  assert.equal(call("get_prandom_u32"), 0xdead_beefn);
  for (const h of ["ktime_get_ns", "ktime_get_boot_ns", "ktime_get_coarse_ns", "ktime_get_tai_ns"]) assert.equal(call(h), 5_000_000_000n);
  assert.equal(call("jiffies64"), 5_000_000_000n / 4_000_000n, "HZ=250");
  // The clock advances by clockStep on each read.
  const ticking = new VmWorld({ clockStart: 100n, clockStep: 10n });
  const twice = new ProgramBuilder().call("ktime_get_ns").mov64Reg(R6, R0).call("ktime_get_ns").sub64Reg(R0, R6).exit();
  assert.equal(ticking.run(twice), 10n);
});

both("get_current_comm cuts the name to the buffer and pads it with NULs", () => {
  const w = new VmWorld();
  w.kernel.task.comm = "a-very-long-command-name";
  const comm = (size: number): number[] => {
    const b = new ProgramBuilder().stDW(R10, -32, -1).stDW(R10, -24, -1).stDW(R10, -16, -1).stDW(R10, -8, -1)
      .mov64Reg(R1, R10).add64Imm(R1, -32).mov64Imm(R2, size).call("get_current_comm").jneImm(R0, 0, "out");
    for (let i = 0; i < 4; i++) b.ldxDW(R1, R10, -32 + 8 * i).stxDW(R6, R1, 8 * i);
    b.label("out").exit();
    const mem = new Uint8Array(32);
    const region = w.machine.memory.map("out", mem);
    try {
      w.machine.run(w.program(new ProgramBuilder().mov64Reg(R6, R1).append(b.instructions())), { args: [region.base] });
    } finally {
      w.machine.memory.unmap(region);
    }
    return [...mem];
  };
  const text = (s: string): number[] => [...new TextEncoder().encode(s)];
  assert.deepEqual(comm(4), [...text("a-v"), 0, ...Array<number>(28).fill(0xff)]);
  assert.deepEqual(comm(32), [...text("a-very-long-com"), ...Array<number>(17).fill(0)], "at most 15 bytes, NUL-padded to the size");
});

both("bpf_loop calls the callback until it returns 1; flags and counts are checked", () => {
  const w = new VmWorld();
  // callback(i, ctx): *(u64 *)ctx += i; return i == stopAt
  const loop = (count: number, stopAt: number, flags = 0): [number, bigint] => {
    const b = new ProgramBuilder().stDW(R10, -8, 0).mov64Imm(R1, count).ldFunc(R2, "cb").mov64Reg(R3, R10).add64Imm(R3, -8).mov64Imm(R4, flags)
      .call("loop").mov32Reg(R6, R0).ldxDW(R0, R10, -8).lsh64Imm(R0, 32).or64Reg(R0, R6).exit()
      .label("cb").ldxDW(R3, R2, 0).add64Reg(R3, R1).stxDW(R2, R3, 0).mov64Imm(R0, 0).jneImm(R1, stopAt, "go").mov64Imm(R0, 1).label("go").exit();
    const r0 = w.run(b);
    return [Number(BigInt.asIntN(32, r0 & 0xffff_ffffn)), r0 >> 32n];
  };
  assert.deepEqual(loop(10, -1), [10, 45n]);
  assert.deepEqual(loop(10, 3), [4, 6n]);
  assert.deepEqual(loop(0, -1), [0, 0n]);
  assert.deepEqual(loop(3, -1, 1), [-EINVAL, 0n]);
  assert.deepEqual(loop((1 << 23) + 1, -1), [-E2BIG, 0n]);
});

both("spin locks: lock/unlock pairs work; a second lock or an unlock of a free lock is a typed error", () => {
  const w = new VmWorld();
  const { fd } = w.map({ type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 1 });
  const withValue = (body: (b: ProgramBuilder) => void): ProgramBuilder => {
    const b = new ProgramBuilder().ldMapFd(R1, fd);
    keyOnStack(b, 0).call("map_lookup_elem").mov64Reg(R6, R0);
    body(b);
    return b.mov64Imm(R0, 0).exit();
  };
  const lock = (b: ProgramBuilder): void => void b.mov64Reg(R1, R6).call("spin_lock");
  const unlock = (b: ProgramBuilder): void => void b.mov64Reg(R1, R6).call("spin_unlock");
  assert.equal(w.run(withValue((b) => { lock(b); unlock(b); lock(b); unlock(b); })), 0n);
  assert.throws(() => w.run(withValue((b) => { lock(b); lock(b); })), (e: unknown) => e instanceof VmHelperArgumentError && e.helper === "bpf_spin_lock");
  // The failed run does not leave the lock held for the next one.
  assert.equal(w.run(withValue((b) => { lock(b); unlock(b); })), 0n);
  assert.throws(() => w.run(withValue(unlock)), /bpf_spin_unlock: r1 is a lock the program does not hold/);
});

both("probe_read_kernel/user read the test's memory; a fault is -EFAULT with the buffer cleared", () => {
  const w = new VmWorld();
  const kernelMemory = new AddressSpace();
  const userMemory = new AddressSpace();
  userMemory.map("unused", new Uint8Array(1)); // so user addresses differ from kernel ones
  const k = kernelMemory.map("task_struct", new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  const u = userMemory.map("argv", cString("hello"));
  w.kernel.kernelMemory = kernelMemory;
  w.kernel.userMemory = userMemory;
  // The destination is a buffer the test maps (r1), so what the helper wrote can be read back.
  const viaBuffer = (helper: string, size: number, src: bigint): [number, number[]] => {
    const buf = new Uint8Array(8).fill(0xee);
    const region = w.machine.memory.map("dst", buf);
    try {
      const r0 = w.run(new ProgramBuilder().mov64Imm(R2, size).ldImm64(R3, src).call(helper as "probe_read").exit(), [region.base]);
      return [signed(r0), [...buf]];
    } finally {
      w.machine.memory.unmap(region);
    }
  };
  assert.deepEqual(viaBuffer("probe_read_kernel", 4, k.base + 2n), [0, [3, 4, 5, 6, 0xee, 0xee, 0xee, 0xee]]);
  assert.deepEqual(viaBuffer("probe_read_kernel", 4, k.base + 6n), [-EFAULT, [0, 0, 0, 0, 0xee, 0xee, 0xee, 0xee]], "past the region's end");
  assert.deepEqual(viaBuffer("probe_read_kernel", 4, u.base), [-ERANGE, [0, 0, 0, 0, 0xee, 0xee, 0xee, 0xee]], "a user address: x86 refuses it with -ERANGE");
  assert.deepEqual(viaBuffer("probe_read_kernel", 4, 0n), [-ERANGE, [0, 0, 0, 0, 0xee, 0xee, 0xee, 0xee]], "NULL is a user address");
  assert.deepEqual(viaBuffer("probe_read", 4, 0n), [-EFAULT, [0, 0, 0, 0, 0xee, 0xee, 0xee, 0xee]], "the legacy helper reads it as user memory");
  assert.deepEqual(viaBuffer("probe_read_user", 2, u.base), [0, [0x68, 0x65, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee]]);
  assert.deepEqual(viaBuffer("copy_from_user", 3, u.base + 4n), [-EFAULT, [0, 0, 0, 0xee, 0xee, 0xee, 0xee, 0xee]]);
  assert.deepEqual(viaBuffer("probe_read", 2, k.base), [0, [1, 2, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee]], "legacy probe_read: kernel memory");
  assert.deepEqual(viaBuffer("probe_read", 2, u.base), [0, [0x68, 0x65, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee]], "then user memory");
  // _str: length with the NUL; cut strings give the size and end in a NUL.
  assert.deepEqual(viaBuffer("probe_read_user_str", 8, u.base), [6, [0x68, 0x65, 0x6c, 0x6c, 0x6f, 0, 0xee, 0xee]]);
  assert.deepEqual(viaBuffer("probe_read_user_str", 3, u.base), [3, [0x68, 0x65, 0, 0xee, 0xee, 0xee, 0xee, 0xee]]);
  assert.deepEqual(viaBuffer("probe_read_user_str", 8, u.base + 5n), [1, [0, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee]], "an empty string counts its NUL");
  assert.deepEqual(viaBuffer("probe_read_kernel_str", 8, k.base + 4n), [-EFAULT, [0, 0, 0, 0, 0, 0, 0, 0]], "no NUL before the region ends");
  assert.deepEqual(viaBuffer("probe_read_kernel_str", 0, k.base), [0, [0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee]]);
});

both("strncmp compares at most s1_sz bytes against a NUL-terminated string: -1, 0 or 1", () => {
  const w = new VmWorld();
  const cmp = (s1: string, size: number, s2: string): number => {
    const b = new ProgramBuilder();
    storeBytes(b, -64, cString(s1));
    storeBytes(b, -32, cString(s2));
    b.mov64Reg(R1, R10).add64Imm(R1, -64).mov64Imm(R2, size).mov64Reg(R3, R10).add64Imm(R3, -32).call("strncmp").exit();
    return signed(w.run(b));
  };
  assert.equal(cmp("abc", 3, "abc"), 0);
  assert.equal(cmp("abd", 3, "abc"), 1);
  assert.equal(cmp("abb", 3, "abc"), -1);
  assert.equal(cmp("abcdef", 3, "abc"), 0, "only s1_sz bytes count");
  assert.equal(cmp("ab", 3, "abc"), -1, "s1's NUL sorts first");
  assert.equal(cmp("\x80", 1, "a"), 1, "bytes compare unsigned");
});

both("a helper's own store faults with the machine's error when the buffer is read-only", () => {
  const w = new VmWorld();
  const ro = w.machine.memory.map("rodata", new Uint8Array(16), { writable: false });
  assert.throws(() => w.run(new ProgramBuilder().mov64Imm(R2, 16).call("get_current_comm").exit(), [ro.base]), (e: unknown) => e instanceof VmFaultError && e.access === "write" && e.region === "rodata");
});

both("for_each_map_elem visits array slots in order and hash elements once, until the callback returns 1", () => {
  const w = new VmWorld();
  const { map: array, fd: arrayFd } = w.map({ type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 5 });
  for (let i = 0; i < 5; i++) array.update(new Uint8Array([i, 0, 0, 0]), new Uint8Array([10 * i, 0, 0, 0, 0, 0, 0, 0]));
  // callback(map, key, value, ctx): ctx[0] = ctx[0] * 10 + *key; *value += 1; return *key == stopAt
  const each = (fd: number, stopAt: number, flags = 0): [number, bigint] => {
    const b = new ProgramBuilder().stDW(R10, -8, 0).ldMapFd(R1, fd).ldFunc(R2, "cb").mov64Reg(R3, R10).add64Imm(R3, -8).mov64Imm(R4, flags)
      .call("for_each_map_elem").mov32Reg(R6, R0).ldxDW(R0, R10, -8).lsh64Imm(R0, 32).or64Reg(R0, R6).exit()
      .label("cb").ldxW(R2, R2, 0).ldxDW(R5, R4, 0).mul64Imm(R5, 10).add64Reg(R5, R2).stxDW(R4, R5, 0)
      .ldxDW(R5, R3, 0).add64Imm(R5, 1).stxDW(R3, R5, 0)
      .mov64Imm(R0, 0).jneImm(R2, stopAt, "go").mov64Imm(R0, 1).label("go").exit();
    const r0 = w.run(b);
    return [Number(BigInt.asIntN(32, r0 & 0xffff_ffffn)), r0 >> 32n];
  };
  assert.deepEqual(each(arrayFd, -1), [5, 1234n]);
  assert.deepEqual(each(arrayFd, 2), [3, 12n], "the stopping element counts");
  assert.deepEqual([...array.lookup(new Uint8Array([4, 0, 0, 0]))].slice(0, 1), [41], "values are live: the callback's stores stay");
  assert.deepEqual(each(arrayFd, -1, 1), [-EINVAL, 0n]);
  const { map: hash, fd: hashFd } = w.map({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 8 });
  for (const k of [3, 5, 7]) hash.update(new Uint8Array([k, 0, 0, 0]), new Uint8Array(8));
  const [count, digits] = each(hashFd, -1);
  assert.equal(count, 3);
  assert.deepEqual(String(digits).split("").sort(), ["3", "5", "7"], "each key once, in the map's order");
  assert.deepEqual([...hash.entries()].map(([, v]) => v[0]).sort(), [1, 1, 1]);
});

both("ring buffer dynptrs: reserve, write, data slice, submit; a failed reserve leaves a null dynptr", () => {
  const w = new VmWorld();
  const { map, fd } = w.map({ type: MapType.Ringbuf, keySize: 0, valueSize: 0, maxEntries: 4096 });
  const DYNPTR = -16;
  const b = new ProgramBuilder().ldImm64(R1, 0x0807060504030201n).stxDW(R10, R1, -24)
    .ldMapFd(R1, fd).mov64Imm(R2, 12).mov64Imm(R3, 0).mov64Reg(R4, R10).add64Imm(R4, DYNPTR).call("ringbuf_reserve_dynptr").mov64Reg(R7, R0)
    // write 8 bytes at offset 0, then 0xee at offset 10 through a data slice
    .mov64Reg(R1, R10).add64Imm(R1, DYNPTR).mov64Imm(R2, 0).mov64Reg(R3, R10).add64Imm(R3, -24).mov64Imm(R4, 8).mov64Imm(R5, 0).call("dynptr_write").add64Reg(R7, R0)
    .mov64Reg(R1, R10).add64Imm(R1, DYNPTR).mov64Imm(R2, 8).mov64Imm(R3, 4).call("dynptr_data").jeqImm(R0, 0, "fail").stB(R0, 2, 0xee)
    // a slice past the end is NULL
    .mov64Reg(R1, R10).add64Imm(R1, DYNPTR).mov64Imm(R2, 9).mov64Imm(R3, 4).call("dynptr_data").jneImm(R0, 0, "fail")
    .mov64Reg(R1, R10).add64Imm(R1, DYNPTR).mov64Imm(R2, 0).call("ringbuf_submit_dynptr")
    // the dynptr is null now: a read is -EINVAL
    .mov64Reg(R1, R10).add64Imm(R1, -32).mov64Imm(R2, 4).mov64Reg(R3, R10).add64Imm(R3, DYNPTR).mov64Imm(R4, 0).mov64Imm(R5, 0).call("dynptr_read")
    .add64Reg(R7, R0).mov64Reg(R0, R7).exit()
    .label("fail").mov64Imm(R0, 1000).exit();
  assert.equal(signed(w.run(b)), -EINVAL);
  assert.deepEqual((map as RingBufferVmMap).drain().map((r) => [...r.data]), [[1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0xee, 0]]);
  // Flags make the reservation fail and null the dynptr; submitting a null dynptr does nothing.
  const failed = new ProgramBuilder().stDW(R10, -16, -1).stDW(R10, -8, -1)
    .ldMapFd(R1, fd).mov64Imm(R2, 8).mov64Imm(R3, 1).mov64Reg(R4, R10).add64Imm(R4, -16).call("ringbuf_reserve_dynptr").mov64Reg(R7, R0)
    .mov64Reg(R1, R10).add64Imm(R1, -16).mov64Imm(R2, 0).call("ringbuf_discard_dynptr")
    .ldxDW(R1, R10, -16).ldxDW(R2, R10, -8).or64Reg(R1, R2).jneImm(R1, 0, "dirty").mov64Reg(R0, R7).exit()
    .label("dirty").mov64Imm(R0, 1000).exit();
  assert.equal(signed(w.run(failed)), -EINVAL);
  assert.deepEqual((map as RingBufferVmMap).drain(), []);
});

both("dynptr_from_mem: reads and writes inside the memory, -E2BIG past it, -EINVAL for flags", () => {
  const w = new VmWorld();
  // An 8-byte buffer at fp-8 wrapped by the dynptr at fp-32; reads go to fp-48.
  const op = (body: (b: ProgramBuilder) => void): number => {
    const b = new ProgramBuilder().ldImm64(R1, 0x1122334455667788n).stxDW(R10, R1, -8).stDW(R10, -48, 0)
      .mov64Reg(R1, R10).add64Imm(R1, -8).mov64Imm(R2, 8).mov64Imm(R3, 0).mov64Reg(R4, R10).add64Imm(R4, -32).call("dynptr_from_mem").mov64Reg(R7, R0);
    body(b);
    return signed(w.run(b.exit()));
  };
  const read = (length: number, offset: number, flags = 0) => (b: ProgramBuilder): void => void b.mov64Reg(R1, R10).add64Imm(R1, -48).mov64Imm(R2, length)
    .mov64Reg(R3, R10).add64Imm(R3, -32).mov64Imm(R4, offset).mov64Imm(R5, flags).call("dynptr_read").jneImm(R0, 0, "out").ldxDW(R0, R10, -48).label("out");
  assert.equal(op(read(4, 4)), 0x11223344);
  assert.equal(op(read(4, 0)), 0x55667788);
  assert.equal(op(read(4, 5)), -E2BIG);
  assert.equal(op(read(1, 9)), -E2BIG);
  assert.equal(op(read(4, 0, 1)), -EINVAL);
  const write = (offset: number, length: number) => (b: ProgramBuilder): void => void b.mov64Reg(R1, R10).add64Imm(R1, -32).mov64Imm(R2, offset)
    .mov64Reg(R3, R10).add64Imm(R3, -48).mov64Imm(R4, length).mov64Imm(R5, 0).call("dynptr_write").jneImm(R0, 0, "out").ldxDW(R0, R10, -8).label("out");
  assert.equal(op(write(4, 4)), 0x55667788, "the high half was overwritten with zeros");
  assert.equal(op(write(6, 4)), -E2BIG);
  assert.equal(op((b) => void b.mov64Reg(R1, R10).add64Imm(R1, -8).mov64Imm(R2, 8).mov64Imm(R3, 2).mov64Reg(R4, R10).add64Imm(R4, -32).call("dynptr_from_mem")), -EINVAL);
});

both("perf_event_output from a packet program appends the packet's first bytes (BPF_F_CTXLEN_MASK)", () => {
  const { world: w, ctx } = packetWorld("xdp", Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]));
  const { map, fd } = w.map({ type: MapType.PerfEventArray, keySize: 4, valueSize: 4, maxEntries: 0 });
  const out = (ctxLength: number): number => signed(w.run(new ProgramBuilder().stW(R10, -4, 0x61626364).mov64Reg(R6, R1).ldMapFd(R2, fd)
    .ldImm64(R3, (BigInt(ctxLength) << 32n) | 0xffff_ffffn).mov64Reg(R4, R10).add64Imm(R4, -4).mov64Imm(R5, 4).call("perf_event_output").exit(), [ctx.base]));
  assert.equal(out(3), 0);
  assert.equal(out(17), -EFAULT, "more than the packet holds");
  assert.deepEqual((map as PerfEventArrayVmMap).drain().map((r) => [...r.data]), [[0x64, 0x63, 0x62, 0x61, 1, 2, 3]]);
});

both("packet helpers need a packet of their kind: otherwise the verifier's refusal, typed", () => {
  const w = new VmWorld();
  assert.throws(() => w.run(new ProgramBuilder().mov64Imm(R2, 4).call("xdp_adjust_head").exit(), [1]), (e: unknown) => e instanceof VmHelperArgumentError && e.helper === "bpf_xdp_adjust_head" && /without a packet/.test(e.message));
  const { world, ctx } = packetWorld("skb", new Uint8Array(64));
  assert.throws(() => world.run(new ProgramBuilder().mov64Imm(R2, 4).call("xdp_adjust_tail").exit(), [ctx.base]), /bpf_xdp_adjust_tail: r1 is an skb context; bpf_xdp_adjust_tail takes an xdp one/);
});
