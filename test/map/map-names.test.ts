// Every map type the kernel supports can be created, and tsbpf's type names
// and info agree with bpftool's view of the same map.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { BpfError, BpfMap, MapFlags, MapType, mapTypeName, mapTypeFromName, type MapSpec, possibleCpuCount } from "../../src/index.js";
import { pageSize } from "../../src/map/mmap.js";
import { loadTestBtf, TEST_BTF } from "../util/btf-blob.js";
import { requireOracle } from "../util/environment.js";

/** The smallest creatable spec of each type (struct_ops has its own test: it needs a vmlinux type id). */
function minimalSpec(type: MapType, btfFd: number): MapSpec | undefined {
  const base: MapSpec = { type, keySize: 4, valueSize: 4, maxEntries: 2, name: `t_${mapTypeName(type)}`.slice(0, 15) };
  switch (type) {
    case MapType.Unspec:
    case MapType.StructOps:
      return undefined;
    case MapType.StackTrace: return { ...base, valueSize: 8 };
    case MapType.LpmTrie: return { ...base, keySize: 8, flags: MapFlags.NO_PREALLOC };
    case MapType.ArrayOfMaps:
    case MapType.HashOfMaps: return { ...base, innerMap: { type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 1 } };
    case MapType.Sockmap:
    case MapType.Sockhash:
    case MapType.ReuseportSockarray: return { ...base, valueSize: 8 };
    case MapType.Cpumap: return { ...base, maxEntries: possibleCpuCount() };
    case MapType.CgroupStorage:
    case MapType.PercpuCgroupStorage: return { ...base, keySize: 16, valueSize: 8, maxEntries: 0 };
    case MapType.Queue:
    case MapType.Stack:
    case MapType.BloomFilter: return { ...base, keySize: 0 };
    case MapType.Ringbuf:
    case MapType.UserRingbuf: return { ...base, keySize: 0, valueSize: 0, maxEntries: pageSize() };
    case MapType.Arena: return { ...base, keySize: 0, valueSize: 0, maxEntries: 1, flags: MapFlags.MMAPABLE };
    case MapType.SkStorage:
    case MapType.InodeStorage:
    case MapType.TaskStorage:
    case MapType.CgrpStorage:
      return { ...base, valueSize: 8, maxEntries: 0, flags: MapFlags.NO_PREALLOC, btfFd, keyTypeId: TEST_BTF.INT, valueTypeId: TEST_BTF.U64 };
    case MapType.InsnArray: return { ...base, valueSize: 16 };
    default: return base;
  }
}

test("every map type is created; name, sizes and id match bpftool map show", (t) => {
  using btf = loadTestBtf();
  const unsupported: string[] = [];
  const newerThanBpftool: string[] = [];
  const refused: string[] = [];
  for (let type = 1; mapTypeName(type) !== `type ${type}`; type++) {
    assert.equal(mapTypeFromName(mapTypeName(type)), type);
    const spec = minimalSpec(type as MapType, btf.raw);
    if (!spec) continue;
    let m: BpfMap;
    try {
      m = BpfMap.create(spec);
    } catch (e) {
      if (e instanceof BpfError && (e.code === "NOT_SUPPORTED" || e.code === "INVALID_ARGUMENT")) {
        unsupported.push(`${mapTypeName(type)} (${e.message})`);
        continue;
      }
      // Some machines refuse arena maps even to root (seen on a Firecracker
      // 6.18 VM: plain C gets EPERM too); that is the machine's policy, not ours.
      if (type === MapType.Arena && e instanceof BpfError && e.code === "PERMISSION") {
        refused.push(`${mapTypeName(type)} (${e.message})`);
        continue;
      }
      throw e;
    }
    try {
      const info = m.info();
      assert.equal(info.type, type);
      assert.equal(info.typeName, mapTypeName(type));
      assert.equal(info.name, spec.name);
      if (requireOracle(t, "bpftool")) {
        const show = JSON.parse(execFileSync("bpftool", ["-j", "map", "show", "id", String(info.id)], { encoding: "utf8" })) as {
          id: number; type: string | number; name: string; bytes_key: number; bytes_value: number; max_entries: number; flags: number;
        };
        // A bpftool older than the map type prints its number instead of a name.
        if (typeof show.type === "number") newerThanBpftool.push(info.typeName);
        assert.deepEqual(
          [typeof show.type === "number" ? mapTypeName(show.type) : show.type, show.name, show.bytes_key, show.bytes_value, show.max_entries, show.flags],
          [info.typeName, info.name, info.keySize, info.valueSize, info.maxEntries, info.flags],
          `bpftool's view of ${info.typeName}`,
        );
      }
    } finally {
      m.close();
    }
  }
  if (newerThanBpftool.length) t.diagnostic(`bpftool prints numbers for: ${newerThanBpftool.join(", ")}`);
  if (refused.length) t.diagnostic(`refused by this machine's policy: ${refused.join("; ")}`);
  if (unsupported.length) t.diagnostic(`not supported by this kernel: ${unsupported.join("; ")}`);
  assert.ok(unsupported.length <= 1, "only insn_array may be missing on this kernel");
});
