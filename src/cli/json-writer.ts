// A JSON writer that lays text out exactly as bpftool's json_writer does
// (tools/bpf/bpftool/json_writer.c semantics: a separator state, and in
// pretty mode a newline plus four spaces per level before every member name
// and before each closing bracket of a non-empty container). `-p` output
// and BTF-formatted map dumps then match bpftool byte for byte.

/** A value that writes itself (e.g. BTF-formatted data) when it is reached in a document. */
export class JsonEmitter {
  readonly emit: (w: JsonWriter) => void;
  constructor(emit: (w: JsonWriter) => void) {
    this.emit = emit;
  }
}

/** Streaming writer; call the methods in document order, then read `text`. */
export class JsonWriter {
  readonly #pretty: boolean;
  readonly #out: string[] = [];
  #depth = 0;
  #sep = "";

  constructor(pretty: boolean) {
    this.#pretty = pretty;
  }

  /** Everything written so far. */
  get text(): string {
    return this.#out.join("");
  }

  /** Returns what was written since the last take() and forgets it (the writer's state is kept). */
  take(): string {
    const s = this.#out.join("");
    this.#out.length = 0;
    return s;
  }

  #eol(): void {
    if (this.#pretty) this.#out.push(`\n${"    ".repeat(this.#depth)}`);
  }

  // Before a value: a comma if something precedes it at this level.
  #eor(): void {
    if (this.#sep) this.#out.push(this.#sep);
    this.#sep = ",";
  }

  #begin(c: string): void {
    this.#eor();
    this.#out.push(c);
    this.#depth++;
    this.#sep = "";
  }

  #end(c: string): void {
    this.#depth--;
    if (this.#sep) this.#eol();
    this.#out.push(c);
    this.#sep = ",";
  }

  startObject(): void {
    this.#begin("{");
  }

  endObject(): void {
    this.#end("}");
  }

  startArray(): void {
    this.#begin("[");
  }

  endArray(): void {
    this.#end("]");
  }

  /** A member name inside an object. */
  name(name: string): void {
    this.#eor();
    this.#eol();
    this.#sep = "";
    this.#out.push(`${JSON.stringify(name)}:${this.#pretty ? " " : ""}`);
  }

  /** A value already formatted as JSON text (bpftool's jsonw_printf). */
  raw(text: string): void {
    this.#eor();
    this.#out.push(text);
  }

  /** A string value. */
  string(s: string): void {
    this.raw(JSON.stringify(s));
  }

  /** Writes a plain JS value (objects keep their key order). */
  value(v: unknown): void {
    if (v instanceof JsonEmitter) v.emit(this);
    else if (v === null || v === undefined) this.raw("null");
    else if (typeof v === "string") this.string(v);
    else if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") this.raw(String(v));
    else if (Array.isArray(v)) {
      this.startArray();
      for (const item of v) this.value(item);
      this.endArray();
    } else {
      this.startObject();
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
        if (item === undefined) continue;
        this.name(k);
        this.value(item);
      }
      this.endObject();
    }
  }
}

/** One JSON document in bpftool's layout (compact, or pretty with -p). */
export function bpftoolJson(value: unknown, pretty: boolean): string {
  const w = new JsonWriter(pretty);
  w.value(value);
  return w.text;
}
