// Local storage maps (sk, inode, task, cgroup), cgroup storage, and
// spin-locked values: these need BTF for key and value, encoded in
// test/util/btf-blob.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, openSync, rmdirSync, writeFileSync, rmSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { FD, BpfMap, MapType, MapFlags, UpdateFlags, KeyNotFoundError, type MapSpec } from "../../src/index.js";
import { loadTestBtf, TEST_BTF } from "../util/btf-blob.js";
import { pidfdSelf, readU32, readU64, u32, u64, unixSocketPair } from "./map-helpers.js";
import { skipFor } from "../util/environment.js";

function storageSpec(type: MapType, btf: FD): MapSpec {
  return {
    type, keySize: 4, valueSize: 8, maxEntries: 0, flags: MapFlags.NO_PREALLOC,
    btfFd: btf, keyTypeId: TEST_BTF.INT, valueTypeId: TEST_BTF.U64,
  };
}

/** Stores, reads back and deletes a value keyed by `owner`'s fd. */
function exerciseStorage(m: BpfMap, owner: FD): void {
  const key = u32(owner.raw);
  assert.equal(m.tryLookup(key), undefined);
  m.update(key, u64(0xfeedn));
  assert.equal(readU64(m.lookup(key)), 0xfeedn);
  m.update(key, u64(7), UpdateFlags.EXIST);
  assert.equal(readU64(m.lookup(key)), 7n);
  assert.equal(m.info().btfValueTypeId, TEST_BTF.U64);
  m.delete(key);
  assert.throws(() => m.lookup(key), KeyNotFoundError);
}

test("sk_storage: a value per socket", () => {
  using btf = loadTestBtf();
  using m = BpfMap.create(storageSpec(MapType.SkStorage, btf));
  const [a, b] = unixSocketPair();
  try {
    exerciseStorage(m, a);
  } finally {
    a.close();
    b.close();
  }
});

test("task_storage: a value per task (keyed by pidfd)", () => {
  using btf = loadTestBtf();
  using m = BpfMap.create(storageSpec(MapType.TaskStorage, btf));
  using pidfd = pidfdSelf();
  exerciseStorage(m, pidfd);
});

test("inode_storage: a value per inode (keyed by an open file)", (t) => {
  using btf = loadTestBtf();
  let m: BpfMap;
  try {
    m = BpfMap.create(storageSpec(MapType.InodeStorage, btf));
  } catch (e) {
    return skipFor(t, "no BPF LSM", `inode storage: ${(e as Error).message}`);
  }
  const dir = mkdtempSync(`${tmpdir()}/tsbpf-inode-`);
  try {
    writeFileSync(`${dir}/f`, "x");
    using file = new FD(openSync(`${dir}/f`, "r"), "file");
    exerciseStorage(m, file);
  } finally {
    m.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("cgrp_storage: a value per cgroup (keyed by a cgroup directory fd)", (t) => {
  const root = "/sys/fs/cgroup/unified";
  if (!existsSync(`${root}/cgroup.procs`)) return skipFor(t, "no cgroup v2", root);
  using btf = loadTestBtf();
  const child = `${root}/tsbpf-cgrp-storage-${process.pid}`;
  mkdirSync(child);
  try {
    using m = BpfMap.create(storageSpec(MapType.CgrpStorage, btf));
    using cg = new FD(openSync(child, "r"), "cgroup dir");
    exerciseStorage(m, cg);
  } finally {
    rmdirSync(child);
  }
});

test("cgroup_storage and percpu_cgroup_storage: created empty (elements appear only when a program is attached)", () => {
  for (const type of [MapType.CgroupStorage, MapType.PercpuCgroupStorage]) {
    // Key: struct bpf_cgroup_storage_key { __u64 cgroup_inode_id; __u32 attach_type; } (16 bytes).
    using m = BpfMap.create({ type, keySize: 16, valueSize: 8, maxEntries: 0 });
    assert.equal(m.info().type, type);
    assert.deepEqual([...m.keys()], []);
    assert.equal(m.tryLookup(new Uint8Array(16)), undefined);
  }
});

test("values with a bpf_spin_lock are updated and read under the lock (F_LOCK)", () => {
  using btf = loadTestBtf();
  using m = BpfMap.create({
    type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 4,
    btfFd: btf, keyTypeId: TEST_BTF.INT, valueTypeId: TEST_BTF.LOCKED_VAL,
  });
  // The lock word is not copied; data sits at offset 4.
  const value = new Uint8Array(8);
  new DataView(value.buffer).setUint32(4, 4242, true);
  m.update(u32(1), value, UpdateFlags.F_LOCK);
  const back = m.lookup(u32(1), UpdateFlags.F_LOCK);
  assert.equal(readU32(back, 4), 4242);
  assert.equal(m.info().btfValueTypeId, TEST_BTF.LOCKED_VAL);
});
