// BtfCodec against bpftool, on real maps: the fixture's BTF-typed array maps
// cover every kind of the type mapping. A value written through the codec
// must read back from `bpftool -j map lookup` as the `formatted` JSON bpftool
// prints for it (the codec's value mapped to bpftool's conventions by
// test/util/codec-bpftool.ts), and bytes written by `bpftool map update`
// must decode to what bpftool prints. Floats, which bpftool cannot format,
// are compared through bpftool's raw value bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadObjectSpec } from "../../src/object/index.js";
import { Collection } from "../../src/collection.js";
import { BtfCodec } from "../../src/btf/codec/index.js";
import { readKernelBtfById } from "../../src/btf/kernel.js";
import { formatValueJson } from "../../src/btf/format-value.js";
import type { Btf } from "../../src/btf/btf.js";
import type { BpfMap } from "../../src/map.js";
import { bpftool } from "../util/cli.js";
import { requireOracle } from "../util/environment.js";
import { Rng } from "../fuzz/mutate.js";
import { bpftoolFormatted, formattedValueText } from "../util/codec-bpftool.js";

const FIXTURE = fileURLToPath(new URL("../../../test/fixtures/codec/codec.bpf.o", import.meta.url));
const KEY = new Uint8Array(4);
const KEY_ARGS = ["key", "0", "0", "0", "0"];

/** A value each map's codec writes, and what decoding it gives back (unions and anonymous unions decode every member). */
const CASES: Record<string, { write: Record<string, unknown>; read?: Record<string, unknown> }> = {
  ints_map: {
    write: {
      u8: 255, s8: -128, u16: 65535, s16: -32768, u32: 0xffff_ffff, s32: -2147483648, u64: 2n ** 64n - 1n, s64: -(2n ** 63n),
      u128: 2n ** 128n - 1n, s128: -(2n ** 127n), flag: true, ch: 65, sch: -5, uch: 200, l: -1n, ul: 2n ** 64n - 1n, pid: 4242,
    },
  },
  enums_map: { write: { color: 200, temp: -40, huge: 0x12_3456_789an, unknown: 7 } },
  ptrs_map: { write: { p: 0xffff_8888_1234_5678n, sp: 0n, fn: 0x1000n, s: 1n } },
  arrays_map: {
    write: {
      comm: "bash", name: "1234567", uc: "abc", bytes: Uint8Array.from([1, 2, 3, 4, 5, 6]), multi: [[1, 2, 3], [-4, -5, -6]],
      shorts: [1, 2, 3, 65535], names: ["one", "two"], pts: [{ x: 1, y: -1 }, { x: 2, y: -2 }],
    },
  },
  nested_map: {
    write: { p: { x: 1, y: 2 }, u: { word: 0x0403_0201 }, ax: 5, ay: -6, q: 0x8_0000_0007n, deep: { inner: { x: -1, y: -2 }, tag: 9 } },
    read: {
      p: { x: 1, y: 2 }, u: { word: 0x0403_0201, b: Uint8Array.from([1, 2, 3, 4]) }, ax: 5, ay: -6, q: 0x8_0000_0007n, halves: [7, 8],
      deep: { inner: { x: -1, y: -2 }, tag: 9 },
    },
  },
  either_map: {
    write: { text: "abcdefg" },
    read: { wide: 0x0067_6665_6463_6261n, pt: { x: 0x6463_6261, y: 0x0067_6665 }, text: "abcdefg" },
  },
  bits_map: { write: { a: 7, b: -16, c: 1, d: -64, big: 0xff_ffff_ffffn, sbig: -(2n ** 32n), tail: 15, ec: 200, on: 1, after: 0xdead_beef } },
  event_map: {
    write: {
      pid: 1234, ppid: 1, start_ns: 1_700_000_000_000_000_000n, end_ns: 1_700_000_000_123_456_789n, comm: "cat",
      filename: "/usr/lib/x86_64-linux-gnu/libc.so.6", cred: { uid: 1000, gid: 100 }, exit_code: 255, signal: 9, core: 1, flags: 0xbeef,
    },
  },
};

interface Loaded {
  readonly collection: Collection;
  map(name: string): { map: BpfMap; id: number; btf: Btf; valueTypeId: number };
}

function load(): Loaded {
  const collection = Collection.load(loadObjectSpec(FIXTURE));
  const btfs = new Map<number, Btf>();
  return {
    collection,
    map(name) {
      const map = collection.map(name);
      const info = map.info();
      let btf = btfs.get(info.btfId);
      if (!btf) btfs.set(info.btfId, (btf = readKernelBtfById(info.btfId).btf));
      return { map, id: info.id, btf, valueTypeId: info.btfValueTypeId };
    },
  };
}

const lookup = (id: number): string => bpftool("-j", "map", "lookup", "id", String(id), ...KEY_ARGS);
const hexArgs = (bytes: Uint8Array): string[] => [...bytes].map((b) => b.toString(16).padStart(2, "0"));

test("codec → kernel map → bpftool: every kind of the mapping reads back as bpftool formats it", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const l = load();
  try {
    for (const [name, c] of Object.entries(CASES)) {
      const { map, id, btf, valueTypeId } = l.map(name);
      const codec = BtfCodec.of(btf, valueTypeId);
      map.update(KEY, codec.encode(c.write));
      const stored = map.lookup(KEY);
      const decoded = codec.decode(stored);
      assert.deepEqual(decoded, c.read ?? c.write, `${name}: the codec reads back what it wrote`);
      const printed = formattedValueText(lookup(id));
      assert.equal(formatValueJson(btf, valueTypeId, stored), printed, `${name}: formatValueJson is bpftool's`);
      assert.equal(bpftoolFormatted(btf, valueTypeId, decoded), printed, `${name}: the decoded value is what bpftool prints`);
    }
  } finally {
    l.collection.close();
  }
});

test("bpftool map update → codec: random bytes decode to what bpftool prints", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const l = load();
  const rng = new Rng(0xc0dec);
  try {
    for (const name of Object.keys(CASES)) {
      const { map, id, btf, valueTypeId } = l.map(name);
      // chars: "bytes" keeps every byte of a char array, so bpftool's array-of-chars form can be rebuilt too.
      const codec = BtfCodec.of(btf, valueTypeId, { chars: "bytes" });
      const text = BtfCodec.of(btf, valueTypeId);
      for (let round = 0; round < 4; round++) {
        const bytes = Uint8Array.from({ length: codec.size }, () => rng.below(256));
        // Half the rounds keep char arrays printable, so bpftool prints them as strings.
        if (round % 2 === 0) for (let i = 0; i < bytes.length; i++) if (bytes[i]! < 0x20 || bytes[i]! > 0x7e) bytes[i] = 0;
        bpftool("map", "update", "id", String(id), ...KEY_ARGS, "value", "hex", ...hexArgs(bytes));
        const printed = formattedValueText(lookup(id));
        assert.deepEqual(map.lookup(KEY), bytes, `${name}: bpftool wrote the bytes`);
        assert.equal(formatValueJson(btf, valueTypeId, bytes), printed, `${name}: formatValueJson is bpftool's (round ${round})`);
        assert.equal(bpftoolFormatted(btf, valueTypeId, codec.decode(bytes)), printed, `${name} round ${round}`);
        // String mode reads the same structure (text where bytes were): both decode without error.
        assert.equal(typeof text.decode(bytes), "object");
      }
    }
  } finally {
    l.collection.close();
  }
});

test("floats: codec bytes are bpftool's raw value bytes, and bpftool-written floats decode", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const l = load();
  try {
    const { map, id, btf, valueTypeId } = l.map("floats_map");
    const codec = BtfCodec.of<{ f: number; d: number }>(btf, valueTypeId);
    map.update(KEY, codec.encode({ f: 1.5, d: -2.25 }));
    const raw = (JSON.parse(lookup(id).replace(/"formatted":.*$/s, '"x":0}')) as { value: string[] }).value.map((h) => Number(h));
    const expected = new Uint8Array(16);
    const v = new DataView(expected.buffer);
    v.setFloat32(0, 1.5, true);
    v.setFloat64(8, -2.25, true);
    assert.deepEqual(Uint8Array.from(raw), expected);
    v.setFloat32(0, Math.fround(3.14159), true);
    v.setFloat64(8, 1e300, true);
    bpftool("map", "update", "id", String(id), ...KEY_ARGS, "value", "hex", ...hexArgs(expected));
    assert.deepEqual(codec.decode(map.lookup(KEY)), { f: Math.fround(3.14159), d: 1e300 });
  } finally {
    l.collection.close();
  }
});
