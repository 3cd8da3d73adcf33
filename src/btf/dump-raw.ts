// `bpftool btf dump … format raw`: one line per type (plus one indented
// line per member, enumerator, parameter or section variable), byte-identical
// to bpftool's plain output, and its `-j` JSON document. Reads the type
// words directly: a vmlinux dump prints ~300k lines. One walk over the words
// serves both forms; dump-raw-writers.ts holds how each form looks.
import type { Btf } from "./btf.js";
import { ByteSink } from "./dump-c/byte-sink.js";
import { Kind, RawView } from "./dump-c/raw-view.js";
import { RawJsonWriter, rawLabel, RawTextWriter, type RawWriter } from "./dump-raw-writers.js";

/** Options for {@link dumpRaw}. */
export interface DumpRawOptions {
  /** bpftool's `-j` document (`{"types":[…]}`) instead of text. */
  readonly json?: boolean;
  /** First id to print; default 1, or the first own id of split BTF (as bpftool does). */
  readonly fromId?: number;
  /** Only this type (bpftool's `root_id`). */
  readonly rootId?: number;
  /** Receives the output in large chunks; dumpRaw then returns an empty array. */
  readonly onChunk?: (chunk: Uint8Array) => void;
}

const INT_ENCODINGS: Readonly<Record<number, string>> = { 0: "(none)", 1: "SIGNED", 2: "CHAR", 4: "BOOL" };
const LINKAGES: readonly string[] = ["static", "global", "extern"];

const SIZE = rawLabel("size");
const VLEN = rawLabel("vlen");
const TYPE_ID = rawLabel("type_id");
const BITS_OFFSET = rawLabel("bits_offset");
const NR_BITS = rawLabel("nr_bits");
const ENCODING = rawLabel("encoding");
const INDEX_TYPE_ID = rawLabel("index_type_id");
const NR_ELEMS = rawLabel("nr_elems");
const BITFIELD_SIZE = rawLabel("bitfield_size");
const FWD_KIND = rawLabel("fwd_kind");
const LINKAGE = rawLabel("linkage");
// bpftool's text puts a comma before a VAR's linkage (and only there).
const VAR_LINKAGE = { text: ", linkage=", json: LINKAGE.json };
const RET_TYPE_ID = rawLabel("ret_type_id");
const OFFSET = rawLabel("offset");
const COMPONENT_IDX = rawLabel("component_idx");
const MEMBERS = rawLabel("members");
const VALUES = rawLabel("values");
const PARAMS = rawLabel("params");
const VARS = rawLabel("vars");

/** Renders BTF the way `bpftool btf dump file F [format raw]` does (UTF-8 bytes). Pure: no syscalls. */
export function dumpRaw(btf: Btf, options: DumpRawOptions = {}): Uint8Array {
  const raw = RawView.of(btf);
  const out = new ByteSink(raw.strings, options.onChunk);
  const first = options.rootId ?? options.fromId ?? raw.firstOwnId;
  const last = options.rootId ?? raw.lastId;
  if (options.json) {
    const writer = new RawJsonWriter(raw, out);
    out.text('{"types":[');
    for (let id = first; id <= last; id++) {
      if (id !== first) out.byte(44);
      writeType(raw, writer, id);
    }
    out.text("]}\n");
  } else {
    const writer = new RawTextWriter(raw, out);
    for (let id = first; id <= last; id++) writeType(raw, writer, id);
  }
  return out.finish();
}

/** Decodes type `id` and hands its fields and entries to `f` in bpftool's order. */
function writeType(raw: RawView, f: RawWriter, id: number): void {
  const w = raw.words;
  const kind = raw.kind(id);
  const n = raw.vlen(id);
  const at = raw.body(id);
  const kflag = raw.kflag(id);
  const st = raw.sizeOrType(id);
  f.open(id, kind, raw.nameOff(id));
  switch (kind) {
    case Kind.Int: {
      const enc = w[at] as number;
      f.num(SIZE, st);
      f.num(BITS_OFFSET, (enc >>> 16) & 0xff);
      f.num(NR_BITS, enc & 0xff);
      f.str(ENCODING, INT_ENCODINGS[(enc >>> 24) & 0x0f] ?? "UNKN");
      break;
    }
    case Kind.Ptr: case Kind.Const: case Kind.Volatile: case Kind.Restrict: case Kind.Typedef: case Kind.TypeTag:
      f.num(TYPE_ID, st);
      break;
    case Kind.Array:
      f.num(TYPE_ID, w[at] as number);
      f.num(INDEX_TYPE_ID, w[at + 1] as number);
      f.num(NR_ELEMS, w[at + 2] as number);
      break;
    case Kind.Struct: case Kind.Union:
      f.num(SIZE, st);
      f.num(VLEN, n);
      f.list(MEMBERS);
      for (let i = 0; i < n; i++) {
        const m = at + i * 3;
        const off = w[m + 2] as number;
        f.entryName(i, w[m] as number);
        f.num(TYPE_ID, w[m + 1] as number);
        f.num(BITS_OFFSET, kflag ? off & 0xff_ffff : off);
        if (kflag && off >>> 24 !== 0) f.num(BITFIELD_SIZE, off >>> 24);
      }
      f.endList(n);
      break;
    case Kind.Enum: case Kind.Enum64:
      f.str(ENCODING, kflag ? "SIGNED" : "UNSIGNED");
      f.num(SIZE, st);
      f.num(VLEN, n);
      f.list(VALUES);
      for (let i = 0; i < n; i++) {
        const e = at + i * (kind === Kind.Enum ? 2 : 3);
        f.entryName(i, w[e] as number);
        if (kind === Kind.Enum) f.enumValue(w[e + 1] as number, kflag);
        else f.enum64Value(w[e + 1] as number, w[e + 2] as number, kflag);
      }
      f.endList(n);
      break;
    case Kind.Fwd:
      f.str(FWD_KIND, kflag ? "union" : "struct");
      break;
    case Kind.Func:
      f.num(TYPE_ID, st);
      f.str(LINKAGE, LINKAGES[n] ?? "(unknown)");
      break;
    case Kind.FuncProto:
      f.num(RET_TYPE_ID, st);
      f.num(VLEN, n);
      f.list(PARAMS);
      for (let i = 0; i < n; i++) {
        f.entryName(i, w[at + i * 2] as number);
        f.num(TYPE_ID, w[at + i * 2 + 1] as number);
      }
      f.endList(n);
      break;
    case Kind.Var:
      f.num(TYPE_ID, st);
      f.str(VAR_LINKAGE, LINKAGES[w[at] as number] ?? "(unknown)");
      break;
    case Kind.Datasec:
      f.num(SIZE, st);
      f.num(VLEN, n);
      f.list(VARS);
      for (let i = 0; i < n; i++) {
        const v = at + i * 3;
        f.entryTypeId(i, w[v] as number);
        f.num(OFFSET, w[v + 1] as number);
        f.num(SIZE, w[v + 2] as number);
        f.endVar(w[v] as number);
      }
      f.endList(n);
      break;
    case Kind.Float:
      f.num(SIZE, st);
      break;
    case Kind.DeclTag:
      f.num(TYPE_ID, st);
      f.num(COMPONENT_IDX, (w[at] as number) | 0);
      break;
    default:
      break;
  }
  f.close();
}
