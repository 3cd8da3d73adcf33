// Printing for the CLI: JSON (compact like bpftool's -j, or indented with
// -p) and plain text, plus bpftool's hex byte formats.
import type { GlobalOptions } from "./args.js";
import { bpftoolJson } from "./json-writer.js";

/** Flush once this much text is buffered. */
const FLUSH_AT = 1 << 20;

/**
 * Where and how a command prints its results. Text is buffered and written
 * in large chunks (a 10k-entry dump would otherwise cost 10k writes);
 * call flush() before exiting.
 */
export class Output {
  /** Print JSON (-j, or -p which implies it). */
  readonly json: boolean;
  /** Indent the JSON (-p). */
  readonly pretty: boolean;
  readonly #write: (s: string) => void;
  #chunks: string[] = [];
  #buffered = 0;

  constructor(options: Pick<GlobalOptions, "json" | "pretty">, write: (s: string) => void = (s) => void process.stdout.write(s)) {
    this.json = options.json || options.pretty;
    this.pretty = options.pretty;
    this.#write = (s) => {
      this.#chunks.push(s);
      this.#buffered += s.length;
      if (this.#buffered >= FLUSH_AT) this.flush();
    };
    this.#sink = write;
  }

  readonly #sink: (s: string) => void;

  /** Writes out everything buffered so far. */
  flush(): void {
    if (this.#chunks.length === 0) return;
    const text = this.#chunks.join("");
    this.#chunks = [];
    this.#buffered = 0;
    this.#sink(text);
  }

  /** Prints a line of plain text. */
  line(text = ""): void {
    this.#write(`${text}\n`);
  }

  /** Prints raw text (no newline added). */
  text(text: string): void {
    this.#write(text);
  }

  /** Prints one JSON document followed by a newline, laid out as bpftool does. */
  jsonValue(value: unknown): void {
    this.#write(`${bpftoolJson(value, this.pretty)}\n`);
  }
}

/**
 * -d: the library's debug lines (Collection.load's `debug` option) on
 * stderr, prefixed as libbpf's are; undefined without -d.
 */
export function debugLog(options: Pick<GlobalOptions, "debug">): ((message: string) => void) | undefined {
  return options.debug ? (message) => void process.stderr.write(`tsbpf: ${message}\n`) : undefined;
}

/** Two lower-case hex digits. */
export function hex2(b: number): string {
  return b.toString(16).padStart(2, "0");
}

/**
 * bpftool's fprint_hex: bytes separated by `sep`, two spaces between groups
 * of 8, and a newline after every 16.
 */
export function formatHex(bytes: Uint8Array, sep = " "): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) {
    if (i > 0) s += i % 16 === 0 ? "\n" : i % 8 === 0 ? "  " : sep;
    s += hex2(bytes[i] ?? 0);
  }
  return s;
}

/** bytes as bpftool's JSON arrays: ["0x01","0x00",…]. */
export function jsonHex(bytes: Uint8Array): string[] {
  return Array.from(bytes, (b) => `0x${hex2(b)}`);
}

/** glibc's strerror() text for the errnos bpf(2) returns, as bpftool prints them. */
const STRERROR: Readonly<Record<number, string>> = {
  1: "Operation not permitted", 2: "No such file or directory", 3: "No such process", 4: "Interrupted system call",
  7: "Argument list too long", 9: "Bad file descriptor", 11: "Resource temporarily unavailable",
  12: "Cannot allocate memory", 13: "Permission denied", 14: "Bad address", 16: "Device or resource busy",
  17: "File exists", 19: "No such device", 22: "Invalid argument", 24: "Too many open files",
  28: "No space left on device", 34: "Numerical result out of range", 38: "Function not implemented",
  95: "Operation not supported",
};

/** strerror(errno) as glibc words it ("Unknown error 524" for kernel-internal codes). */
export function strerror(errno: number): string {
  return STRERROR[errno] ?? `Unknown error ${errno}`;
}

/**
 * bpftool's hex_print (prog run output to stdout): rows of 16 bytes with a
 * 7-digit offset, bytes paired, and the printable characters on the right.
 */
export function hexDump(bytes: Uint8Array): string {
  const rows: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    let row = `${i.toString(16).padStart(7, "0")}\t`;
    let j = i;
    for (; j < i + 16 && j < bytes.length; j++) row += `${hex2(bytes[j]!)}${j % 2 ? " " : ""}`;
    for (; j < i + 16; j++) row += `  ${j % 2 ? " " : ""}`;
    row += "| ";
    for (j = i; j < i + 16 && j < bytes.length; j++) {
      const c = bytes[j]!;
      row += `${c < 0x20 || c > 0x7e ? "." : String.fromCharCode(c)}${j === i + 7 ? " " : ""}`;
    }
    rows.push(row);
  }
  return rows.join("\n");
}
