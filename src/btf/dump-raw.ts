// `bpftool btf dump … format raw`: one line per type (plus one indented
// line per member, enumerator, parameter or section variable), byte-identical
// to bpftool's plain output, and its `-j` JSON document. Reads the type
// words directly: a vmlinux dump prints ~300k lines.
import type { Btf } from "./btf.js";
import { ByteSink } from "./dump-c/byte-sink.js";
import { Kind, RawView } from "./dump-c/raw-view.js";
import { kindNames } from "./kinds.js";

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

/** Renders BTF the way `bpftool btf dump file F [format raw]` does (UTF-8 bytes). Pure: no syscalls. */
export function dumpRaw(btf: Btf, options: DumpRawOptions = {}): Uint8Array {
  const raw = RawView.of(btf);
  const out = new ByteSink(raw.strings, options.onChunk);
  const first = options.rootId ?? options.fromId ?? raw.firstOwnId;
  const last = options.rootId ?? raw.lastId;
  if (options.json) {
    out.text('{"types":[');
    for (let id = first; id <= last; id++) {
      if (id !== first) out.byte(44);
      jsonType(raw, out, id);
    }
    out.text("]}\n");
  } else {
    for (let id = first; id <= last; id++) textType(raw, out, id);
  }
  return out.finish();
}

/** `'name'`, or `'(anon)'` for offset 0. */
function quotedName(out: ByteSink, off: number): void {
  out.byte(39);
  if (off === 0) out.text("(anon)");
  else out.name(off);
  out.byte(39);
}

function field(out: ByteSink, label: string, value: number): void {
  out.text(label);
  out.uint(value);
}

function textType(raw: RawView, out: ByteSink, id: number): void {
  const w = raw.words;
  const kind = raw.kind(id);
  const n = raw.vlen(id);
  const at = raw.body(id);
  const kflag = raw.kflag(id);
  const st = raw.sizeOrType(id);
  out.byte(91);
  out.uint(id);
  out.text("] ");
  out.text(kindNames[kind] ?? "UNKNOWN");
  out.byte(32);
  quotedName(out, raw.nameOff(id));
  switch (kind) {
    case Kind.Int: {
      const enc = w[at] as number;
      field(out, " size=", st);
      field(out, " bits_offset=", (enc >>> 16) & 0xff);
      field(out, " nr_bits=", enc & 0xff);
      out.text(" encoding=");
      out.text(INT_ENCODINGS[(enc >>> 24) & 0x0f] ?? "UNKN");
      break;
    }
    case Kind.Ptr: case Kind.Const: case Kind.Volatile: case Kind.Restrict: case Kind.Typedef: case Kind.TypeTag:
      field(out, " type_id=", st);
      break;
    case Kind.Array:
      field(out, " type_id=", w[at] as number);
      field(out, " index_type_id=", w[at + 1] as number);
      field(out, " nr_elems=", w[at + 2] as number);
      break;
    case Kind.Struct: case Kind.Union:
      field(out, " size=", st);
      field(out, " vlen=", n);
      for (let i = 0; i < n; i++) {
        const m = at + i * 3;
        const off = w[m + 2] as number;
        out.text("\n\t");
        quotedName(out, w[m] as number);
        field(out, " type_id=", w[m + 1] as number);
        field(out, " bits_offset=", kflag ? off & 0xff_ffff : off);
        if (kflag && off >>> 24 !== 0) field(out, " bitfield_size=", off >>> 24);
      }
      break;
    case Kind.Enum: case Kind.Enum64: {
      out.text(kflag ? " encoding=SIGNED" : " encoding=UNSIGNED");
      field(out, " size=", st);
      field(out, " vlen=", n);
      for (let i = 0; i < n; i++) {
        out.text("\n\t");
        if (kind === Kind.Enum) {
          const e = at + i * 2;
          quotedName(out, w[e] as number);
          out.text(" val=");
          if (kflag) out.int((w[e + 1] as number) | 0);
          else out.uint(w[e + 1] as number);
        } else {
          const e = at + i * 3;
          quotedName(out, w[e] as number);
          out.text(" val=");
          out.text(enum64Value(w[e + 1] as number, w[e + 2] as number, kflag));
          out.text(kflag ? "LL" : "ULL");
        }
      }
      break;
    }
    case Kind.Fwd:
      out.text(kflag ? " fwd_kind=union" : " fwd_kind=struct");
      break;
    case Kind.Func:
      field(out, " type_id=", st);
      out.text(" linkage=");
      out.text(LINKAGES[n] ?? "(unknown)");
      break;
    case Kind.FuncProto:
      field(out, " ret_type_id=", st);
      field(out, " vlen=", n);
      for (let i = 0; i < n; i++) {
        out.text("\n\t");
        quotedName(out, w[at + i * 2] as number);
        field(out, " type_id=", w[at + i * 2 + 1] as number);
      }
      break;
    case Kind.Var:
      field(out, " type_id=", st);
      out.text(", linkage=");
      out.text(LINKAGES[w[at] as number] ?? "(unknown)");
      break;
    case Kind.Datasec:
      field(out, " size=", st);
      field(out, " vlen=", n);
      for (let i = 0; i < n; i++) {
        const v = at + i * 3;
        const varId = w[v] as number;
        field(out, "\n\ttype_id=", varId);
        field(out, " offset=", w[v + 1] as number);
        field(out, " size=", w[v + 2] as number);
        out.text(" (");
        out.text(kindNames[raw.kind(varId)] ?? "UNKNOWN");
        out.byte(32);
        quotedName(out, raw.nameOff(varId));
        out.byte(41);
      }
      break;
    case Kind.Float:
      field(out, " size=", st);
      break;
    case Kind.DeclTag:
      field(out, " type_id=", st);
      out.text(" component_idx=");
      out.int((w[at] as number) | 0);
      break;
    default:
      break;
  }
  out.byte(10);
}

/** An ENUM64 value in decimal (signed when the enum is). */
function enum64Value(lo: number, hi: number, signed: boolean): string {
  const u = (BigInt(hi) << 32n) | BigInt(lo);
  return String(signed ? BigInt.asIntN(64, u) : u);
}

/** A JSON string of the BTF string at `off` ("(anon)" for 0), escaped like bpftool's json_writer. */
function jsonName(raw: RawView, out: ByteSink, off: number): void {
  if (off === 0) {
    out.text('"(anon)"');
    return;
  }
  const s = raw.strings;
  let plain = true;
  for (let i = off; i < s.length && s[i] !== 0; i++) {
    const c = s[i] as number;
    if (c < 0x20 || c === 0x22 || c === 0x5c) {
      plain = false;
      break;
    }
  }
  if (plain) {
    out.byte(34);
    out.name(off);
    out.byte(34);
  } else {
    out.text(JSON.stringify(raw.text(off)));
  }
}

function jsonField(out: ByteSink, key: string, value: number): void {
  out.text(`,"${key}":`);
  out.int(value);
}

function jsonString(out: ByteSink, key: string, value: string): void {
  out.text(`,"${key}":"${value}"`);
}

function jsonType(raw: RawView, out: ByteSink, id: number): void {
  const w = raw.words;
  const kind = raw.kind(id);
  const n = raw.vlen(id);
  const at = raw.body(id);
  const kflag = raw.kflag(id);
  const st = raw.sizeOrType(id);
  out.text('{"id":');
  out.uint(id);
  jsonString(out, "kind", kindNames[kind] ?? "UNKNOWN");
  out.text(',"name":');
  jsonName(raw, out, raw.nameOff(id));
  switch (kind) {
    case Kind.Int: {
      const enc = w[at] as number;
      jsonField(out, "size", st);
      jsonField(out, "bits_offset", (enc >>> 16) & 0xff);
      jsonField(out, "nr_bits", enc & 0xff);
      jsonString(out, "encoding", INT_ENCODINGS[(enc >>> 24) & 0x0f] ?? "UNKN");
      break;
    }
    case Kind.Ptr: case Kind.Const: case Kind.Volatile: case Kind.Restrict: case Kind.Typedef: case Kind.TypeTag:
      jsonField(out, "type_id", st);
      break;
    case Kind.Array:
      jsonField(out, "type_id", w[at] as number);
      jsonField(out, "index_type_id", w[at + 1] as number);
      jsonField(out, "nr_elems", w[at + 2] as number);
      break;
    case Kind.Struct: case Kind.Union:
      jsonField(out, "size", st);
      jsonField(out, "vlen", n);
      out.text(',"members":[');
      for (let i = 0; i < n; i++) {
        const m = at + i * 3;
        const off = w[m + 2] as number;
        out.text(i === 0 ? '{"name":' : ',{"name":');
        jsonName(raw, out, w[m] as number);
        jsonField(out, "type_id", w[m + 1] as number);
        jsonField(out, "bits_offset", kflag ? off & 0xff_ffff : off);
        if (kflag && off >>> 24 !== 0) jsonField(out, "bitfield_size", off >>> 24);
        out.byte(125);
      }
      out.byte(93);
      break;
    case Kind.Enum: case Kind.Enum64:
      jsonString(out, "encoding", kflag ? "SIGNED" : "UNSIGNED");
      jsonField(out, "size", st);
      jsonField(out, "vlen", n);
      out.text(',"values":[');
      for (let i = 0; i < n; i++) {
        const e = at + i * (kind === Kind.Enum ? 2 : 3);
        out.text(i === 0 ? '{"name":' : ',{"name":');
        jsonName(raw, out, w[e] as number);
        out.text(',"val":');
        if (kind === Kind.Enum64) out.text(enum64Value(w[e + 1] as number, w[e + 2] as number, kflag));
        else if (kflag || (w[e + 1] as number) < 0x8000_0000) out.int((w[e + 1] as number) | 0);
        // bpftool widens the s32 btf_enum.val to u64 here: values ≥ 2^31 come out sign-extended.
        else out.text(String(BigInt.asUintN(64, BigInt((w[e + 1] as number) | 0))));
        out.byte(125);
      }
      out.byte(93);
      break;
    case Kind.Fwd:
      jsonString(out, "fwd_kind", kflag ? "union" : "struct");
      break;
    case Kind.Func:
      jsonField(out, "type_id", st);
      jsonString(out, "linkage", LINKAGES[n] ?? "(unknown)");
      break;
    case Kind.FuncProto:
      jsonField(out, "ret_type_id", st);
      jsonField(out, "vlen", n);
      out.text(',"params":[');
      for (let i = 0; i < n; i++) {
        out.text(i === 0 ? '{"name":' : ',{"name":');
        jsonName(raw, out, w[at + i * 2] as number);
        jsonField(out, "type_id", w[at + i * 2 + 1] as number);
        out.byte(125);
      }
      out.byte(93);
      break;
    case Kind.Var:
      jsonField(out, "type_id", st);
      jsonString(out, "linkage", LINKAGES[w[at] as number] ?? "(unknown)");
      break;
    case Kind.Datasec:
      jsonField(out, "size", st);
      jsonField(out, "vlen", n);
      out.text(',"vars":[');
      for (let i = 0; i < n; i++) {
        const v = at + i * 3;
        out.text(i === 0 ? '{"type_id":' : ',{"type_id":');
        out.uint(w[v] as number);
        jsonField(out, "offset", w[v + 1] as number);
        jsonField(out, "size", w[v + 2] as number);
        out.byte(125);
      }
      out.byte(93);
      break;
    case Kind.Float:
      jsonField(out, "size", st);
      break;
    case Kind.DeclTag:
      jsonField(out, "type_id", st);
      jsonField(out, "component_idx", (w[at] as number) | 0);
      break;
    default:
      break;
  }
  out.byte(125);
}
