// Pinning: another process reopens a pinned map with its data, read-only
// opens refuse writes, incompatible reuse is refused; and bpftool (an
// independent implementation) reads and writes our maps and we read its maps.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import {
  BpfMap,
  MapType,
  IncompatibleError,
  KeyExistsError,
  NotFoundError,
  PinExistsError,
  PermissionError,
  type MapSpec,
} from "../../src/index.js";
import { bpffsTempDir } from "../util/kernel.js";
import { readU32, readU64, u32, u64 } from "./map-helpers.js";
import { requireOracle } from "../util/environment.js";

const indexUrl = new URL("../../src/index.js", import.meta.url).href;

/** Runs an ES module snippet in a fresh `node` process and returns its stdout. */
function runNode(source: string): string {
  return execFileSync(process.execPath, ["--input-type=module", "-e", source], { encoding: "utf8" });
}

test("honeypot: a pinned array map is reopened by another process with its data, then unpinned", () => {
  const dir = bpffsTempDir();
  try {
    const path = `${dir.path}/honeypot`;
    {
      using m = BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 4, name: "honeypot" });
      for (let i = 0; i < 4; i++) m.update(u32(i), u64(1000 + i));
      m.pin(path);
      assert.equal(m.pinnedPath, path);
    } // our fd is closed: only the pin keeps the map alive
    const out = runNode(`
      import { Map } from ${JSON.stringify(indexUrl)};
      const m = Map.openPinned(${JSON.stringify(path)}, { expect: { type: 2, keySize: 4, valueSize: 8, maxEntries: 4 } });
      const values = [];
      for (const [k, v] of m.entries()) values.push([new DataView(k.buffer).getUint32(0, true), Number(new DataView(v.buffer).getBigUint64(0, true))]);
      const key = new Uint8Array(4); key[0] = 3;
      const val = new Uint8Array(8); val[0] = 0x2a;
      m.update(key, val);
      console.log(JSON.stringify({ name: m.name, values }));
      m.close();
    `);
    const seen = JSON.parse(out) as { name: string; values: [number, number][] };
    assert.equal(seen.name, "honeypot");
    assert.deepEqual(seen.values, [[0, 1000], [1, 1001], [2, 1002], [3, 1003]]);
    using again = BpfMap.openPinned(path);
    assert.equal(readU64(again.lookup(u32(3))), 0x2an, "the other process's write is visible");
    again.unpin();
    assert.equal(existsSync(path), false);
    assert.equal(again.pinnedPath, undefined);
    assert.throws(() => BpfMap.openPinned(path), NotFoundError);
  } finally {
    dir.cleanup();
  }
});

test("pinning over a taken path is a PinExistsError (not a map-key error), naming the path", () => {
  const dir = bpffsTempDir();
  try {
    const path = `${dir.path}/taken`;
    using m = BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 1 });
    m.pin(path);
    using other = BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 1 });
    assert.throws(() => other.pin(path), (e) =>
      e instanceof PinExistsError && !(e instanceof KeyExistsError) && e.code === "PIN_EXISTS" && e.path === path && e.errno === 17);
    using reopened = BpfMap.openPinned(path);
    assert.equal(reopened.info().id, m.info().id, "the first pin is untouched");
  } finally {
    dir.cleanup();
  }
});

test("a map opened read-only can be read but not written", () => {
  const dir = bpffsTempDir();
  try {
    const path = `${dir.path}/ro`;
    using m = BpfMap.create({ type: MapType.Hash, keySize: 4, valueSize: 4, maxEntries: 4 });
    m.update(u32(1), u32(11));
    m.pin(path);
    using ro = BpfMap.openPinned(path, { mode: "read-only" });
    assert.equal(ro.mode, "read-only");
    using roDup = BpfMap.fromFd(ro.fd.dup());
    assert.equal(roDup.mode, "read-only", "fromFd reads the access mode from fdinfo");
    assert.equal(readU32(ro.lookup(u32(1))), 11);
    assert.deepEqual([...ro.keys()].map((k) => readU32(k)), [1]);
    assert.throws(() => ro.update(u32(1), u32(12)), (e) => e instanceof PermissionError && /read-only/.test(e.message));
    assert.throws(() => ro.delete(u32(1)), PermissionError);
    using wo = BpfMap.openPinned(path, { mode: "write-only" });
    wo.update(u32(2), u32(22));
    assert.throws(() => wo.lookup(u32(2)), PermissionError);
    assert.equal(readU32(m.lookup(u32(2))), 22);
  } finally {
    dir.cleanup();
  }
});

test("reusing a pin with a different spec is an IncompatibleError naming the property", () => {
  const dir = bpffsTempDir();
  try {
    const spec: MapSpec = { type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 16, name: "shared", pinning: "by-name" };
    using first = BpfMap.create(spec, { pinDir: dir.path });
    first.update(u32(5), u64(55));
    assert.ok(existsSync(`${dir.path}/shared`));
    // Same spec: the pinned map is reused.
    using second = BpfMap.create(spec, { pinDir: dir.path });
    assert.equal(second.info().id, first.info().id);
    assert.equal(readU64(second.lookup(u32(5))), 55n);
    const cases: [Partial<MapSpec>, string][] = [
      [{ type: MapType.Array }, "type"],
      [{ keySize: 8 }, "keySize"],
      [{ valueSize: 4 }, "valueSize"],
      [{ maxEntries: 32 }, "maxEntries"],
      [{ flags: 1 }, "flags"],
    ];
    for (const [change, prop] of cases) {
      assert.throws(
        () => BpfMap.create({ ...spec, ...change }, { pinDir: dir.path }),
        (e) => e instanceof IncompatibleError && e.message.includes(` ${prop} `),
        `changing ${prop}`,
      );
      assert.throws(() => BpfMap.openPinned(`${dir.path}/shared`, { expect: { ...spec, ...change } }), IncompatibleError);
    }
  } finally {
    dir.cleanup();
  }
});

/** bpftool's JSON output. */
function bpftoolJson(args: string[]): unknown {
  return JSON.parse(execFileSync("bpftool", ["-j", ...args], { encoding: "utf8" }));
}

/** Bytes as bpftool's "0x01" strings. */
function bytesOf(list: unknown): number[] {
  return (list as string[]).map((s) => Number.parseInt(s, 16));
}

test("bpftool updates and dumps a map created by tsbpf", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const dir = bpffsTempDir();
  try {
    const path = `${dir.path}/tsbpf_made`;
    using m = BpfMap.create({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 8, name: "tsbpf_made" });
    m.update(u32(1), u64(0x0102030405060708n));
    m.pin(path);
    execFileSync("bpftool", ["map", "update", "pinned", path, "key", "7", "0", "0", "0", "value", "hex", "aa", "bb", "00", "00", "00", "00", "00", "00"]);
    assert.equal(readU64(m.lookup(u32(7))), 0xbbaan);
    const dump = bpftoolJson(["map", "dump", "pinned", path]) as { key: string[]; value: string[] }[];
    const fromBpftool = dump.map((e) => [bytesOf(e.key), bytesOf(e.value)]).sort((a, b) => (a[0]?.[0] ?? 0) - (b[0]?.[0] ?? 0));
    const fromTsbpf = [...m.entries()].map(([k, v]) => [[...k], [...v]]).sort((a, b) => (a[0]?.[0] ?? 0) - (b[0]?.[0] ?? 0));
    assert.deepEqual(fromTsbpf, fromBpftool);
    const show = bpftoolJson(["map", "show", "pinned", path]) as { id: number; type: string; name: string; bytes_key: number; bytes_value: number; max_entries: number };
    const info = m.info();
    assert.deepEqual(
      { id: show.id, type: show.type, name: show.name, key: show.bytes_key, value: show.bytes_value, entries: show.max_entries },
      { id: info.id, type: info.typeName, name: info.name, key: info.keySize, value: info.valueSize, entries: info.maxEntries },
    );
  } finally {
    dir.cleanup();
  }
});

test("tsbpf opens, reads and writes a map created by bpftool", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const dir = bpffsTempDir();
  try {
    const path = `${dir.path}/bpftool_made`;
    execFileSync("bpftool", ["map", "create", path, "type", "lru_hash", "key", "4", "value", "4", "entries", "32", "name", "bpftool_made"]);
    execFileSync("bpftool", ["map", "update", "pinned", path, "key", "1", "0", "0", "0", "value", "9", "0", "0", "0"]);
    using m = BpfMap.openPinned(path, { expect: { type: MapType.LruHash, keySize: 4, valueSize: 4, maxEntries: 32 } });
    assert.equal(m.name, "bpftool_made");
    assert.equal(m.typeName, "lru_hash");
    assert.equal(readU32(m.lookup(u32(1))), 9);
    m.update(u32(2), u32(0x01020304));
    const got = bpftoolJson(["map", "lookup", "pinned", path, "key", "2", "0", "0", "0"]) as { value: string[] };
    assert.deepEqual(bytesOf(got.value), [4, 3, 2, 1]);
  } finally {
    dir.cleanup();
  }
});
