// Output for the dumpers as bytes: names are copied straight from the BTF
// string section and numbers are written digit by digit, so producing a
// multi-megabyte header creates almost no JavaScript strings. The buffer
// is handed over in large chunks.

// Small on purpose: the first growths happen while V8 still collects type
// feedback, so the optimised writers do not deoptimise when growth comes later.
const INITIAL = 1 << 12;

/** A growing byte buffer with ASCII/number/BTF-string writers. */
export class ByteSink {
  #buf: Uint8Array = new Uint8Array(INITIAL);
  #pos = 0;
  /** Writes past this position go through #makeRoom. */
  #limit = INITIAL;
  readonly #strings: Uint8Array;
  readonly #onChunk: ((chunk: Uint8Array) => void) | undefined;
  readonly #chunkSize: number;

  /**
   * `strings` is the BTF string section names are copied from. With
   * `onChunk`, every ~`chunkSize` bytes are handed over (and the buffer reused).
   */
  constructor(strings: Uint8Array, onChunk?: (chunk: Uint8Array) => void, chunkSize = 1 << 20) {
    this.#strings = strings;
    this.#onChunk = onChunk;
    this.#chunkSize = chunkSize;
    // Numbers past 2^31 (enum values, sizes) are rare and come late; writing
    // one now lets V8 see them before it optimises uint (a deopt costs more).
    this.uint(0x1_0000_0000);
    this.#pos = 0;
  }

  /** The buffer, with room for `n` more bytes. The slow path is one warm call site (see INITIAL). */
  #room(n: number): Uint8Array {
    if (this.#pos + n > this.#limit) this.#makeRoom(n);
    return this.#buf;
  }

  #makeRoom(n: number): void {
    if (this.#onChunk && this.#pos >= this.#chunkSize) this.#handOver();
    if (this.#pos + n > this.#buf.length) {
      const bigger = new Uint8Array(Math.max(this.#buf.length * 2, this.#pos + n));
      bigger.set(this.#buf.subarray(0, this.#pos));
      this.#buf = bigger;
    }
    // Streaming hands chunks over once they reach chunkSize; buffered mode only grows.
    this.#limit = this.#onChunk ? Math.min(this.#buf.length, this.#chunkSize) : this.#buf.length;
  }

  #handOver(): void {
    // The receiver gets a copy: the buffer is reused for what follows.
    this.#onChunk?.(this.#buf.slice(0, this.#pos));
    this.#handedOver += this.#pos;
    this.#pos = 0;
  }

  #handedOver = 0;

  /** The current output position (for {@link copySince}). */
  mark(): number {
    return this.#handedOver + this.#pos;
  }

  /**
   * Copies what was written since `mark` into `dest` at `at` (which must have
   * room); returns the byte count, or -1 when part of it was already handed over.
   */
  copySince(mark: number, dest: Uint8Array, at: number): number {
    const from = mark - this.#handedOver;
    if (from < 0) return -1;
    const n = this.#pos - from;
    const buf = this.#buf;
    for (let i = 0; i < n; i++) dest[at + i] = buf[from + i] as number;
    return n;
  }

  /**
   * `\n`, `tabs` tabs, `len` bytes of `src` from `start`, an optional
   * separator byte (0: none) and the BTF string at `nameOff`: one member line
   * of a struct in one call (the dumper's hottest path).
   */
  declLine(tabs: number, src: Uint8Array, start: number, len: number, sep: number, nameOff: number): void {
    const s = this.#strings;
    let end = nameOff;
    while (end < s.length && s[end] !== 0) end++;
    const buf = this.#room(2 + tabs + len + (end - nameOff));
    let p = this.#pos;
    buf[p++] = 10;
    for (let i = 0; i < tabs; i++) buf[p++] = 9;
    for (let i = start, e = start + len; i < e; i++) buf[p++] = src[i] as number;
    if (sep !== 0) buf[p++] = sep;
    for (let i = nameOff; i < end; i++) buf[p++] = s[i] as number;
    this.#pos = p;
  }

  /** Writes `len` bytes of `src` starting at `start`. */
  bytesFrom(src: Uint8Array, start: number, len: number): void {
    const buf = this.#room(len);
    let p = this.#pos;
    // Declarator prefixes are short: a loop beats TypedArray.set's call overhead.
    for (let i = start, end = start + len; i < end; i++) buf[p++] = src[i] as number;
    this.#pos = p;
  }

  /** Writes text; ASCII goes byte by byte, anything else through UTF-8 encoding. */
  text(s: string): void {
    const n = s.length;
    const buf = this.#room(n);
    let p = this.#pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) {
        this.#pos = p;
        this.#utf8(s.slice(i));
        return;
      }
      buf[p++] = c;
    }
    this.#pos = p;
  }

  #utf8(s: string): void {
    const bytes = encoder.encode(s);
    const buf = this.#room(bytes.length);
    buf.set(bytes, this.#pos);
    this.#pos += bytes.length;
  }

  /** Writes one byte (an ASCII character code). */
  byte(c: number): void {
    const buf = this.#room(1);
    buf[this.#pos++] = c;
  }

  /** Copies the NUL-terminated BTF string at `off`. */
  name(off: number): void {
    const s = this.#strings;
    let end = off;
    while (end < s.length && s[end] !== 0) end++;
    const n = end - off;
    const buf = this.#room(n);
    let p = this.#pos;
    for (let i = off; i < end; i++) buf[p++] = s[i] as number;
    this.#pos = p;
  }

  /** Writes a non-negative integer (up to 2^53) in decimal. */
  uint(v: number): void {
    if (v < 10) {
      this.byte(48 + v);
      return;
    }
    const buf = this.#room(16);
    let digits = 1;
    for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
    let p = this.#pos + digits;
    this.#pos = p;
    for (let x = v; ; ) {
      buf[--p] = 48 + (x % 10);
      x = Math.floor(x / 10);
      if (x === 0) break;
    }
  }

  /** Writes an integer in decimal, with a leading '-' when negative. */
  int(v: number): void {
    if (v < 0) {
      this.byte(45);
      this.uint(-v);
    } else {
      this.uint(v);
    }
  }

  /** Writes `n` tab characters. */
  tabs(n: number): void {
    const buf = this.#room(n);
    for (let i = 0; i < n; i++) buf[this.#pos++] = 9;
  }

  /** Hands over what is left (streaming mode), or returns all bytes written (buffered mode). */
  finish(): Uint8Array {
    if (this.#onChunk) {
      if (this.#pos > 0) this.#handOver();
      return new Uint8Array(0);
    }
    return this.#buf.subarray(0, this.#pos);
  }
}

const encoder = new TextEncoder();
