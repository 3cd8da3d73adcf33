// Helpers for the program tests: raw array maps and BTF made with plain attrs
// (independent of src/map.ts and src/btf/), and small programs.
import { Attr, stableBytes } from "../../src/sys/attr.js";
import { BtfLoadAttr, Cmd, MapCreateAttr, MapElemAttr, MapInfo } from "../../src/sys/layouts.js";
import { bpfCall } from "../../src/sys/syscall.js";
import { infoByFd } from "../../src/sys/objects.js";
import { FD } from "../../src/sys/fd.js";
import { ProgramBuilder, R0 } from "../../src/asm/index.js";

const BPF_MAP_TYPE_ARRAY = 2;

/** Creates a BPF array map with u32 keys. */
export function createArrayMap(valueSize: number, maxEntries: number, name = "tsbpf_test"): FD {
  const attr = new Attr(MapCreateAttr);
  attr.set("map_type", BPF_MAP_TYPE_ARRAY).set("key_size", 4).set("value_size", valueSize).set("max_entries", maxEntries).setString("map_name", name);
  return new FD(bpfCall(Cmd.MAP_CREATE, attr.address, attr.size, "BPF_MAP_CREATE"), "map fd");
}

/** The kernel id of a map. */
export function mapId(map: FD): number {
  const info = new Attr(MapInfo);
  infoByFd(map, info.bytes);
  return info.get("id");
}

/** A program that returns `value` and does nothing else. */
export function returnConstant(value: number): Uint8Array {
  return new ProgramBuilder().mov64Imm(R0, value).exit().build();
}

/** An Ethernet frame of `length` bytes with the given EtherType and a counting payload. */
export function frame(length: number, etherType = 0x0800): Uint8Array {
  const f = new Uint8Array(length);
  for (let i = 0; i < length; i++) f[i] = i & 0xff;
  f[12] = etherType >> 8;
  f[13] = etherType & 0xff;
  return f;
}


/** Strings and ids of the tiny BTF made by {@link loadTinyBtf}. */
export interface TinyBtf {
  fd: FD;
  /** Type id of the BTF_KIND_FUNC "tiny_func". */
  funcTypeId: number;
  fileNameOffset: number;
  lineOffset: number;
  lineText: string;
}

/**
 * Loads a hand-encoded BTF blob: int, a FUNC_PROTO int(int ctx), a FUNC
 * "tiny_func", plus the strings a line info record points at.
 */
export function loadTinyBtf(lineText = "return ctx;"): TinyBtf {
  const strings = ["", "int", "tiny_func", "ctx", "tiny.c", lineText];
  const offsets: number[] = [];
  let strLen = 0;
  for (const s of strings) { offsets.push(strLen); strLen += Buffer.byteLength(s) + 1; }
  const strBytes = Buffer.from(strings.map((s) => s + "\0").join(""));
  const words = [
    // [1] INT 'int' size=4, signed, 32 bits
    offsets[1]!, 1 << 24, 4, (1 << 24) | 32,
    // [2] FUNC_PROTO returning [1], one param 'ctx' of type [1]
    0, (13 << 24) | 1, 1, offsets[3]!, 1,
    // [3] FUNC 'tiny_func' of proto [2], static linkage
    offsets[2]!, 12 << 24, 2,
  ];
  const typeLen = words.length * 4;
  const blob = stableBytes(24 + typeLen + strBytes.length);
  const v = new DataView(blob.buffer);
  v.setUint16(0, 0xeb9f, true); v.setUint8(2, 1); v.setUint8(3, 0); v.setUint32(4, 24, true);
  v.setUint32(8, 0, true); v.setUint32(12, typeLen, true); v.setUint32(16, typeLen, true); v.setUint32(20, strBytes.length, true);
  words.forEach((w, i) => v.setUint32(24 + i * 4, w >>> 0, true));
  blob.set(strBytes, 24 + typeLen);
  const attr = new Attr(BtfLoadAttr);
  attr.setPointer("btf", blob).set("btf_size", blob.byteLength);
  const fd = new FD(bpfCall(Cmd.BTF_LOAD, attr.address, attr.size, "BPF_BTF_LOAD"), "btf fd");
  return { fd, funcTypeId: 3, fileNameOffset: offsets[4]!, lineOffset: offsets[5]!, lineText };
}

/** struct bpf_func_info records. */
export function funcInfoBytes(records: readonly [insn: number, typeId: number][]): Uint8Array {
  const out = new Uint8Array(records.length * 8);
  const v = new DataView(out.buffer);
  records.forEach(([insn, typeId], i) => { v.setUint32(i * 8, insn, true); v.setUint32(i * 8 + 4, typeId, true); });
  return out;
}

/** struct bpf_line_info records. */
export function lineInfoBytes(records: readonly [insn: number, fileOff: number, lineOff: number, line: number, col: number][]): Uint8Array {
  const out = new Uint8Array(records.length * 16);
  const v = new DataView(out.buffer);
  records.forEach(([insn, file, text, line, col], i) => {
    v.setUint32(i * 16, insn, true); v.setUint32(i * 16 + 4, file, true);
    v.setUint32(i * 16 + 8, text, true); v.setUint32(i * 16 + 12, (line << 10) | col, true);
  });
  return out;
}

/** Writes element `index` of an array map. */
export function updateArray(map: FD, index: number, value: Uint8Array): void {
  const key = stableBytes(4);
  new DataView(key.buffer).setUint32(0, index, true);
  const val = stableBytes(value.byteLength);
  val.set(value);
  const attr = new Attr(MapElemAttr);
  attr.set("map_fd", map.raw).setPointer("key", key).setPointer("value", val);
  bpfCall(Cmd.MAP_UPDATE_ELEM, attr.address, attr.size, "BPF_MAP_UPDATE_ELEM");
}
