// The two output forms of the raw dumper. dump-raw.ts walks a type's words
// once and tells a RawWriter what it found; the writer decides how it looks:
// bpftool's plain text (one line per type, one indented line per entry) or
// its `-j` JSON. Labels are prebuilt strings, so a field is one write.
import type { ByteSink } from "./dump-c/byte-sink.js";
import type { RawView } from "./dump-c/raw-view.js";
import { kindNames } from "./kinds.js";

/** A field's label in both forms: ` key=` and `,"key":`. */
export interface RawLabel {
  readonly text: string;
  readonly json: string;
}

/** The label of field `key` as both forms usually write it. */
export function rawLabel(key: string): RawLabel {
  return { text: ` ${key}=`, json: `,"${key}":` };
}

/** Receives one type at a time, in the order bpftool prints its parts. */
export interface RawWriter {
  /** Starts type `id` with its kind and name. */
  open(id: number, kind: number, nameOff: number): void;
  num(label: RawLabel, value: number): void;
  str(label: RawLabel, value: string): void;
  /** Starts the entries (members, values, params, vars) listed under `label`. */
  list(label: RawLabel): void;
  /** Starts entry `i` with its name (ending entry `i - 1`: no call per entry just to close it). */
  entryName(i: number, nameOff: number): void;
  /** Starts entry `i` (of a DATASEC) with its variable's type id, like {@link entryName}. */
  entryTypeId(i: number, typeId: number): void;
  /** The value of an ENUM enumerator (the raw u32 word). */
  enumValue(word: number, signed: boolean): void;
  /** The value of an ENUM64 enumerator. */
  enum64Value(lo: number, hi: number, signed: boolean): void;
  /** Ends a DATASEC entry whose variable is `varId`. */
  endVar(varId: number): void;
  /** Ends the list of `n` entries (and its last entry). */
  endList(n: number): void;
  close(): void;
}

/** An ENUM64 value in decimal (signed when the enum is). */
function enum64Decimal(lo: number, hi: number, signed: boolean): string {
  const u = (BigInt(hi) << 32n) | BigInt(lo);
  return String(signed ? BigInt.asIntN(64, u) : u);
}

/** bpftool's plain text: `[id] KIND 'name' key=value …`, entries on `\n\t` lines. */
export class RawTextWriter implements RawWriter {
  readonly #raw: RawView;
  readonly #out: ByteSink;

  constructor(raw: RawView, out: ByteSink) {
    this.#raw = raw;
    this.#out = out;
  }

  /** `'name'`, or `'(anon)'` for offset 0. */
  #quotedName(off: number): void {
    const out = this.#out;
    out.byte(39);
    if (off === 0) out.text("(anon)");
    else out.name(off);
    out.byte(39);
  }

  open(id: number, kind: number, nameOff: number): void {
    const out = this.#out;
    out.byte(91);
    out.uint(id);
    out.text("] ");
    out.text(kindNames[kind] ?? "UNKNOWN");
    out.byte(32);
    this.#quotedName(nameOff);
  }

  num(label: RawLabel, value: number): void {
    this.#out.text(label.text);
    // Only DECL_TAG's component_idx can be negative: skip int's extra call on the hot path.
    if (value < 0) this.#out.int(value);
    else this.#out.uint(value);
  }

  str(label: RawLabel, value: string): void {
    this.#out.text(label.text);
    this.#out.text(value);
  }

  list(_label: RawLabel): void {}

  entryName(_i: number, nameOff: number): void {
    this.#out.text("\n\t");
    this.#quotedName(nameOff);
  }

  entryTypeId(_i: number, typeId: number): void {
    this.#out.text("\n\ttype_id=");
    this.#out.uint(typeId);
  }

  enumValue(word: number, signed: boolean): void {
    this.#out.text(" val=");
    if (signed) this.#out.int(word | 0);
    else this.#out.uint(word);
  }

  enum64Value(lo: number, hi: number, signed: boolean): void {
    this.#out.text(" val=");
    this.#out.text(enum64Decimal(lo, hi, signed));
    this.#out.text(signed ? "LL" : "ULL");
  }

  /** The text names the variable after its placement: ` (VAR 'name')`. */
  endVar(varId: number): void {
    const out = this.#out;
    out.text(" (");
    out.text(kindNames[this.#raw.kind(varId)] ?? "UNKNOWN");
    out.byte(32);
    this.#quotedName(this.#raw.nameOff(varId));
    out.byte(41);
  }

  endList(_n: number): void {}

  close(): void {
    this.#out.byte(10);
  }
}

/** bpftool's `-j` form: one object per type, entries in an array. */
export class RawJsonWriter implements RawWriter {
  readonly #raw: RawView;
  readonly #out: ByteSink;

  constructor(raw: RawView, out: ByteSink) {
    this.#raw = raw;
    this.#out = out;
  }

  /** A JSON string of the BTF string at `off` ("(anon)" for 0), escaped like bpftool's json_writer. */
  #name(off: number): void {
    const out = this.#out;
    if (off === 0) {
      out.text('"(anon)"');
      return;
    }
    const s = this.#raw.strings;
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
      out.text(JSON.stringify(this.#raw.text(off)));
    }
  }

  open(id: number, kind: number, nameOff: number): void {
    const out = this.#out;
    out.text('{"id":');
    out.uint(id);
    out.text(',"kind":"');
    out.text(kindNames[kind] ?? "UNKNOWN");
    out.text('","name":');
    this.#name(nameOff);
  }

  num(label: RawLabel, value: number): void {
    this.#out.text(label.json);
    this.#out.int(value);
  }

  str(label: RawLabel, value: string): void {
    const out = this.#out;
    out.text(label.json);
    out.byte(34);
    out.text(value);
    out.byte(34);
  }

  list(label: RawLabel): void {
    this.#out.text(label.json);
    this.#out.byte(91);
  }

  entryName(i: number, nameOff: number): void {
    this.#out.text(i === 0 ? '{"name":' : '},{"name":');
    this.#name(nameOff);
  }

  entryTypeId(i: number, typeId: number): void {
    this.#out.text(i === 0 ? '{"type_id":' : '},{"type_id":');
    this.#out.uint(typeId);
  }

  enumValue(word: number, signed: boolean): void {
    this.#out.text(',"val":');
    if (signed || word < 0x8000_0000) this.#out.int(word | 0);
    // bpftool widens the s32 btf_enum.val to u64 here: values ≥ 2^31 come out sign-extended.
    else this.#out.text(String(BigInt.asUintN(64, BigInt(word | 0))));
  }

  enum64Value(lo: number, hi: number, signed: boolean): void {
    this.#out.text(',"val":');
    this.#out.text(enum64Decimal(lo, hi, signed));
  }

  endVar(_varId: number): void {}

  endList(n: number): void {
    this.#out.text(n === 0 ? "]" : "}]");
  }

  close(): void {
    this.#out.byte(125);
  }
}
