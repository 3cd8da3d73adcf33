// What every compiled reader and writer shares: the memory it works on (a
// DataView, plus a byte view made only when text or bytes need one) and the
// internal error a writer throws when a value does not fit. That error
// carries no stack and only collects the member path on its way out
// (".comm", "[3]"); BtfCodec turns it into the public InvalidArgumentError.
import { Buffer } from "node:buffer";

/** The memory one decode or encode call works on. */
export class Ctx {
  /** The bytes, addressed from the view's start (offsets already include the caller's offset). */
  readonly v: DataView;
  /** End of the readable bytes (bounds a flexible array member). */
  readonly end: number;
  #bytes: Buffer | undefined;

  /** `bytes`: a Buffer over exactly `v`'s bytes, when the caller has one already. */
  constructor(v: DataView, end: number, bytes?: Buffer) {
    this.v = v;
    this.end = end;
    this.#bytes = bytes;
  }

  /** The same memory as a Buffer (a view, made on first use: only text and byte arrays need it). */
  get b(): Buffer {
    return (this.#bytes ??= Buffer.from(this.v.buffer, this.v.byteOffset, this.v.byteLength));
  }

  /** The Buffer view if one was made (BtfCodec keeps it for the next decode of the same source). */
  get madeBytes(): Buffer | undefined {
    return this.#bytes;
  }
}

/** Reads the value at byte `at`. */
export type Decoder = (c: Ctx, at: number) => unknown;
/** Writes `x` at byte `at` into zeroed memory; throws FitError when it does not fit. */
export type Encoder = (c: Ctx, at: number, x: unknown) => void;

/** A value that does not fit its type; `path` is filled in (innermost last) as it propagates. */
export class FitError {
  readonly what: string;
  readonly #segments: string[] = [];

  constructor(what: string) {
    this.what = what;
  }

  /** Prepends a path segment (".name" or "[i]") as the error leaves a member or element. */
  within(segment: string): this {
    this.#segments.push(segment);
    return this;
  }

  /** The member path, outermost first: ".inner.comm", "[2].pid". */
  get path(): string {
    return this.#segments.slice().reverse().join("");
  }
}

/** Rethrows `e` with `segment` prepended to its path when it is a FitError, else as is. */
export function rethrowWithin(e: unknown, segment: string): never {
  throw e instanceof FitError ? e.within(segment) : e;
}

/** The compiled reader and writer of one shape. */
export interface Plan {
  /** Bytes the value occupies (a flexible array member's elements excluded). */
  readonly size: number;
  readonly decode: Decoder;
  readonly encode: Encoder;
  /**
   * A JavaScript expression that decodes the value at byte `at + off`, with `c` (the Ctx), `v` (its
   * DataView) and `at` in scope: generated struct readers inline it instead of calling `decode`.
   */
  readonly inline?: (off: number, env: CodeEnv) => string;
}

/** What generated code can refer to besides `c`, `v` and `at`: functions passed in as parameters. */
export interface CodeEnv {
  /** The name of a parameter bound to `value`. */
  ref(value: unknown): string;
}

/** `at + off` as JavaScript source. */
export const atPlus = (off: number): string => (off === 0 ? "at" : `at + ${off}`);
