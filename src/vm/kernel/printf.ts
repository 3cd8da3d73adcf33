// The kernel's printf for BPF programs (bpf_trace_printk, bpf_trace_vprintk,
// bpf_snprintf): bpf_bprintf_prepare's check of the format — printable ASCII
// only, at most as many conversions as arguments, flags "0+- ", a width, no
// precision, and only %d %i %u %x %X (with l/ll), %c, %s, %pks/%pus, %p,
// %pK/%px/%ps/%pS/%pB and %pI4/%pi4/%pI6/%pi6 — then bstr_printf's output:
// widths and padding as lib/vsprintf.c does them, the would-be length as the
// result even when the buffer cut the text. Strings and IP addresses are read
// first, into a 512-byte staging buffer as the kernel does (a bad pointer
// prints an empty string or 0.0.0.0), so a long %s is cut where the kernel
// cuts it. Pointers print unhashed (the kernel hashes %p and %pK) and
// symbols print as 0x-addresses (the machine has no kallsyms).
import { EINVAL, ENOSPC } from "../../sys/errno.js";

/** Arguments bpf_trace_vprintk and bpf_snprintf accept (MAX_BPRINTF_VARARGS). */
export const MAX_BPRINTF_VARARGS = 12;
/** Size of the kernel's output buffer for bpf_trace_printk (MAX_BPRINTF_BUF). */
export const MAX_BPRINTF_BUF = 1024;
/** Size of the staging buffer for strings and arguments (MAX_BPRINTF_BUF_LEN). */
const STAGING_SIZE = 512;

/** Where string and IP arguments are read from (nofault: undefined when unmapped). */
export interface BprintfMemory {
  /** strncpy_*_nofault of a %s ("s"), %pks ("k") or %pus ("u") argument into `dst`; bytes read, or undefined on a fault. */
  copyString(kind: "s" | "k" | "u", address: bigint, dst: Uint8Array): number | undefined;
  /** `length` bytes at `address` for %pI4/%pI6, or undefined on a fault. */
  read(address: bigint, length: number): Uint8Array | undefined;
}

/** The formatted bytes (at most `size - 1`, as C's NUL-terminated buffer holds them) and the full length. */
export interface BprintfOutput {
  readonly bytes: Uint8Array;
  readonly length: number;
}

// A conversion after the check: what it prints, with the argument staged.
type Staged =
  | { kind: "int"; bits: 32 | 64; raw: bigint }
  | { kind: "char"; raw: bigint }
  | { kind: "str"; bytes: Uint8Array }
  | { kind: "ptr"; raw: bigint }
  | { kind: "preformatted"; bytes: Uint8Array };

const ASCII = (c: string): number => c.charCodeAt(0);
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const isPunct = (c: number): boolean => (c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e);
const isAlnum = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const endsPlainPointer = (c: number): boolean => c === 0 || isSpace(c) || isPunct(c) || c === ASCII("K") || c === ASCII("x") || c === ASCII("s") || c === ASCII("S");

/**
 * Checks `fmt` (the bytes before its NUL) against `args` and stages the
 * arguments as bpf_bprintf_prepare does; a negative errno when the kernel
 * refuses the format (-EINVAL) or the staging buffer overflows (-ENOSPC).
 */
export function bprintfPrepare(fmt: Uint8Array, args: readonly bigint[], memory: BprintfMemory): Staged[] | number {
  const at = (i: number): number => fmt[i] ?? 0;
  const staged: Staged[] = [];
  let used = 0; // bytes of the staging buffer taken
  const fits = (n: number): boolean => STAGING_SIZE - used >= n;
  const align = (): void => { used = (used + 3) & ~3; };
  for (let i = 0; i < fmt.byteLength; i++) {
    const c = at(i);
    if (c > 0x7e || (c < 0x20 && !isSpace(c))) return -EINVAL;
    if (c !== ASCII("%")) continue;
    if (at(i + 1) === ASCII("%")) { i++; continue; }
    if (staged.length >= args.length) return -EINVAL;
    const raw = args[staged.length] as bigint;
    i++;
    while (at(i) === ASCII("0") || at(i) === ASCII("+") || at(i) === ASCII("-") || at(i) === ASCII(" ")) i++;
    if (at(i) >= ASCII("1") && at(i) <= ASCII("9")) { i++; while (isDigit(at(i))) i++; }
    let stringKind: "s" | "k" | "u" | undefined;
    if (at(i) === ASCII("p")) {
      const next = at(i + 1);
      if ((next === ASCII("k") || next === ASCII("u")) && at(i + 2) === ASCII("s")) {
        stringKind = next === ASCII("k") ? "k" : "u";
        i += 2;
      } else if (endsPlainPointer(next)) {
        i++;
        align();
        if (!fits(8)) return -ENOSPC;
        used += 8;
        staged.push({ kind: "ptr", raw });
        continue;
      } else if (next === ASCII("B")) {
        i++;
        const text = symbolText(raw);
        used += text.byteLength + 1;
        staged.push({ kind: "preformatted", bytes: text });
        continue;
      } else {
        if ((next !== ASCII("i") && next !== ASCII("I")) || (at(i + 2) !== ASCII("4") && at(i + 2) !== ASCII("6"))) return -EINVAL;
        i += 2;
        const size = at(i) === ASCII("4") ? 4 : 16;
        if (!fits(size)) return -ENOSPC;
        const ip = memory.read(raw, size) ?? new Uint8Array(size);
        const text = ipText(ip, at(i - 1) === ASCII("I"));
        used += text.byteLength + 1;
        staged.push({ kind: "preformatted", bytes: text });
        continue;
      }
    } else if (at(i) === ASCII("s")) {
      stringKind = "s";
    }
    if (stringKind !== undefined) {
      const after = at(i + 1);
      if (after !== 0 && !isSpace(after) && !isPunct(after)) return -EINVAL;
      if (!fits(1)) return -ENOSPC;
      const dst = new Uint8Array(STAGING_SIZE - used);
      const n = memory.copyString(stringKind, raw, dst) ?? 0;
      const bytes = n > 0 ? dst.slice(0, n - 1) : new Uint8Array(0);
      used += Math.max(n, 1);
      staged.push(stringKind === "s" ? { kind: "str", bytes } : { kind: "preformatted", bytes });
      continue;
    }
    if (at(i) === ASCII("c")) {
      if (!fits(1)) return -ENOSPC;
      used += 1;
      staged.push({ kind: "char", raw });
      continue;
    }
    let bits: 32 | 64 = 32;
    if (at(i) === ASCII("l")) { bits = 64; i++; }
    if (at(i) === ASCII("l")) i++;
    const conv = at(i);
    if (conv !== ASCII("i") && conv !== ASCII("d") && conv !== ASCII("u") && conv !== ASCII("x") && conv !== ASCII("X")) return -EINVAL;
    align();
    if (!fits(bits / 8)) return -ENOSPC;
    used += bits / 8;
    staged.push({ kind: "int", bits, raw });
  }
  return staged;
}

/** Formats `fmt` with arguments staged by {@link bprintfPrepare} into a buffer of `size` bytes (bstr_printf). */
export function bprintfFormat(fmt: Uint8Array, staged: readonly Staged[], size: number): BprintfOutput {
  const out = new Output(size);
  let next = 0;
  const at = (i: number): number => fmt[i] ?? 0;
  for (let i = 0; i < fmt.byteLength; i++) {
    const c = at(i);
    if (c !== ASCII("%")) { out.byte(c); continue; }
    if (at(i + 1) === ASCII("%")) { out.byte(c); i++; continue; }
    i++;
    const spec: Spec = { left: false, plus: false, space: false, zero: false, width: -1 };
    for (;; i++) {
      const f = at(i);
      if (f === ASCII("-")) spec.left = true;
      else if (f === ASCII("+")) spec.plus = true;
      else if (f === ASCII(" ")) spec.space = true;
      else if (f === ASCII("0")) spec.zero = true;
      else break;
    }
    if (isDigit(at(i))) {
      let width = 0;
      while (isDigit(at(i))) width = Math.min(width * 10 + at(i++) - 0x30, 0x7f_ffff);
      spec.width = width;
    }
    if (spec.left) spec.zero = false;
    const arg = staged[next++] as Staged;
    switch (arg.kind) {
      case "int": {
        while (at(i) === ASCII("l")) i++;
        const conv = at(i);
        const signed = conv === ASCII("d") || conv === ASCII("i");
        const value = signed ? BigInt.asIntN(arg.bits, arg.raw) : BigInt.asUintN(arg.bits, arg.raw);
        const base = conv === ASCII("x") || conv === ASCII("X") ? 16 : 10;
        number(out, value, base, conv === ASCII("X"), signed, spec);
        break;
      }
      case "char": {
        const pad = Math.max(spec.width - 1, 0);
        if (!spec.left) out.repeat(0x20, pad);
        out.byte(Number(arg.raw & 0xffn));
        if (spec.left) out.repeat(0x20, pad);
        break;
      }
      case "str":
        widen(out, arg.bytes, spec);
        break;
      case "ptr": {
        // i is at 'p'; the letters after it belong to the conversion.
        const kind = at(i + 1);
        if (kind === ASCII("s") || kind === ASCII("S")) widen(out, symbolText(arg.raw), spec);
        else pointer(out, BigInt.asUintN(64, arg.raw), spec);
        while (isAlnum(at(i + 1))) i++;
        break;
      }
      case "preformatted":
        // bstr_printf copies what the prepare step formatted, without padding.
        out.bytes(arg.bytes);
        while (isAlnum(at(i + 1))) i++;
        break;
    }
  }
  return { bytes: out.result(), length: out.length };
}

interface Spec {
  left: boolean;
  plus: boolean;
  space: boolean;
  zero: boolean;
  width: number;
}

/** Output into a C buffer of `size` bytes: keeps what fits before the NUL, counts everything. */
class Output {
  length = 0;
  private readonly buf: Uint8Array;
  constructor(size: number) {
    this.buf = new Uint8Array(Math.max(size - 1, 0));
  }
  byte(c: number): void {
    if (this.length < this.buf.byteLength) this.buf[this.length] = c;
    this.length++;
  }
  repeat(c: number, n: number): void {
    const end = Math.min(this.length + n, this.buf.byteLength);
    if (this.length < end) this.buf.fill(c, this.length, end);
    this.length += n;
  }
  bytes(b: Uint8Array): void {
    if (this.length < this.buf.byteLength) this.buf.set(b.subarray(0, this.buf.byteLength - this.length), this.length);
    this.length += b.byteLength;
  }
  result(): Uint8Array {
    return this.buf.slice(0, Math.min(this.length, this.buf.byteLength));
  }
}

const ENCODER = new TextEncoder();

/** lib/vsprintf.c number(): sign, zero or space padding to the width, digits. */
function number(out: Output, value: bigint, base: number, upper: boolean, signed: boolean, spec: Spec): void {
  let sign = "";
  let magnitude = value;
  if (signed) {
    if (value < 0n) { sign = "-"; magnitude = -value; }
    else if (spec.plus) sign = "+";
    else if (spec.space) sign = " ";
  }
  let digits = magnitude.toString(base);
  if (upper) digits = digits.toUpperCase();
  const pad = Math.max(spec.width - sign.length - digits.length, 0);
  if (!spec.left && !spec.zero) out.repeat(0x20, pad);
  out.bytes(ENCODER.encode(sign));
  if (!spec.left && spec.zero) out.repeat(0x30, pad);
  out.bytes(ENCODER.encode(digits));
  if (spec.left) out.repeat(0x20, pad);
}

/** A string padded with spaces to the width (widen_string). */
function widen(out: Output, bytes: Uint8Array, spec: Spec): void {
  const pad = Math.max(spec.width - bytes.byteLength, 0);
  if (!spec.left) out.repeat(0x20, pad);
  out.bytes(bytes);
  if (spec.left) out.repeat(0x20, pad);
}

/** pointer_string(): 16 zero-padded hex digits unless a width is given. */
function pointer(out: Output, value: bigint, spec: Spec): void {
  const s = spec.width === -1 ? { ...spec, width: 16, zero: true } : spec;
  number(out, value, 16, false, false, s);
}

/** What the kernel prints for an address it finds no symbol for. */
function symbolText(address: bigint): Uint8Array {
  return ENCODER.encode(`0x${BigInt.asUintN(64, address).toString(16)}`);
}

/** %pI4 / %pi4 / %pI6 / %pi6 of the address bytes (network order). */
function ipText(ip: Uint8Array, dotted: boolean): Uint8Array {
  if (ip.byteLength === 4) {
    const parts = [...ip].map((b) => (dotted ? String(b) : String(b).padStart(3, "0")));
    return ENCODER.encode(parts.join("."));
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((ip[i] as number) << 8) | (ip[i + 1] as number)).toString(16).padStart(4, "0"));
  return ENCODER.encode(groups.join(dotted ? ":" : ""));
}
