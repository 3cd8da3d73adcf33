// Map types without ordinary elements: ring buffers, stack traces,
// struct_ops, arena; and mmap()ed arrays.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  BpfMap,
  MapType,
  MapFlags,
  BusyError,
  NotSupportedError,
  KeyNotFoundError,
  BpfError,
  isPerCpuType,
} from "../../src/index.js";
import { mmapSharedFd, pageSize } from "../../src/map/mmap.js";
import { native } from "../../src/sys/native.js";
import { loadTestBtf } from "../util/btf-blob.js";
import { readU32, readU64, u32 } from "./map-helpers.js";
import { requireOracle, skipFor } from "../util/environment.js";

test("ringbuf and user_ringbuf: created with a page-multiple size; positions start at zero; no element ops", () => {
  const page = pageSize();
  for (const type of [MapType.Ringbuf, MapType.UserRingbuf]) {
    using m = BpfMap.create({ type, keySize: 0, valueSize: 0, maxEntries: 4 * page, name: "rb" });
    const info = m.info();
    assert.equal(info.type, type);
    assert.equal(info.maxEntries, 4 * page);
    assert.throws(() => m.lookup(new Uint8Array(0)), NotSupportedError);
    // The first page holds the consumer position (writable by user space for
    // ringbuf; read-only for user_ringbuf, which user space produces into).
    const consumer = mmapSharedFd(m.fd.raw, page, type === MapType.Ringbuf, "ringbuf consumer page");
    try {
      assert.equal(new DataView(consumer).getBigUint64(0, true), 0n);
    } finally {
      native.munmap(consumer);
    }
    assert.ok(!isPerCpuType(type));
  }
  assert.throws(() => BpfMap.create({ type: MapType.Ringbuf, keySize: 0, valueSize: 0, maxEntries: 3 * page }), BpfError);
});

test("stack_trace: created empty; only programs can add stacks", () => {
  using m = BpfMap.create({ type: MapType.StackTrace, keySize: 4, valueSize: 8 * 127, maxEntries: 128 });
  assert.deepEqual([...m.keys()], []);
  assert.throws(() => m.lookup(u32(0)), KeyNotFoundError);
  // User space cannot insert stacks.
  assert.throws(() => m.update(u32(0), new Uint8Array(8 * 127)), BpfError);
});

test("mmapable array: syscall updates and the shared mapping see each other", () => {
  using m = BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 1000, flags: MapFlags.MMAPABLE });
  const mem = m.mmap();
  assert.equal(mem.writable, true);
  assert.equal(mem.length % pageSize(), 0);
  assert.ok(mem.length >= 8 * 1000, "values are 8-byte strided");
  m.update(u32(10), u32(0xabcd));
  assert.equal(mem.view.getUint32(10 * 8, true), 0xabcd);
  mem.view.setUint32(999 * 8, 31337, true);
  assert.equal(readU32(m.lookup(u32(999))), 31337);
  // A writable mapping keeps the map from being frozen.
  assert.throws(() => m.freeze(), BusyError);
  mem.close();
  assert.equal(mem.closed, true);
  m.freeze();
  const ro = m.mmap();
  assert.equal(ro.writable, false);
  assert.equal(ro.view.getUint32(10 * 8, true), 0xabcd);
  // The pages are PROT_READ: a store through a view of them would kill the
  // process, so a read-only mapping's views are snapshot copies.
  ro.view.setUint32(10 * 8, 1, true);
  ro.bytes.fill(0xff);
  new Uint8Array(ro.buffer).fill(0xff);
  assert.equal(ro.view.getUint32(10 * 8, true), 0xabcd);
  assert.equal(readU32(m.lookup(u32(10))), 0xabcd);
  m.close(); // unmaps `ro` too
  assert.equal(ro.closed, true);
});

test("mmap of a map without BPF_F_MMAPABLE is NotSupportedError", () => {
  using m = BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 4 });
  assert.throws(() => m.mmap(), NotSupportedError);
});

test("arena: pages are allocated on first touch from user space", (t) => {
  let m: BpfMap;
  try {
    m = BpfMap.create({ type: MapType.Arena, keySize: 0, valueSize: 0, maxEntries: 4, flags: MapFlags.MMAPABLE });
  } catch (e) {
    if (e instanceof BpfError && (e.code === "NOT_SUPPORTED" || e.code === "INVALID_ARGUMENT")) return skipFor(t, "kernel older than", { linux: "6.9", feature: "arena maps", detail: e.message });
    // Seen on a Firecracker 6.18 VM: arena creation is EPERM for root, from C too.
    if (e instanceof BpfError && e.code === "PERMISSION") return skipFor(t, "arena maps refused", e.message);
    throw e;
  }
  try {
    const mem = m.mmap();
    assert.equal(mem.length, 4 * pageSize());
    mem.view.setUint32(0, 0x11223344, true);
    mem.view.setUint32(3 * pageSize() + 8, 99, true);
    assert.equal(mem.view.getUint32(0, true), 0x11223344);
    assert.equal(mem.view.getUint32(3 * pageSize() + 8, true), 99);
    assert.equal(m.info().typeName, "arena");
  } finally {
    m.close();
  }
});

test("struct_ops: a map of a kernel struct (tcp_congestion_ops) by vmlinux BTF id", (t) => {
  if (!requireOracle(t, "bpftool", "used to find the vmlinux type id")) return;
  const raw = execFileSync("bpftool", ["btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "raw"], { encoding: "utf8", maxBuffer: 1 << 30 });
  const hit = /^\[(\d+)\] STRUCT 'bpf_struct_ops_tcp_congestion_ops' size=(\d+)/m.exec(raw);
  if (!hit) return skipFor(t, "kernel lacks a BTF type", "bpf_struct_ops_tcp_congestion_ops");
  const id = Number(hit[1]);
  using btf = loadTestBtf(); // struct_ops maps need *some* BTF fd (the program's), even though the value is a kernel type
  using m = BpfMap.create({ type: MapType.StructOps, keySize: 4, valueSize: Number(hit[2]), maxEntries: 1, vmlinuxValueTypeId: id, btfFd: btf, name: "tsbpf_cc" });
  const info = m.info();
  assert.equal(info.btfVmlinuxValueTypeId, id);
  assert.equal(info.typeName, "struct_ops");
  // Reading the (not yet registered) value back gives zeroes with state INIT.
  const v = m.lookup(u32(0));
  assert.equal(v.byteLength, Number(hit[2]));
  assert.equal(readU64(v, 0) & 0xffffffffn, 0n);
});

test("insn_array maps (Linux 6.19+)", (t) => {
  try {
    using m = BpfMap.create({ type: MapType.InsnArray, keySize: 4, valueSize: 16, maxEntries: 4 });
    assert.equal(m.info().typeName, "insn_array");
  } catch (e) {
    if (e instanceof BpfError && (e.code === "NOT_SUPPORTED" || e.code === "INVALID_ARGUMENT")) {
      return skipFor(t, "kernel older than", { linux: "6.19", feature: "insn_array maps", detail: e.message });
    }
    throw e;
  }
});
