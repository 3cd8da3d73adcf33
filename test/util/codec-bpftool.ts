// What bpftool's `formatted` JSON would be for a value the codec decoded:
// walks the BTF beside the JavaScript value and writes bpftool's conventions
// (bitfields and 128-bit integers as "0x…" strings, enums by name, pointers in
// decimal, char arrays as strings only when printable up to a NUL, anonymous
// members under the key ""), so a codec value can be compared with bpftool
// byte for byte. Strings and Uint8Arrays go back to their bytes first, then
// bpftool's own char-array rule decides how they print.
import { Buffer } from "node:buffer";
import type { Btf } from "../../src/btf/btf.js";
import { JsonWriter, jsonwString } from "../../src/btf/json-writer.js";

/** bpftool's compact JSON text for `value` (as decoded by BtfCodec) of type `id`. */
export function bpftoolFormatted(btf: Btf, id: number, value: unknown): string {
  const w = new JsonWriter(false);
  write(w, btf, id, value);
  return w.text;
}

const hex = (n: bigint): string => `"0x${n.toString(16)}"`;

function write(w: JsonWriter, btf: Btf, id: number, x: unknown): void {
  const t = btf.typeById(id);
  switch (t.kind) {
    case "TYPEDEF": case "CONST": case "VOLATILE": case "RESTRICT": case "TYPE_TAG":
      return write(w, btf, t.type, x);
    case "INT":
      if (t.bool) return w.raw(x ? "true" : "false");
      if (t.bits === 128) return w.raw(hex(BigInt.asUintN(128, BigInt(x as bigint))));
      return w.raw(String(x));
    case "ENUM": case "ENUM64": {
      const v = BigInt(x as number | bigint);
      const e = t.values.find((ev) => BigInt(ev.value) === v);
      if (e) return w.string(e.name);
      // bpftool prints a value without an enumerator as a signed integer of the enum's size, whatever the enum's signedness.
      return w.raw(String(BigInt.asIntN(t.size * 8, v)));
    }
    case "PTR":
      return w.raw(String(x));
    case "ARRAY": {
      if (typeof x === "string" || x instanceof Uint8Array) return writeBytes(w, btf, t.type, t.nelems, x);
      w.startArray();
      for (const e of x as unknown[]) write(w, btf, t.type, e);
      return w.endArray();
    }
    case "STRUCT": case "UNION": {
      w.startObject();
      writeMembers(w, btf, t, x as Record<string, unknown>);
      return w.endObject();
    }
    default:
      throw new Error(`bpftoolFormatted: ${t.kind} is not handled`);
  }
}

function writeMembers(w: JsonWriter, btf: Btf, t: Extract<ReturnType<Btf["typeById"]>, { kind: "STRUCT" | "UNION" }>, o: Record<string, unknown>): void {
  for (const m of t.members) {
    const r = btf.resolve(m.type);
    if (m.name === "" && (r.kind === "STRUCT" || r.kind === "UNION")) {
      // The codec flattened this anonymous member's keys into `o`; bpftool nests them under "".
      w.name("");
      w.startObject();
      writeMembers(w, btf, r, o);
      w.endObject();
      continue;
    }
    w.name(m.name);
    const x = o[m.name];
    if (t.kindFlag && m.bitfieldSize !== 0) w.raw(hex(BigInt.asUintN(m.bitfieldSize, BigInt(typeof x === "boolean" ? Number(x) : (x as number | bigint)))));
    else write(w, btf, m.type, x);
  }
}

/** A 1-byte element array, from its bytes, printed by bpftool's is_str_array rule. */
function writeBytes(w: JsonWriter, btf: Btf, elemId: number, n: number, x: string | Uint8Array): void {
  const bytes = new Uint8Array(n);
  bytes.set(typeof x === "string" ? Buffer.from(x, "utf8") : x);
  let e = btf.typeById(elemId);
  while (e.kind === "CONST" || e.kind === "VOLATILE" || e.kind === "RESTRICT" || e.kind === "TYPE_TAG") e = btf.typeById(e.type);
  const charNamed = e.kind === "INT" && e.size === 1 && (e.char || e.name === "char");
  const nul = bytes.indexOf(0);
  if (charNamed && nul >= 0 && bytes.subarray(0, nul).every((c) => c > 0x1f && c < 0x7f)) {
    return w.raw(jsonwString(Buffer.from(bytes.subarray(0, nul)).toString("latin1")));
  }
  const signed = btf.resolve(elemId).kind === "INT" && (btf.resolve(elemId) as { signed: boolean }).signed;
  w.startArray();
  for (const c of bytes) w.raw(String(signed ? (c << 24) >> 24 : c));
  w.endArray();
}

/** The JSON text of `formatted.value` in bpftool's `-j map lookup` output (balanced-brace scan: bpftool may repeat keys). */
export function formattedValueText(output: string): string {
  const marker = `"formatted":{"key":0,"value":`;
  const start = output.indexOf(marker);
  if (start < 0) throw new Error(`no formatted value in bpftool output: ${output}`);
  let i = start + marker.length;
  const from = i;
  let depth = 0;
  let inString = false;
  for (; i < output.length; i++) {
    const ch = output[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "{" || ch === "[") depth++;
    else if (ch === "}" || ch === "]") {
      if (depth === 0) break;
      depth--;
    } else if (ch === "," && depth === 0) break;
  }
  return output.slice(from, i);
}
