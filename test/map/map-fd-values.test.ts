// Maps whose values are kernel objects given by fd: map-in-map, prog/perf/
// cgroup arrays, sockmap/sockhash, reuseport arrays, xskmap, devmap, cpumap.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, openSync, rmdirSync, existsSync } from "node:fs";
import { BpfError, FD, BpfMap, MapType, MapFlags, NotSupportedError, possibleCpuCount } from "../../src/index.js";
import {
  loadTrivialProgram,
  perfEventSoftware,
  progId,
  readU32,
  readU64,
  reuseportUdpSocket,
  u32,
  unixSocketPair,
} from "./map-helpers.js";
import { skipFor } from "../util/environment.js";

for (const type of [MapType.ArrayOfMaps, MapType.HashOfMaps]) {
  test(`${MapType[type]}: inner maps set by fd, read back as ids`, () => {
    const inner = { type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 2, flags: MapFlags.INNER_MAP };
    using outer = BpfMap.create({ type, keySize: 4, valueSize: 4, maxEntries: 4, innerMap: inner });
    using a = BpfMap.create({ ...inner, maxEntries: 2 });
    using b = BpfMap.create({ ...inner, maxEntries: 5 }); // INNER_MAP allows other sizes (5.10+)
    a.update(u32(1), u32(111));
    outer.setInner(u32(0), a);
    outer.update(u32(1), b);
    assert.equal(outer.innerMapId(u32(0)), a.info().id);
    assert.equal(outer.innerMapId(u32(1)), b.info().id);
    assert.equal(outer.innerMapId(u32(2)), undefined);
    const opened = outer.openInner(u32(0));
    assert.ok(opened);
    try {
      assert.equal(readU32(opened.lookup(u32(1))), 111);
    } finally {
      opened.close();
    }
    outer.delete(u32(1));
    assert.equal(outer.innerMapId(u32(1)), undefined);
  });
}

test("prog_array holds programs; lookup returns the program id", () => {
  using m = BpfMap.create({ type: MapType.ProgArray, keySize: 4, valueSize: 4, maxEntries: 4 });
  using prog = loadTrivialProgram();
  m.update(u32(2), prog);
  assert.equal(readU32(m.lookup(u32(2))), progId(prog));
  assert.equal(m.tryLookup(u32(1)), undefined);
  m.delete(u32(2));
  assert.equal(m.tryLookup(u32(2)), undefined);
});

test("perf_event_array holds perf events (one per CPU); user space cannot read them back", () => {
  using m = BpfMap.create({ type: MapType.PerfEventArray, keySize: 4, valueSize: 4, maxEntries: 0 });
  assert.equal(m.maxEntries, possibleCpuCount(), "0 entries means one per possible CPU");
  assert.equal(m.info().maxEntries, possibleCpuCount());
  using ev = perfEventSoftware(0);
  m.update(u32(0), ev);
  assert.throws(() => m.lookup(u32(0)), NotSupportedError);
  m.delete(u32(0));
  assert.equal(m.tryDelete(u32(0)), false);
});

test("cgroup_array holds cgroup directory fds", (t) => {
  const dir = "/sys/fs/cgroup/unified";
  if (!existsSync(`${dir}/cgroup.procs`)) return skipFor(t, "no cgroup v2", dir);
  const child = `${dir}/tsbpf-map-test-${process.pid}`;
  mkdirSync(child);
  try {
    using m = BpfMap.create({ type: MapType.CgroupArray, keySize: 4, valueSize: 4, maxEntries: 2 });
    using cg = new FD(openSync(child, "r"), "cgroup dir");
    m.update(u32(1), cg);
    m.delete(u32(1));
    assert.equal(m.tryDelete(u32(1)), false);
  } finally {
    rmdirSync(child);
  }
});

for (const type of [MapType.Sockmap, MapType.Sockhash]) {
  test(`${MapType[type]} holds sockets; lookup returns the socket cookie`, () => {
    const [s1, s2] = unixSocketPair();
    try {
      using m = BpfMap.create({ type, keySize: 4, valueSize: 8, maxEntries: 4 });
      m.update(u32(0), s1);
      m.update(u32(3), s2);
      const c1 = readU64(m.lookup(u32(0)));
      const c2 = readU64(m.lookup(u32(3)));
      assert.ok(c1 > 0n && c2 > 0n && c1 !== c2, "distinct non-zero cookies");
      // The same socket in another map has the same cookie.
      using other = BpfMap.create({ type: MapType.Sockhash, keySize: 4, valueSize: 8, maxEntries: 1 });
      other.update(u32(9), s1);
      assert.equal(readU64(other.lookup(u32(9))), c1);
      const keys = [...m.keys()].map((k) => readU32(k)).sort();
      // A sockmap is an array: GET_NEXT_KEY walks every index, filled or not.
      assert.deepEqual(keys, type === MapType.Sockmap ? [0, 1, 2, 3] : [0, 3]);
      m.delete(u32(0));
      assert.equal(m.tryLookup(u32(0)), undefined);
    } finally {
      s1.close();
      s2.close();
    }
  });
}

test("reuseport_sockarray holds SO_REUSEPORT sockets; lookup returns the cookie", () => {
  using sock = reuseportUdpSocket();
  using m = BpfMap.create({ type: MapType.ReuseportSockarray, keySize: 4, valueSize: 8, maxEntries: 2 });
  m.update(u32(1), sock);
  assert.ok(readU64(m.lookup(u32(1))) > 0n);
  m.delete(u32(1));
  assert.equal(m.tryLookup(u32(1)), undefined);
});

test("xskmap: created, and anything but a bound AF_XDP socket is refused", (t) => {
  using m = BpfMap.create({ type: MapType.Xskmap, keySize: 4, valueSize: 4, maxEntries: 4 });
  assert.equal(m.info().typeName, "xskmap");
  const [s1, s2] = unixSocketPair();
  try {
    assert.throws(() => m.update(u32(0), s1), BpfError);
  } finally {
    s1.close();
    s2.close();
  }
  assert.equal([...m.keys()].length, 4);
  t.diagnostic("storing a real AF_XDP socket needs a UMEM bound to an interface queue; not exercised here");
});

test("devmap and devmap_hash hold interface indexes", () => {
  // ifindex 1 is the loopback device; storing it attaches nothing.
  using dm = BpfMap.create({ type: MapType.Devmap, keySize: 4, valueSize: 4, maxEntries: 4 });
  dm.update(u32(2), u32(1));
  assert.equal(readU32(dm.lookup(u32(2))), 1);
  assert.equal(dm.tryLookup(u32(0)), undefined);
  using dh = BpfMap.create({ type: MapType.DevmapHash, keySize: 4, valueSize: 4, maxEntries: 4 });
  dh.update(u32(12345), u32(1));
  assert.equal(readU32(dh.lookup(u32(12345))), 1);
  assert.deepEqual([...dh.keys()].map((k) => readU32(k)), [12345]);
  dh.delete(u32(12345));
});

test("cpumap holds per-CPU queue sizes", () => {
  using m = BpfMap.create({ type: MapType.Cpumap, keySize: 4, valueSize: 4, maxEntries: possibleCpuCount() });
  m.update(u32(0), u32(256));
  assert.equal(readU32(m.lookup(u32(0))), 256);
  m.delete(u32(0));
  assert.equal(m.tryLookup(u32(0)), undefined);
});
