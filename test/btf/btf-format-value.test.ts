// formatValueJson against bpftool: a hash map created with a hand-built BTF
// (ints of every width, chars, bool, bitfields, enums, arrays, strings,
// unions, pointers, nested structs through typedefs and qualifiers) is
// filled with known bytes, and `bpftool -j map dump` must print exactly our
// text in its "formatted" object.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { Btf } from "../../src/btf/btf.js";
import { encodeBtf } from "../../src/btf/encode.js";
import { formatValueJson, jsonwPretty, jsonwString, writeBtfValue } from "../../src/btf/format-value.js";
import { JsonWriter } from "../../src/btf/json-writer.js";
import { loadBtf } from "../../src/btf/kernel.js";
import { Attr, stableBytes } from "../../src/sys/attr.js";
import { FD } from "../../src/sys/fd.js";
import { Cmd, MapCreateAttr, MapElemAttr, MapInfo } from "../../src/sys/layouts.js";
import { infoByFd } from "../../src/sys/objects.js";
import { bpfCall } from "../../src/sys/syscall.js";
import { requireOracle } from "../util/environment.js";

const int = (name: string, size: number, signed: boolean, extra: { char?: boolean; bool?: boolean } = {}) =>
  ({ kind: "INT", name, kindFlag: false, size, signed, char: extra.char ?? false, bool: extra.bool ?? false, bitOffset: 0, bits: size * 8 }) as const;
const member = (name: string, type: number, bitOffset: number, bitfieldSize = 0) => ({ name, type, bitOffset, bitfieldSize });

/** Type 1 is the key (u32), type 20 the value struct. */
function valueBtf(): Btf {
  return new Btf(encodeBtf([
    /* 1 */ int("unsigned int", 4, false),
    /* 2 */ int("int", 4, true),
    /* 3 */ int("char", 1, true),
    /* 4 */ int("long long unsigned int", 8, false),
    /* 5 */ int("short int", 2, true),
    /* 6 */ int("_Bool", 1, false, { bool: true }),
    /* 7 */ { kind: "ARRAY", name: "", kindFlag: false, type: 3, indexType: 1, nelems: 8 },
    /* 8 */ { kind: "ENUM", name: "color", kindFlag: false, size: 4, signed: false, values: [{ name: "RED", value: 0 }, { name: "GREEN", value: 7 }] },
    /* 9 */ { kind: "ARRAY", name: "", kindFlag: false, type: 5, indexType: 1, nelems: 3 },
    /* 10 */ { kind: "UNION", name: "either", kindFlag: false, size: 4, members: [member("i", 2, 0), member("u", 1, 0)] },
    /* 11 */ { kind: "PTR", name: "", kindFlag: false, type: 2 },
    /* 12 */ { kind: "TYPEDEF", name: "u64_t", kindFlag: false, type: 4 },
    /* 13 */ { kind: "CONST", name: "", kindFlag: false, type: 12 },
    /* 14 */ { kind: "STRUCT", name: "inner", kindFlag: false, size: 16, members: [member("big", 13, 0), member("small", 5, 64)] },
    /* 15 */ { kind: "ENUM64", name: "wide", kindFlag: false, size: 8, signed: false, values: [{ name: "W_HI", value: 1n << 40n }] },
    /* 16 */ { kind: "ARRAY", name: "", kindFlag: false, type: 3, indexType: 1, nelems: 4 },
    /* 17 */ int("signed char", 1, true),
    /* 18 */ { kind: "VOLATILE", name: "", kindFlag: false, type: 17 },
    /* 19 */ { kind: "STRUCT", name: "flags", kindFlag: true, size: 4, members: [member("a", 1, 0, 3), member("b", 1, 3, 13), member("c", 2, 16, 16)] },
    /* 20 */ { kind: "STRUCT", name: "value", kindFlag: false, size: 96, members: [
      member("s32", 2, 0), member("name", 7, 32), member("color", 8, 96), member("shorts", 9, 128),
      member("either", 10, 192), member("ptr", 11, 256), member("inner", 14, 320), member("wide", 15, 448),
      member("raw", 16, 512), member("sc", 18, 544), member("flag", 6, 552), member("bits", 19, 576),
      member("neg", 5, 608), member("other_color", 8, 640), member("u64", 4, 704),
    ] },
  ]));
}

function valueBytes(): Uint8Array {
  const b = new Uint8Array(96);
  const v = new DataView(b.buffer);
  v.setInt32(0, -42, true);
  b.set(new TextEncoder().encode("hello"), 4);
  v.setUint32(12, 7, true); // GREEN
  v.setInt16(16, -1, true); v.setInt16(18, 2, true); v.setInt16(20, 300, true);
  v.setInt32(24, -5, true);
  v.setBigUint64(32, 0xffff_8880_1234_5678n, true);
  v.setBigUint64(40, 1n << 53n, true); v.setInt16(48, 77, true);
  v.setBigUint64(56, 1n << 40n, true); // W_HI
  b.set([0x41, 0x01, 0x7f, 0x00], 64); // not a string: 0x01 is not printable
  v.setInt8(68, -3);
  v.setUint8(69, 1);
  v.setUint32(72, (5 & 7) | (0x1abc << 3) | (0xfffe << 16), true);
  v.setInt16(76, -32768, true);
  v.setUint32(80, 99, true); // no enumerator: printed as a number
  v.setBigUint64(88, 0xffff_ffff_ffff_fff0n, true);
  return b;
}

test("formatted values match bpftool -j map dump", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const btf = valueBtf();
  const btfFd = loadBtf(btf);
  let mapFd: FD | undefined;
  try {
    const create = new Attr(MapCreateAttr);
    create.set("map_type", 1).set("key_size", 4).set("value_size", 96).set("max_entries", 4)
      .set("btf_fd", btfFd.raw).set("btf_key_type_id", 1).set("btf_value_type_id", 20);
    mapFd = new FD(bpfCall(Cmd.MAP_CREATE, create.address, create.size, "map create"), "test map");
    const key = stableBytes(4);
    const value = stableBytes(96);
    value.set(valueBytes());
    new DataView(key.buffer, key.byteOffset).setUint32(0, 3, true);
    const elem = new Attr(MapElemAttr);
    elem.set("map_fd", mapFd.raw).setPointer("key", key).setPointer("value", value);
    bpfCall(Cmd.MAP_UPDATE_ELEM, elem.address, elem.size, "map update");

    const info = new Attr(MapInfo);
    infoByFd(mapFd, info.bytes);
    const id = info.get("id");
    const out = execFileSync("bpftool", ["-j", "map", "dump", "id", String(id)], { encoding: "utf8" });
    const keyText = formatValueJson(btf, 1, key);
    const valueText = formatValueJson(btf, 20, value);
    assert.equal(keyText, "3");
    const formatted = `"formatted":{"key":${keyText},"value":${valueText}}`;
    assert.ok(out.includes(formatted), `bpftool printed:\n${out}\nwe printed:\n${formatted}`);
  } finally {
    mapFd?.close();
    btfFd.close();
  }
});

test("plain flavour and errors", () => {
  const btf = valueBtf();
  const text = formatValueJson(btf, 20, valueBytes(), { plain: true });
  assert.match(text, /"ptr":0xffff888012345678/);
  assert.match(text, /"a":0x5,"b":0x1abc,"c":0xfffe/);
  assert.throws(() => formatValueJson(btf, 20, new Uint8Array(8)), /needs 96/);
});

test("the streaming writer and the re-indenter agree; markers replace errors for the CLI", () => {
  const btf = valueBtf();
  // writeBtfValue into a pretty writer is what `tsbpf -p map dump` prints; jsonwPretty re-indents compact text.
  const w = new JsonWriter(true);
  writeBtfValue(w, btf, 20, valueBytes());
  assert.equal(`${w.text}\n`, jsonwPretty(formatValueJson(btf, 20, valueBytes())));

  const withFloat = new Btf(encodeBtf([
    /* 1 */ { kind: "FLOAT", name: "float", kindFlag: false, size: 4 },
    /* 2 */ { kind: "STRUCT", name: "f", kindFlag: false, size: 4, members: [member("x", 1, 0)] },
  ]));
  const bytes = new Uint8Array(new Float32Array([1.5]).buffer);
  assert.throws(() => formatValueJson(withFloat, 2, bytes), /FLOAT/);
  assert.equal(formatValueJson(withFloat, 2, bytes, { markers: true }), '{"x":1.500000}');
  assert.equal(jsonwString('a"b\\c\n\t\x01'), '"a\\"b\\\\c\\n\\t\x01"');
});
