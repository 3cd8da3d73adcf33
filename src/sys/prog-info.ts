// What a disassembler needs to know about a loaded program, read with
// BPF_OBJ_GET_INFO_BY_FD: the translated (xlated) instructions, the map ids
// they reference, JIT symbol addresses of each function, func/line info and
// the id of the program's BTF. A small, focused reader; src/program.ts has the
// general Program.info().
import { Attr, stableBytes } from "./attr.js";
import { BtfInfo, ProgInfo } from "./layouts.js";
import { infoByFd, fdById } from "./objects.js";
import type { FD } from "./fd.js";

/** One bpf_func_info record: the function starting at `insnOff` has BTF type `typeId`. */
export interface FuncInfoRecord {
  insnOff: number;
  typeId: number;
}

/** One bpf_line_info record; the offsets index the program BTF's string table. */
export interface LineInfoRecord {
  insnOff: number;
  fileNameOff: number;
  lineOff: number;
  /** line << 10 | column, as the kernel stores it. */
  lineCol: number;
}

/** A loaded program as the kernel reports it for dumping. */
export interface ProgramDumpInfo {
  id: number;
  name: string;
  /** The 8-byte program tag as 16 hex digits. */
  tag: string;
  /** Translated instructions (8 bytes per slot, host byte order); empty without CAP_SYS_ADMIN/CAP_BPF. */
  xlated: Uint8Array;
  mapIds: number[];
  /** Kernel addresses of the JITed functions (main program first); empty when not JITed. */
  jitedKsyms: bigint[];
  /** 0 when the program was loaded without BTF. */
  btfId: number;
  funcInfo: FuncInfoRecord[];
  lineInfo: LineInfoRecord[];
}

const FUNC_INFO_SIZE = 8;
const LINE_INFO_SIZE = 16;
const decoder = new TextDecoder();

/**
 * Reads the dump-relevant parts of bpf_prog_info (Linux 4.13; func/line info
 * and jited ksyms since 4.18–5.0). Two calls: one for the counts, one to fill buffers.
 */
export function readProgramDumpInfo(fd: FD): ProgramDumpInfo {
  const info = new Attr(ProgInfo);
  infoByFd(fd, info.bytes);
  const xlatedLen = info.get("xlated_prog_len");
  const nrMaps = info.get("nr_map_ids");
  const nrKsyms = info.get("nr_jited_ksyms");
  const nrFunc = info.get("nr_func_info");
  const nrLine = info.get("nr_line_info");
  const id = info.get("id");
  const name = cString(info.bytes.subarray(ProgInfo.fields.name.offset, ProgInfo.fields.name.offset + 16));
  const tag = Array.from(info.bytes.subarray(8, 16), (b) => b.toString(16).padStart(2, "0")).join("");
  const btfId = info.get("btf_id");

  const xlated = stableBytes(xlatedLen);
  const maps = stableBytes(nrMaps * 4);
  const ksyms = stableBytes(nrKsyms * 8);
  const funcs = stableBytes(nrFunc * FUNC_INFO_SIZE);
  const lines = stableBytes(nrLine * LINE_INFO_SIZE);
  // The kernel only fills what is asked for, so request everything at once.
  info.zero()
    .set("xlated_prog_len", xlatedLen).setPointer("xlated_prog_insns", xlated)
    .set("nr_map_ids", nrMaps).setPointer("map_ids", maps)
    .set("nr_jited_ksyms", nrKsyms).setPointer("jited_ksyms", ksyms)
    .set("nr_func_info", nrFunc).set("func_info_rec_size", FUNC_INFO_SIZE).setPointer("func_info", funcs)
    .set("nr_line_info", nrLine).set("line_info_rec_size", LINE_INFO_SIZE).setPointer("line_info", lines);
  infoByFd(fd, info.bytes);

  const mv = new DataView(maps.buffer, maps.byteOffset, maps.byteLength);
  const kv = new DataView(ksyms.buffer, ksyms.byteOffset, ksyms.byteLength);
  const fv = new DataView(funcs.buffer, funcs.byteOffset, funcs.byteLength);
  const lv = new DataView(lines.buffer, lines.byteOffset, lines.byteLength);
  return {
    id,
    name,
    tag,
    xlated: xlated.subarray(0, Math.min(xlatedLen, info.get("xlated_prog_len"))),
    mapIds: Array.from({ length: Math.min(nrMaps, info.get("nr_map_ids")) }, (_, i) => mv.getUint32(i * 4, true)),
    jitedKsyms: Array.from({ length: Math.min(nrKsyms, info.get("nr_jited_ksyms")) }, (_, i) => kv.getBigUint64(i * 8, true)),
    btfId,
    funcInfo: Array.from({ length: Math.min(nrFunc, info.get("nr_func_info")) }, (_, i) => ({
      insnOff: fv.getUint32(i * FUNC_INFO_SIZE, true),
      typeId: fv.getUint32(i * FUNC_INFO_SIZE + 4, true),
    })),
    lineInfo: Array.from({ length: Math.min(nrLine, info.get("nr_line_info")) }, (_, i) => ({
      insnOff: lv.getUint32(i * LINE_INFO_SIZE, true),
      fileNameOff: lv.getUint32(i * LINE_INFO_SIZE + 4, true),
      lineOff: lv.getUint32(i * LINE_INFO_SIZE + 8, true),
      lineCol: lv.getUint32(i * LINE_INFO_SIZE + 12, true),
    })),
  };
}

/** The raw bytes of a BTF object loaded in the kernel, by id (needs CAP_SYS_ADMIN; Linux 5.0). */
export function readBtfById(id: number): Uint8Array {
  const fd = fdById("btf", id);
  try {
    const info = new Attr(BtfInfo);
    infoByFd(fd, info.bytes);
    const size = info.get("btf_size");
    const data = stableBytes(size);
    info.zero().set("btf_size", size).setPointer("btf", data);
    infoByFd(fd, info.bytes);
    return data;
  } finally {
    fd.close();
  }
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
}
