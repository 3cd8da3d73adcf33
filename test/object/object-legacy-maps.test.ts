// Legacy `maps` definitions at the object-spec level (no kernel): sizes come
// from symbols, iproute2's struct bpf_elf_map fields are read for what they
// are, and malformed sections are ObjectErrors naming the map. Inputs are the
// binding fixtures with single fields patched.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ObjectSpec } from "../../src/object/index.js";
import { ObjectError } from "../../src/object/errors.js";
import { ElfFile } from "../../src/elf/reader.js";
import { SHT } from "../../src/elf/constants.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name: string): Uint8Array => readFileSync(path.resolve(here, "../../../test/fixtures/binding", name));

const SYM_SIZE = 24;
const ST_VALUE = 8;
const ST_SIZE = 16;

/** A copy of `bytes` with `edit` applied to the named symbol's Elf64_Sym (little-endian objects). */
function patchSymbol(bytes: Uint8Array, name: string, edit: (sym: DataView) => void): Uint8Array {
  const copy = new Uint8Array(bytes); // a copy (Buffer.slice would share memory)
  const elf = new ElfFile(copy);
  const symtab = elf.sections.find((s) => s.type === SHT.SYMTAB)!;
  const sym = elf.symbols(symtab).find((s) => s.name === name)!;
  edit(new DataView(copy.buffer, symtab.offset + sym.index * SYM_SIZE, SYM_SIZE));
  return copy;
}

/** A copy of `bytes` with a u32 of the `maps` section set. */
function patchMaps(bytes: Uint8Array, offset: number, value: number): Uint8Array {
  const copy = new Uint8Array(bytes); // a copy (Buffer.slice would share memory)
  const maps = new ElfFile(copy).section("maps")!;
  new DataView(copy.buffer).setUint32(maps.offset + offset, value, true);
  return copy;
}

const sized = fixture("legacy-sized.bpf.o");
const iproute2 = fixture("iproute2.bpf.o");

function parse(bytes: Uint8Array): ObjectSpec {
  return ObjectSpec.parse(bytes, { name: "binding" });
}

test("each legacy definition is as long as its symbol; a symbol without a size extends to the next one", () => {
  const sizes = (spec: ObjectSpec): [string, number, number][] => [...spec.maps.values()].map((m) => [m.name, m.sectionOffset, m.maxEntries]);
  const expected = [["short_hash", 0, 5], ["plain_array", 16, 6], ["tc_hash", 36, 7], ["padded_array", 72, 8], ["static_array", 100, 9]];
  assert.deepEqual(sizes(parse(sized)), expected);
  // Hand-written assembly leaves st_size 0.
  assert.deepEqual(sizes(parse(patchSymbol(sized, "short_hash", (s) => s.setBigUint64(ST_SIZE, 0n, true)))), expected);
});

test("malformed legacy sections are ObjectErrors naming the map", () => {
  const refused = (bytes: Uint8Array, symbol: string, message: RegExp): void => {
    assert.throws(() => parse(bytes), (e) => e instanceof ObjectError && e.symbol === symbol && message.test(e.message));
  };
  refused(patchSymbol(sized, "short_hash", (s) => s.setBigUint64(ST_SIZE, 20n, true)), "short_hash", /legacy maps 'short_hash' and 'plain_array' overlap/);
  refused(patchSymbol(sized, "static_array", (s) => s.setBigUint64(ST_SIZE, 24n, true)), "static_array", /past the end of the 120-byte maps section/);
  refused(patchSymbol(sized, "static_array", (s) => s.setBigUint64(ST_VALUE, 118n, true)), "static_array", /past the end/);
  refused(patchSymbol(sized, "plain_array", (s) => s.setBigUint64(ST_SIZE, 2n, true)), "plain_array", /2 bytes long, too short/);
  // tc_hash is 36 bytes at 36: pinning at +24.
  refused(patchMaps(sized, 36 + 24, 7), "tc_hash", /unknown iproute2 pinning value 7/);
  // padded_array (28 bytes at 72): byte 20 is past libbpf's layout.
  refused(patchMaps(sized, 72 + 20, 1), "padded_array", /byte 20 of its 28-byte definition \(offset 92 of section 'maps'\) is non-zero/);
});

test("iproute2's struct bpf_elf_map: pinning and map-in-map ids", () => {
  const spec = parse(iproute2);
  assert.deepEqual(spec.map("inner_array").iproute2, { id: 1, pinning: 0, innerId: 0, innerIdx: 2 });
  assert.deepEqual(spec.map("outer").iproute2, { id: 0, pinning: 0, innerId: 1, innerIdx: 0 });
  assert.equal(spec.map("outer").innerMap?.name, "outer.inner");
  assert.deepEqual(spec.map("outer").initialSlots, [undefined, undefined, "inner_array"]);
  // PIN_OBJECT_NS is recorded; what to do with it is the user's choice at load.
  assert.deepEqual([spec.map("per_object").iproute2?.pinning, spec.map("per_object").pinning], [1, undefined]);
  // inner_array (36 bytes at 0): id +20, inner_idx +32; outer (at 36): inner_id +28.
  const refused = (bytes: Uint8Array, message: RegExp): void => {
    assert.throws(() => parse(bytes), (e) => e instanceof ObjectError && message.test(e.message));
  };
  refused(patchMaps(iproute2, 32, 4), /legacy map 'inner_array' goes to slot 4 of map-in-map 'outer', which has 4 entries/);
  refused(patchMaps(iproute2, 32, 0xffff_fffe), /slot 4294967294/);
  refused(patchMaps(iproute2, 36 + 28, 9), /legacy map 'outer': its inner map, id 9, is not defined/);
  refused(patchMaps(iproute2, 72 + 20, 1), /legacy maps 'inner_array' and 'per_object' have the same iproute2 id 1/);
  refused(patchMaps(iproute2, 72 + 28, 1), /legacy map 'per_object' has an inner_id \(1\) but is not a map-in-map/);
  // inner_idx 0xffffffff: stored nowhere.
  assert.equal(parse(patchMaps(iproute2, 32, 0xffff_ffff)).map("outer").initialSlots, undefined);
});

test("map_extra as __uint (pointer to an array) is still read", () => {
  assert.equal(parse(fixture("btf-global.bpf.o")).map("g_bloom").mapExtra, 3n);
});
