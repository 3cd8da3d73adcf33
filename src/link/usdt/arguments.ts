// USDT argument specs, the third string of a stapsdt note: one per argument,
// separated by spaces, each "SIZE@LOCATION" — SIZE is 1, 2, 4 or 8 bytes,
// negative for signed; LOCATION is assembler syntax of the architecture
// (x86-64: "$5", "%edi", "-8(%rbp)"; arm64: "5", "x0", "[sp, 16]"). Parsed
// into a location the BPF side can read: a constant, a register, or memory
// at a register plus an offset. Pure, bounded: only UsdtArgumentError escapes.
import { UsdtArgumentError } from "./errors.js";
import type { UsdtArch } from "./pt-regs.js";
import { decimal, type UsdtLocation } from "./location.js";
import { parseX64Location } from "./arg-x64.js";
import { parseArm64Location } from "./arg-arm64.js";

/** One argument of a probe site. */
export interface UsdtArgument {
  /** Bytes: 1, 2, 4 or 8. */
  readonly size: 1 | 2 | 4 | 8;
  readonly signed: boolean;
  readonly location: UsdtLocation;
  /** The spec as written. */
  readonly spec: string;
}

/** libbpf's BPF_USDT_MAX_ARG_CNT: the most arguments struct __bpf_usdt_spec holds. */
export const USDT_MAX_ARGS = 12;
/** Specs longer than this are refused before any parsing (real ones are ~20 characters). */
const MAX_SPEC_LENGTH = 256;

/** Splits the argument string at spaces outside brackets and parentheses ("8@[sp, 16]" is one argument). */
export function splitUsdtArguments(args: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = "";
  for (const c of args) {
    if (c === "[" || c === "(") depth++;
    else if ((c === "]" || c === ")") && depth > 0) depth--;
    if (/\s/.test(c) && depth === 0) {
      if (current) out.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  if (current) out.push(current);
  return out;
}

/** Parses one "SIZE@LOCATION" spec of `arch`. */
export function parseUsdtArgument(spec: string, arch: UsdtArch): UsdtArgument {
  if (spec.length > MAX_SPEC_LENGTH) throw new UsdtArgumentError(spec.slice(0, 40) + "…", `longer than ${MAX_SPEC_LENGTH} characters`);
  const at = spec.indexOf("@");
  if (at < 0) throw new UsdtArgumentError(spec, "no '@' between the size and the location");
  const sizeText = spec.slice(0, at).trim();
  const size = decimal(sizeText);
  const bytes = size === undefined ? NaN : Math.abs(Number(size));
  if (bytes !== 1 && bytes !== 2 && bytes !== 4 && bytes !== 8) {
    throw new UsdtArgumentError(spec, `size '${sizeText}' is not 1, 2, 4 or 8 bytes (negative for signed)`);
  }
  const where = spec.slice(at + 1).trim();
  const location = arch === "x64" ? parseX64Location(where, spec) : parseArm64Location(where, spec);
  return { size: bytes, signed: size! < 0n, location, spec };
}

/** Parses a note's whole argument string (at most {@link USDT_MAX_ARGS} arguments). */
export function parseUsdtArguments(args: string, arch: UsdtArch): UsdtArgument[] {
  if (args.length > MAX_SPEC_LENGTH * USDT_MAX_ARGS) throw new UsdtArgumentError(args.slice(0, 40) + "…", "the argument string is too long");
  const specs = splitUsdtArguments(args);
  if (specs.length > USDT_MAX_ARGS) throw new UsdtArgumentError(args, `${specs.length} arguments; <bpf/usdt.bpf.h> holds at most ${USDT_MAX_ARGS}`);
  return specs.map((s) => parseUsdtArgument(s, arch));
}
