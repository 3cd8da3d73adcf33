// kprobe.multi / kretprobe.multi: one BPF link that puts a kprobe program on
// many kernel functions at once (fprobe-based, Linux 5.18). Functions are
// given by name, by address, or by a glob pattern ("vfs_*") matched, as
// libbpf does, against tracefs's available_filter_functions (the functions
// ftrace can hook), falling back to /proc/kallsyms's text symbols.
import { readFileSync } from "node:fs";
import type { Program } from "../program/program.js";
import { AttachType } from "../program/types.js";
import { sectionType } from "../object/section-types.js";
import { linkCreate } from "../sys/link.js";
import { findTracefs } from "../sys/perf-event.js";
import { BpfError, InvalidArgumentError, NotFoundError, NotSupportedError } from "../sys/errors.js";
import { ENOTSUPP, EOPNOTSUPP } from "../sys/errno.js";
import { Link } from "./link.js";
import { checkKprobeProgram } from "./kprobe.js";
import { haveKprobes, kprobeInterfaces, noKprobesError } from "./kprobe-support.js";
import { readKallsyms } from "./kernel-symbols.js";
import { targetFromSection } from "./section-target.js";
import { globMatch } from "./glob.js";

/** BPF_F_KPROBE_MULTI_RETURN: the link's probes are kretprobes. */
export const KPROBE_MULTI_RETURN = 1;

/** Options of {@link attachKprobeMulti}: exactly one of pattern, symbols and addresses (default: the SEC() pattern). */
export interface KprobeMultiOptions {
  /** Glob ('*' any run of characters, '?' one) over the functions ftrace can hook. */
  pattern?: string;
  /** Function names. */
  symbols?: readonly string[];
  /** Kernel addresses. */
  addresses?: readonly bigint[];
  /** One cookie per function, in the order of `symbols`/`addresses` (read with bpf_get_attach_cookie). */
  cookies?: readonly bigint[];
  /** kretprobes instead of kprobes (default: from SEC("kretprobe.multi/…")). */
  retprobe?: boolean;
}

/** The target of SEC("kprobe.multi/PATTERN") or SEC("kretprobe.multi/PATTERN"). */
export interface KprobeMultiSection {
  retprobe: boolean;
  pattern: string;
}

/** Parses SEC("kprobe.multi/PATTERN") and SEC("kretprobe.multi/PATTERN"); undefined for bare SEC("kprobe.multi") and other names. */
export function kprobeMultiOfSection(sectionName: string): KprobeMultiSection | undefined {
  const m = /^(kprobe|kretprobe)\.multi\/(.+)$/.exec(sectionName);
  return m ? { retprobe: m[1] === "kretprobe", pattern: m[2]! } : undefined;
}

/**
 * The functions of `available` (available_filter_functions text: one
 * "name [module]" per line) that match `pattern`, without duplicates and
 * without ftrace's "__ftrace_invalid_address___…" placeholders.
 */
export function matchFilterFunctions(available: string, pattern: string): string[] {
  const out = new Set<string>();
  for (const line of available.split("\n")) {
    const name = line.split(/[ \t]/, 1)[0]!;
    if (name === "" || name.startsWith("__ftrace_invalid_address__")) continue;
    if (globMatch(name, pattern)) out.add(name);
  }
  return [...out];
}

/** The same over kallsyms text: function (t/T/w/W) symbols of the kernel and modules. */
export function matchKallsymsFunctions(kallsyms: string, pattern: string): string[] {
  const out = new Set<string>();
  for (const line of kallsyms.split("\n")) {
    const [, type, name] = line.split(/[ \t]/, 3);
    if (name === undefined || !/^[tTwW]$/.test(type ?? "")) continue;
    if (globMatch(name, pattern)) out.add(name);
  }
  return [...out];
}

/** Resolves a pattern against the running kernel: available_filter_functions, else kallsyms. */
function resolvePattern(pattern: string): string[] {
  const tracefs = findTracefs();
  let available: string | undefined;
  if (tracefs !== undefined) {
    try {
      available = readFileSync(`${tracefs}/available_filter_functions`, "latin1");
    } catch {
      available = undefined;
    }
  }
  const names = available !== undefined ? matchFilterFunctions(available, pattern) : matchKallsymsFunctions(readKallsyms(), pattern);
  if (names.length === 0) {
    const source = available !== undefined ? `${tracefs}/available_filter_functions` : "/proc/kallsyms";
    throw new NotFoundError(`kprobe.multi: no kernel function matches '${pattern}' (looked in ${source})`);
  }
  return names;
}

function checkList<T>(field: string, values: readonly T[] | undefined, valid: (v: T) => boolean): void {
  if (values === undefined) return;
  if (!Array.isArray(values) || values.length === 0) throw new InvalidArgumentError(`${field} must be a non-empty array`, field);
  const bad = values.find((v) => !valid(v));
  if (bad !== undefined) throw new InvalidArgumentError(`${field} has an invalid entry: ${String(bad)}`, field);
}

/**
 * Attaches a kprobe program loaded as SEC("kprobe.multi/…") or
 * SEC("kretprobe.multi/…") to many kernel functions with one BPF link.
 * Errors: InvalidArgumentError (program type, a program loaded for single
 * kprobes, bad lists, cookies of the wrong count), NotFoundError (nothing
 * matches the pattern), NotSupportedError (no kprobes in this kernel, or no
 * fprobe: CONFIG_FPROBE). Nothing stays attached on failure.
 */
export function attachKprobeMulti(program: Program, options: KprobeMultiOptions = {}): Link {
  checkKprobeProgram(program, "attachKprobeMulti");
  const declared = program.sectionName === undefined ? undefined : sectionType(program.sectionName);
  if (declared && declared.expectedAttachType !== AttachType.TraceKprobeMulti) {
    throw new InvalidArgumentError(
      `program '${program.name}' was loaded from SEC("${program.sectionName}") for single kprobes; kprobe.multi links need a program ` +
        `loaded with expected attach type trace_kprobe_multi (SEC("kprobe.multi/…") or SEC("kretprobe.multi/…"))`,
      "program",
    );
  }
  const given = [options.pattern, options.symbols, options.addresses].filter((x) => x !== undefined).length;
  if (given > 1) throw new InvalidArgumentError("give one of pattern, symbols and addresses", "pattern");
  let pattern = options.pattern;
  let retprobe = options.retprobe ?? false;
  if (given === 0) {
    const fromSection = targetFromSection(program, kprobeMultiOfSection, "the functions to probe (pattern, symbols or addresses)", "pattern");
    pattern = fromSection.pattern;
    retprobe = options.retprobe ?? fromSection.retprobe;
  }
  checkList("symbols", options.symbols, (s) => typeof s === "string" && /^[A-Za-z_][\w.]*$/.test(s));
  checkList("addresses", options.addresses, (a) => typeof a === "bigint" && a > 0n);
  checkList("cookies", options.cookies, (c) => typeof c === "bigint");
  const kind = retprobe ? "kretprobe.multi" : "kprobe.multi";
  const what = `${kind} ${pattern ?? (options.symbols ? options.symbols.join(",") : `${options.addresses!.length} addresses`)}`;
  const found = kprobeInterfaces();
  if (!haveKprobes(found)) throw noKprobesError(what, found);

  const symbols = pattern !== undefined ? resolvePattern(pattern) : options.symbols;
  const count = symbols?.length ?? options.addresses!.length;
  if (options.cookies && options.cookies.length !== count) {
    throw new InvalidArgumentError(`${what}: ${options.cookies.length} cookies for ${count} functions (one per function, in order)`, "cookies");
  }
  let link;
  try {
    link = linkCreate({
      progFd: program.fd, attachType: AttachType.TraceKprobeMulti,
      kprobeMulti: {
        ...(symbols ? { syms: symbols } : { addrs: options.addresses! }),
        ...(options.cookies ? { cookies: options.cookies } : {}),
        flags: retprobe ? KPROBE_MULTI_RETURN : 0,
      },
    });
  } catch (e) {
    if (e instanceof BpfError && (e.errno === EOPNOTSUPP || e.errno === ENOTSUPP)) {
      throw new NotSupportedError(`${what}: kprobe.multi links (fprobe, CONFIG_FPROBE)`, "5.18", { operation: "BPF_LINK_CREATE", errno: e.errno, cause: e });
    }
    throw e;
  }
  return new Link({ link, target: `${what} (${count} functions)` });
}
