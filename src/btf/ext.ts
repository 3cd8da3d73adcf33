// .BTF.ext: per-section func_info, line_info and CO-RE relocation records
// emitted by clang next to .BTF. Strings (section names, file names, source
// lines, access strings) resolve through the .BTF string table.
import { BtfError } from "./errors.js";
import { BTF_MAGIC, type Btf } from "./btf.js";

/** One bpf_func_info: the function starting at `insnOffset` has FUNC type `typeId`. */
export interface FuncInfo {
  /** Offset in bytes of the function's first instruction in its ELF section (as clang emits it). */
  readonly insnOffset: number;
  readonly typeId: number;
}

/** One bpf_line_info: which source line the instruction at `insnOffset` comes from. */
export interface LineInfo {
  /** Offset in bytes of the instruction in its ELF section. */
  readonly insnOffset: number;
  readonly fileName: string;
  /** The text of the source line, as clang recorded it. */
  readonly lineText: string;
  readonly line: number;
  readonly column: number;
}

/** CO-RE relocation kinds (enum bpf_core_relo_kind). */
export const CoreReloKind = {
  FIELD_BYTE_OFFSET: 0, FIELD_BYTE_SIZE: 1, FIELD_EXISTS: 2, FIELD_SIGNED: 3, FIELD_LSHIFT_U64: 4,
  FIELD_RSHIFT_U64: 5, TYPE_ID_LOCAL: 6, TYPE_ID_TARGET: 7, TYPE_EXISTS: 8, TYPE_SIZE: 9,
  ENUMVAL_EXISTS: 10, ENUMVAL_VALUE: 11, TYPE_MATCHES: 12,
} as const;
/** Name of a CO-RE relocation kind. */
export type CoreReloKindName = keyof typeof CoreReloKind;
const coreKindNames = Object.keys(CoreReloKind) as CoreReloKindName[];

/** One bpf_core_relo record. */
export interface CoreRelo {
  /** Offset in bytes of the instruction to patch in its ELF section. */
  readonly insnOffset: number;
  /** Local (program BTF) root type id. */
  readonly typeId: number;
  /** Access string, e.g. "0:1:2" (member/array indexes from the root type). */
  readonly accessString: string;
  readonly kind: number;
  /** Kind name, or undefined for a kind newer than this library. */
  readonly kindName: CoreReloKindName | undefined;
}

/** Parsed .BTF.ext, records grouped by ELF section name. */
export interface BtfExt {
  readonly version: number;
  readonly flags: number;
  readonly funcInfos: ReadonlyMap<string, readonly FuncInfo[]>;
  readonly lineInfos: ReadonlyMap<string, readonly LineInfo[]>;
  readonly coreRelos: ReadonlyMap<string, readonly CoreRelo[]>;
  /** Record sizes as written (the kernel needs func/line info record sizes). */
  readonly funcInfoRecordSize: number;
  readonly lineInfoRecordSize: number;
  readonly coreReloRecordSize: number;
}

/** Parses a .BTF.ext section against its .BTF. Throws BtfError on malformed input. */
export function parseBtfExt(bytes: Uint8Array, btf: Btf): BtfExt {
  if (bytes.byteLength < 8) throw new BtfError(`.BTF.ext is ${bytes.byteLength} bytes, shorter than its header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le: boolean;
  if (view.getUint16(0, true) === BTF_MAGIC) le = true;
  else if (view.getUint16(0, false) === BTF_MAGIC) le = false;
  else throw new BtfError(`bad .BTF.ext magic 0x${view.getUint16(0, true).toString(16)}`);
  const version = view.getUint8(2);
  if (version !== 1) throw new BtfError(`unsupported .BTF.ext version ${version}`);
  const hdrLen = view.getUint32(4, le);
  if (hdrLen < 24 || hdrLen > bytes.byteLength) throw new BtfError(`bad .BTF.ext header length ${hdrLen}`);
  const field = (off: number): number => (off + 4 <= hdrLen ? view.getUint32(off, le) : 0);
  const data = new DataView(bytes.buffer, bytes.byteOffset + hdrLen, bytes.byteLength - hdrLen);
  const reader: SectionReader = { data, le, btf };
  const func = readInfo(reader, "func_info", field(8), field(12), 8, (o) => ({
    insnOffset: data.getUint32(o, le), typeId: data.getUint32(o + 4, le),
  }));
  const line = readInfo(reader, "line_info", field(16), field(20), 16, (o) => {
    const col = data.getUint32(o + 12, le);
    return {
      insnOffset: data.getUint32(o, le), fileName: btf.stringAt(data.getUint32(o + 4, le)),
      lineText: btf.stringAt(data.getUint32(o + 8, le)), line: col >>> 10, column: col & 0x3ff,
    };
  });
  const core = readInfo(reader, "core_relo", field(24), field(28), 16, (o) => {
    const kind = data.getUint32(o + 12, le);
    return {
      insnOffset: data.getUint32(o, le), typeId: data.getUint32(o + 4, le),
      accessString: btf.stringAt(data.getUint32(o + 8, le)), kind, kindName: coreKindNames[kind],
    };
  });
  return {
    version, flags: view.getUint8(3),
    funcInfos: func.bySection, lineInfos: line.bySection, coreRelos: core.bySection,
    funcInfoRecordSize: func.recordSize, lineInfoRecordSize: line.recordSize, coreReloRecordSize: core.recordSize,
  };
}

interface SectionReader {
  readonly data: DataView;
  readonly le: boolean;
  readonly btf: Btf;
}

/** Reads one info subsection: a record size, then blocks of {sec_name_off, num_info, records}. */
function readInfo<T>(
  r: SectionReader, what: string, off: number, len: number, minRecord: number, decode: (offset: number) => T,
): { bySection: Map<string, T[]>; recordSize: number } {
  const bySection = new Map<string, T[]>();
  if (len === 0) return { bySection, recordSize: 0 };
  if (off + len > r.data.byteLength || len < 4) throw new BtfError(`.BTF.ext ${what} [${off}, +${len}) runs past the end of the section`);
  const end = off + len;
  const recordSize = r.data.getUint32(off, r.le);
  if (recordSize < minRecord || recordSize % 4 !== 0) throw new BtfError(`.BTF.ext ${what} record size ${recordSize} is invalid`);
  let p = off + 4;
  while (p < end) {
    if (p + 8 > end) throw new BtfError(`.BTF.ext ${what}: truncated section header`);
    const section = r.btf.stringAt(r.data.getUint32(p, r.le));
    const count = r.data.getUint32(p + 4, r.le);
    p += 8;
    // Checked before the loop so a huge count cannot run past the data.
    if (count === 0 || count * recordSize > end - p) throw new BtfError(`.BTF.ext ${what} for '${section}': ${count} records do not fit`);
    let list = bySection.get(section);
    if (!list) bySection.set(section, (list = []));
    for (let i = 0; i < count; i++, p += recordSize) list.push(decode(p));
  }
  return { bySection, recordSize };
}
