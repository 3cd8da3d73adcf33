// Command-line parsing in bpftool's style: global options anywhere before
// `--`, keywords matched by unambiguous-first prefix (`tsbpf m s` = `map
// show`), and byte strings written as `1 0 0 0`, `0x01 0x02` or `hex 01 02`.

import { didYouMean, suggestion } from "./suggest.js";

/** A mistake in how the command was written; printed with a pointer to help. */
export class UsageError extends Error {
  /** The help topic to suggest, e.g. "map" → `tsbpf map help`. */
  readonly topic: string | undefined;
  constructor(message: string, topic?: string) {
    super(message);
    this.name = "UsageError";
    this.topic = topic;
  }
}

/** Options that apply to every command. */
export interface GlobalOptions {
  /** -j/--json: print JSON instead of text. */
  json: boolean;
  /** -p/--pretty: indented JSON (implies --json). */
  pretty: boolean;
  /** -d/--debug: print stack traces and extra diagnostics. */
  debug: boolean;
  /** -h/--help anywhere: show help for the selected object/command. */
  help: boolean;
  /** -V/--version. */
  version: boolean;
  /** -f/--bpffs: `show` lists the bpffs paths each object is pinned at. */
  bpffs: boolean;
  /** -n/--nomount: never mount bpffs when a pin needs it. */
  nomount: boolean;
}

/** The global long options (what the switch below accepts), for did-you-mean. */
const LONG_OPTIONS = ["--json", "--pretty", "--debug", "--help", "--version", "--bpffs", "--nomount"];

/** Command-specific options (e.g. `--summary`, `gen build -o DIR`) pass through to the commands. */
const PASS_THROUGH = new Set(["--summary", "--btf", "--program", "-o"]);

/** Splits argv into global options and the remaining words. */
export function parseGlobalOptions(argv: readonly string[]): { options: GlobalOptions; words: string[] } {
  const options: GlobalOptions = {
    json: false, pretty: false, debug: false, help: false, version: false, bpffs: false, nomount: false,
  };
  const words: string[] = [];
  let rest = false;
  for (const arg of argv) {
    if (rest || !arg.startsWith("-") || arg === "-" || /^-\d/.test(arg)) {
      words.push(arg);
      continue;
    }
    if (arg === "--") { rest = true; continue; }
    if (PASS_THROUGH.has(arg)) { words.push(arg); continue; }
    if (arg.startsWith("--")) {
      switch (arg) {
        case "--json": options.json = true; break;
        case "--pretty": options.pretty = options.json = true; break;
        case "--debug": options.debug = true; break;
        case "--help": options.help = true; break;
        case "--version": options.version = true; break;
        case "--bpffs": options.bpffs = true; break;
        case "--nomount": options.nomount = true; break;
        default: throw new UsageError(`unknown option ${arg}${didYouMean(arg, [...LONG_OPTIONS, ...PASS_THROUGH])}`);
      }
      continue;
    }
    for (const c of arg.slice(1)) {
      switch (c) {
        case "j": options.json = true; break;
        case "p": options.pretty = options.json = true; break;
        case "d": options.debug = true; break;
        case "h": options.help = true; break;
        case "V": options.version = true; break;
        case "f": options.bpffs = true; break;
        case "n": options.nomount = true; break;
        default: throw new UsageError(`unknown option -${c}`);
      }
    }
  }
  return { options, words };
}

/** True when `word` abbreviates `keyword` (bpftool's is_prefix). */
export function isPrefix(word: string, keyword: string): boolean {
  return word.length > 0 && keyword.startsWith(word);
}

/** The first keyword (in the given order) that `word` abbreviates, as bpftool picks commands. */
export function matchKeyword<K extends string>(word: string, keywords: readonly K[]): K | undefined {
  return keywords.find((k) => isPrefix(word, k));
}

/** A cursor over the words of one command. */
export class Args {
  readonly #words: readonly string[];
  #pos = 0;
  /** The help topic for errors raised while parsing this command. */
  readonly topic: string;

  constructor(words: readonly string[], topic: string) {
    this.#words = words;
    this.topic = topic;
  }

  /** Words not consumed yet. */
  get remaining(): number {
    return this.#words.length - this.#pos;
  }

  /** The next word without consuming it. */
  peek(): string | undefined {
    return this.#words[this.#pos];
  }

  /** Consumes and returns the next word, or throws naming what was expected. */
  next(what: string): string {
    const w = this.#words[this.#pos];
    if (w === undefined) throw new UsageError(`missing ${what}`, this.topic);
    this.#pos++;
    return w;
  }

  /** Consumes the next word if it abbreviates `keyword`. */
  accept(keyword: string): boolean {
    const w = this.peek();
    if (w !== undefined && isPrefix(w, keyword)) {
      this.#pos++;
      return true;
    }
    return false;
  }

  /** Consumes the next word if it equals `word` exactly (for options like --summary). */
  acceptExact(word: string): boolean {
    if (this.peek() === word) {
      this.#pos++;
      return true;
    }
    return false;
  }

  /** Consumes `keyword` or throws. */
  expect(keyword: string): void {
    const w = this.next(`keyword '${keyword}'`);
    if (!isPrefix(w, keyword)) throw new UsageError(`expected '${keyword}', got '${w}'${didYouMean(w, [keyword])}`, this.topic);
  }

  /** Consumes a non-negative integer (decimal, 0x hex or 0 octal, as strtoul). */
  uint(what: string): number {
    const w = this.next(what);
    const n = parseCNumber(w);
    if (n === undefined || n < 0 || n > 0xffff_ffff) throw new UsageError(`${what} must be a non-negative integer, got '${w}'`, this.topic);
    return n;
  }

  /** A UsageError for a word that is none of `keywords`, suggesting the closest. */
  unknown(what: string, word: string, keywords: readonly string[]): UsageError {
    return new UsageError(`unknown ${what} '${word}'${suggestion(word, keywords)}`, this.topic);
  }

  /** Throws when words are left over. */
  end(): void {
    const w = this.peek();
    if (w !== undefined) throw new UsageError(`unexpected argument '${w}'`, this.topic);
  }
}

/** Parses an integer the way strtoul(…, 0) does: 0x… hex, 0… octal, else decimal. */
export function parseCNumber(word: string): number | undefined {
  if (/^0[xX][0-9a-fA-F]+$/.test(word)) return parseInt(word.slice(2), 16);
  if (/^0[0-7]+$/.test(word)) return parseInt(word.slice(1), 8);
  if (/^\d+$/.test(word)) return Number(word);
  return undefined;
}

/**
 * Reads exactly `size` bytes as bpftool does: each word is one byte in C
 * notation (`1`, `0x2a`, `052`); after `hex`, words are hex bytes (`2a`), and
 * longer hex words (`2a000000`) are split into bytes.
 */
export function parseBytes(args: Args, size: number, what: string): Uint8Array {
  const out = new Uint8Array(size);
  let hex = false;
  if (args.peek() === "hex") {
    args.next("hex");
    hex = true;
  }
  let n = 0;
  while (n < size) {
    const w = args.peek();
    if (w === undefined) throw new UsageError(`${what} is ${size} bytes, but only ${n} were given`, args.topic);
    if (hex) {
      if (!/^(0[xX])?([0-9a-fA-F]{2})+$/.test(w) && !/^(0[xX])?[0-9a-fA-F]$/.test(w)) {
        throw new UsageError(`'${w}' is not a hex byte in ${what}`, args.topic);
      }
      args.next(what);
      const digits = w.replace(/^0[xX]/, "");
      const padded = digits.length === 1 ? `0${digits}` : digits;
      for (let i = 0; i < padded.length; i += 2) {
        if (n >= size) throw new UsageError(`${what} is ${size} bytes, but more were given`, args.topic);
        out[n++] = parseInt(padded.slice(i, i + 2), 16);
      }
    } else {
      const v = parseCNumber(w);
      if (v === undefined) throw new UsageError(`${what} is ${size} bytes, but only ${n} were given (then '${w}')`, args.topic);
      if (v > 0xff) throw new UsageError(`'${w}' does not fit in a byte in ${what}`, args.topic);
      args.next(what);
      out[n++] = v;
    }
  }
  return out;
}
