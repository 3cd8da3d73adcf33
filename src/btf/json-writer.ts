// bpftool's JSON layout (tools/bpf/bpftool/json_writer.c): a separator
// state, and in pretty mode a newline plus four spaces per level before
// every member name and before the closing bracket of a non-empty
// container. String escaping is json_writer's too: only \t \n \r \f \b \\ \"
// are escaped, every other character passes through. BTF value formatting
// and the CLI's -j/-p output both write through this one writer, so they
// match bpftool byte for byte.

/** JSON string escaping as bpftool's json_writer does it (only these escapes; other characters pass through). */
export function jsonwString(s: string): string {
  // Fast path: most names need no escaping at all.
  if (!/[\t\n\r\f\b\\"]/.test(s)) return `"${s}"`;
  let out = '"';
  for (const ch of s) {
    switch (ch) {
      case "\t": out += "\\t"; break;
      case "\n": out += "\\n"; break;
      case "\r": out += "\\r"; break;
      case "\f": out += "\\f"; break;
      case "\b": out += "\\b"; break;
      case "\\": out += "\\\\"; break;
      case '"': out += '\\"'; break;
      default: out += ch;
    }
  }
  return `${out}"`;
}

/** Streaming JSON writer in bpftool's layout; call the methods in document order, then read `text`. */
export class JsonWriter {
  readonly #pretty: boolean;
  readonly #out: string[] = [];
  #depth = 0;
  #sep = "";

  /** `pretty` is bpftool's `-p`: indented, `"key": value`. */
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

  /** Opens an object (`{`). */
  startObject(): void {
    this.#begin("{");
  }

  /** Closes the innermost object. */
  endObject(): void {
    this.#end("}");
  }

  /** Opens an array (`[`). */
  startArray(): void {
    this.#begin("[");
  }

  /** Closes the innermost array. */
  endArray(): void {
    this.#end("]");
  }

  /** A member name inside an object. */
  name(name: string): void {
    this.rawName(jsonwString(name));
  }

  /** A member name already quoted and escaped as JSON text. */
  rawName(quoted: string): void {
    this.#eor();
    this.#eol();
    this.#sep = "";
    this.#out.push(this.#pretty ? `${quoted}: ` : `${quoted}:`);
  }

  /** A value already formatted as JSON text (bpftool's jsonw_printf). */
  raw(text: string): void {
    this.#eor();
    this.#out.push(text);
  }

  /** A string value. */
  string(s: string): void {
    this.raw(jsonwString(s));
  }
}

/**
 * Re-indents compact JSON text the way bpftool's json_writer prints with
 * `-p` (the layout of a pretty {@link JsonWriter}): four spaces per level,
 * `"key": value`, objects opened on the line of their key or array (`[{`),
 * scalars in arrays kept on one line (`[1,2]`). Keys may repeat (bpftool's
 * anonymous members), so the text is re-laid token by token, never parsed.
 */
export function jsonwPretty(compact: string): string {
  const w = new JsonWriter(true);
  const chunks: string[] = [];
  const n = compact.length;
  let tokens = 0;
  for (let i = 0; i < n; ) {
    const c = compact.charCodeAt(i);
    if (c === 0x7b /* { */) {
      w.startObject();
      i++;
    } else if (c === 0x5b /* [ */) {
      w.startArray();
      i++;
    } else if (c === 0x7d /* } */) {
      w.endObject();
      i++;
    } else if (c === 0x5d /* ] */) {
      w.endArray();
      i++;
    } else if (c === 0x2c /* , */ || c === 0x0a || c === 0x20) {
      i++;
    } else if (c === 0x22 /* " */) {
      let j = i + 1;
      while (j < n && compact.charCodeAt(j) !== 0x22) j += compact.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
      const token = compact.slice(i, j + 1);
      i = j + 1;
      if (compact.charCodeAt(i) === 0x3a /* : */) {
        w.rawName(token);
        i++;
      } else {
        w.raw(token);
      }
    } else {
      let j = i;
      for (; j < n; j++) {
        const d = compact.charCodeAt(j);
        if (d === 0x2c || d === 0x7d || d === 0x5d || d === 0x0a) break;
      }
      w.raw(compact.slice(i, j));
      i = j;
    }
    // Join in slices so a huge document does not become one giant array of tiny strings.
    if (++tokens === 65536) {
      chunks.push(w.take());
      tokens = 0;
    }
  }
  chunks.push(w.take(), "\n");
  return chunks.join("");
}
