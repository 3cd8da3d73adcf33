// CLI output plumbing on top of the shared bpftool-layout writer
// (src/btf/json-writer.ts): plain JS values (objects in key order, arrays,
// scalars) and values that write themselves (BTF-formatted data) become one
// bpftool-identical JSON document.
import { JsonWriter } from "../btf/json-writer.js";

export { JsonWriter } from "../btf/json-writer.js";

/** A value that writes itself (e.g. BTF-formatted data) when it is reached in a document. */
export class JsonEmitter {
  readonly emit: (w: JsonWriter) => void;
  constructor(emit: (w: JsonWriter) => void) {
    this.emit = emit;
  }
}

/** Writes a plain JS value into `w` (objects keep their key order, undefined members are left out). */
export function writeJsonValue(w: JsonWriter, v: unknown): void {
  if (v instanceof JsonEmitter) v.emit(w);
  else if (v === null || v === undefined) w.raw("null");
  else if (typeof v === "string") w.string(v);
  else if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") w.raw(String(v));
  else if (Array.isArray(v)) {
    w.startArray();
    for (const item of v) writeJsonValue(w, item);
    w.endArray();
  } else {
    w.startObject();
    for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
      if (item === undefined) continue;
      w.name(k);
      writeJsonValue(w, item);
    }
    w.endObject();
  }
}

/** One JSON document in bpftool's layout (compact, or pretty with -p). */
export function bpftoolJson(value: unknown, pretty: boolean): string {
  const w = new JsonWriter(pretty);
  writeJsonValue(w, value);
  return w.text;
}
