// BPF_OBJ_GET_INFO_BY_FD for programs. The first call returns the counts and
// lengths of the variable-size parts; the second fills buffers sized from them.
import { Attr, stableBytes } from "../sys/attr.js";
import { readCString } from "../sys/cstring.js";
import { Cmd, InfoByFdAttr, ProgInfo } from "../sys/layouts.js";
import { bpfRaw } from "../sys/syscall.js";
import { errorFromErrno } from "../sys/errors.js";
import type { FD } from "../sys/fd.js";
import { programTypeName, type ProgramType } from "./types.js";

/** struct bpf_func_info: where a function starts and its BTF type. */
export interface FuncInfoRecord {
  /** Instruction index of the function's first instruction. */
  instruction: number;
  /** BTF type id of the function (BTF_KIND_FUNC) in the program's BTF. */
  typeId: number;
}

/** struct bpf_line_info: the source position of an instruction. */
export interface LineInfoRecord {
  /** Instruction index. */
  instruction: number;
  /** Offset of the file name in the BTF string section. */
  fileNameOffset: number;
  /** Offset of the source line's text in the BTF string section. */
  lineOffset: number;
  /** Line number. */
  line: number;
  /** Column. */
  column: number;
}

/** What the kernel reports about a loaded program (struct bpf_prog_info). */
export interface ProgramInfo {
  id: number;
  type: ProgramType;
  /** bpftool's name of the type ("xdp", "socket_filter" …). */
  typeName: string;
  /** The program tag as bpftool prints it (16 hex digits). */
  tag: string;
  name: string;
  /** Ids of the maps the program uses (including bound ones). */
  mapIds: number[];
  /** Instructions after the verifier's rewrites (needs CAP_SYS_ADMIN, else empty). */
  xlatedInstructions: Uint8Array;
  /** Machine code from the JIT (empty when not JITed or without privileges). */
  jitedInstructions: Uint8Array;
  /** Kernel addresses of the JITed functions (main program first). */
  jitedSymbols: bigint[];
  /** Lengths in bytes of the JITed functions. */
  jitedFunctionLengths: number[];
  /** Tags of the program and its subprograms (Linux 5.0). */
  subprogramTags: string[];
  /** Id of the program's BTF, 0 without BTF (Linux 5.0). */
  btfId: number;
  funcInfo: FuncInfoRecord[];
  lineInfo: LineInfoRecord[];
  /** When the program was loaded, in nanoseconds since boot. */
  loadTime: bigint;
  createdByUid: number;
  /** True when the license is GPL-compatible. */
  gplCompatible: boolean;
  /** Total run time in ns; counted only while stats are enabled (see enableStats, Linux 5.1). */
  runTimeNs: bigint;
  /** Number of runs; counted only while stats are enabled (Linux 5.1). */
  runCount: bigint;
  /** Runs skipped because the program was already running on the CPU (Linux 5.12). */
  recursionMisses: bigint;
  /** Instructions the verifier processed (Linux 5.16). */
  verifiedInstructions: number;
  /** BTF object id of the attach target (Linux 5.17). */
  attachBtfObjId: number;
  /** BTF type id of the attach target (Linux 5.17). */
  attachBtfId: number;
  /** Device of an offloaded or dev-bound program. */
  ifindex: number;
  netnsDev: bigint;
  netnsIno: bigint;
}

const hexByte = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += hexByte[b]!;
  return s;
}

// Info reads are synchronous and never nest, so one pair of attr buffers per
// thread serves them all (allocating off-heap buffers per call dominated the cost).
const sharedInfo = new Attr(ProgInfo);
const infoCall = new Attr(InfoByFdAttr);

/** BPF_OBJ_GET_INFO_BY_FD into `sharedInfo`. */
function fetchInfo(fd: FD): void {
  // The pointer is set per call, not at import: its address needs the native addon.
  infoCall.set("bpf_fd", fd.raw).set("info_len", sharedInfo.size).set("info", sharedInfo.address);
  const r = bpfRaw(Cmd.OBJ_GET_INFO_BY_FD, infoCall.address, infoCall.size);
  if (r < 0) throw errorFromErrno(-r, "BPF_OBJ_GET_INFO_BY_FD", `program ${fd}`);
}

/** What to fetch besides the fixed-size fields. */
export interface ProgramInfoOptions {
  /**
   * Also fetch xlated and jited code, func/line info and JIT symbols (default
   * true). Map ids and subprogram tags are always fetched.
   */
  instructions?: boolean;
}

/** The fixed identity of a program: one BPF_OBJ_GET_INFO_BY_FD call. */
export interface ProgramIdentity {
  id: number;
  type: ProgramType;
  tag: string;
  name: string;
}

// The variable-size parts: [count field, pointer field, bytes per element or the field holding it, part of "instructions"].
const allArrays = [
  ["xlated_prog_len", "xlated_prog_insns", 1, true],
  ["jited_prog_len", "jited_prog_insns", 1, true],
  ["nr_map_ids", "map_ids", 4, false],
  ["nr_jited_ksyms", "jited_ksyms", 8, true],
  ["nr_jited_func_lens", "jited_func_lens", 4, true],
  ["nr_func_info", "func_info", "func_info_rec_size", true],
  ["nr_line_info", "line_info", "line_info_rec_size", true],
  ["nr_prog_tags", "prog_tags", 8, false],
] as const;
const headerArrays = allArrays.filter((a) => !a[3]);
type InfoField = keyof typeof ProgInfo.fields;
type ArrayName = (typeof allArrays)[number][1];

function tagOf(info: Attr<InfoField>): string {
  const offset = ProgInfo.fields.tag.offset;
  return hex(info.bytes.subarray(offset, offset + 8));
}

/** Id, type, tag and name of the program behind `fd` (a single syscall). */
export function readProgramIdentity(fd: FD): ProgramIdentity {
  const info = sharedInfo.zero();
  fetchInfo(fd);
  return {
    id: info.get("id"),
    type: info.get("type") as ProgramType,
    tag: tagOf(info),
    name: readCString(info.bytes, ProgInfo.fields.name.offset, 16),
  };
}

/** Reads everything the kernel tells about the program behind `fd`. */
export function readProgramInfo(fd: FD, options: ProgramInfoOptions = {}): ProgramInfo {
  const arrays = options.instructions === false ? headerArrays : allArrays;
  const info = sharedInfo.zero();
  fetchInfo(fd);
  // Arrays not fetched decode as empty.
  const buffers = new Map<ArrayName, Uint8Array>(allArrays.map(([, pointer]) => [pointer, new Uint8Array(0)]));
  // Counts can only grow between the calls (PROG_BIND_MAP adds map ids); retry until all fit.
  for (let attempt = 0; attempt < 4; attempt++) {
    const wanted = arrays.map(([count, , unit]) => {
      const n = info.get(count);
      const perElement = typeof unit === "number" ? unit : info.get(unit);
      return { count, n, bytes: n * perElement };
    });
    const recSizes = { func: info.get("func_info_rec_size"), line: info.get("line_info_rec_size") };
    info.zero();
    arrays.forEach(([count, pointer], i) => {
      const w = wanted[i]!;
      const buf = stableBytes(w.bytes);
      buffers.set(pointer, buf);
      info.set(count, w.n);
      if (w.bytes) info.setPointer(pointer, buf);
    });
    info.set("func_info_rec_size", recSizes.func).set("line_info_rec_size", recSizes.line);
    fetchInfo(fd);
    const fits = arrays.every(([count], i) => info.get(count) <= wanted[i]!.n);
    if (fits) break;
  }
  return decodeInfo(info, buffers);
}

function decodeInfo(info: Attr<InfoField>, buffers: Map<ArrayName, Uint8Array>): ProgramInfo {
  const get = (name: ArrayName, count: InfoField, unit: number): DataView => {
    const buf = buffers.get(name)!;
    const len = Math.min(buf.byteLength, info.get(count) * unit);
    return new DataView(buf.buffer, buf.byteOffset, len);
  };
  const u32s = (v: DataView): number[] => Array.from({ length: v.byteLength / 4 }, (_, i) => v.getUint32(i * 4, true));
  const u64s = (v: DataView): bigint[] => Array.from({ length: v.byteLength / 8 }, (_, i) => v.getBigUint64(i * 8, true));

  const funcRec = info.get("func_info_rec_size") || 8;
  const funcView = get("func_info", "nr_func_info", funcRec);
  const funcInfo: FuncInfoRecord[] = [];
  for (let off = 0; off + 8 <= funcView.byteLength; off += funcRec) {
    funcInfo.push({ instruction: funcView.getUint32(off, true), typeId: funcView.getUint32(off + 4, true) });
  }
  const lineRec = info.get("line_info_rec_size") || 16;
  const lineView = get("line_info", "nr_line_info", lineRec);
  const lineInfo: LineInfoRecord[] = [];
  for (let off = 0; off + 16 <= lineView.byteLength; off += lineRec) {
    const lineCol = lineView.getUint32(off + 12, true);
    lineInfo.push({
      instruction: lineView.getUint32(off, true),
      fileNameOffset: lineView.getUint32(off + 4, true),
      lineOffset: lineView.getUint32(off + 8, true),
      line: lineCol >>> 10,
      column: lineCol & 0x3ff,
    });
  }
  const tagsView = get("prog_tags", "nr_prog_tags", 8);
  const subprogramTags: string[] = [];
  for (let off = 0; off < tagsView.byteLength; off += 8) {
    subprogramTags.push(hex(new Uint8Array(tagsView.buffer, tagsView.byteOffset + off, 8)));
  }
  const bytesOf = (name: ArrayName, count: InfoField): Uint8Array => buffers.get(name)!.subarray(0, info.get(count));
  const type = info.get("type") as ProgramType;
  return {
    id: info.get("id"),
    type,
    typeName: programTypeName(type),
    tag: tagOf(info),
    name: readCString(info.bytes, ProgInfo.fields.name.offset, 16),
    mapIds: u32s(get("map_ids", "nr_map_ids", 4)),
    xlatedInstructions: bytesOf("xlated_prog_insns", "xlated_prog_len"),
    jitedInstructions: bytesOf("jited_prog_insns", "jited_prog_len"),
    jitedSymbols: u64s(get("jited_ksyms", "nr_jited_ksyms", 8)),
    jitedFunctionLengths: u32s(get("jited_func_lens", "nr_jited_func_lens", 4)),
    subprogramTags,
    btfId: info.get("btf_id"),
    funcInfo,
    lineInfo,
    loadTime: info.getBig("load_time"),
    createdByUid: info.get("created_by_uid"),
    // gpl_compatible is a 1-bit bitfield in the low bit of its word.
    gplCompatible: (info.get("gpl_compatible") & 1) === 1,
    runTimeNs: info.getBig("run_time_ns"),
    runCount: info.getBig("run_cnt"),
    recursionMisses: info.getBig("recursion_misses"),
    verifiedInstructions: info.get("verified_insns"),
    attachBtfObjId: info.get("attach_btf_obj_id"),
    attachBtfId: info.get("attach_btf_id"),
    ifindex: info.get("ifindex"),
    netnsDev: info.getBig("netns_dev"),
    netnsIno: info.getBig("netns_ino"),
  };
}
