// uprobe.multi / uretprobe.multi: one BPF link (BPF_TRACE_UPROBE_MULTI,
// Linux 6.6) that puts a kprobe-type program on many places of one binary
// at once — functions by name, by glob pattern (libbpf's
// SEC("uprobe.multi/PATH:PATTERN")) or raw file offsets — each with its own
// bpf cookie and USDT semaphore. Symbols resolve like attachUprobe's.
import type { Program } from "../program/program.js";
import { AttachType, ProgramType, programTypeName } from "../program/types.js";
import { linkCreate } from "../sys/link.js";
import { MULTI_RETURN } from "../sys/attach-flags.js";
import { InvalidArgumentError } from "../sys/errors.js";
import { describeValue } from "../sys/arguments.js";
import { Link } from "./link.js";
import { readBinaryElf, resolveUprobeBinary } from "./uprobe-binary.js";
import { functionOffsetsMatching, symbolFileOffset } from "./elf-symbol-offset.js";
import { targetFromSection } from "./section-target.js";

/** Options of {@link attachUprobeMulti}: the binary and exactly one of `pattern`, `symbols`, `offsets`. */
export interface UprobeMultiAttachOptions {
  /** The executable or library: a path, or a bare name ("libc.so.6"; looked up in `pid`'s mappings when given). */
  binary?: string;
  /** Glob over function names (`*`, `?`), as in SEC("uprobe.multi/PATH:PATTERN"): every defined function that matches. */
  pattern?: string;
  /** Function names ("malloc", "free", "name+0x10"), each resolved like attachUprobe's `symbol`. */
  symbols?: readonly string[];
  /** Raw file offsets in the binary. */
  offsets?: readonly number[];
  /** One bpf cookie per probe (in the order of `symbols`/`offsets`, or of ascending offset for a pattern). */
  cookies?: readonly bigint[];
  /** One USDT semaphore file offset per probe (0: none). */
  refCtrOffsets?: readonly number[];
  /** Only this process; default: every process that runs the code. */
  pid?: number;
  /** Fire on return (uretprobe.multi). */
  retprobe?: boolean;
}

/** The target of a SEC("uprobe.multi/BINARY:PATTERN") (or uretprobe.multi, .s) name. */
export interface UprobeMultiSection {
  retprobe: boolean;
  binary: string;
  pattern: string;
}

const sectionPattern = /^(uprobe|uretprobe)\.multi(?:\.s)?\/(.+):([^:]+)$/;

/** Parses the target of a uprobe.multi SEC() name, or undefined when it names none (plain SEC("uprobe.multi")). */
export function uprobeMultiOfSection(sectionName: string): UprobeMultiSection | undefined {
  const m = sectionPattern.exec(sectionName);
  return m ? { retprobe: m[1] === "uretprobe", binary: m[2]!, pattern: m[3]! } : undefined;
}

/** The places of a multi-uprobe: file offsets and, for the link's description, what they are. */
interface Sites {
  offsets: number[];
  what: string;
}

function checkOffsets(list: readonly number[], field: string): void {
  for (const v of list) {
    if (!Number.isSafeInteger(v) || v < 0) throw new InvalidArgumentError(`${field} must hold non-negative integers, not ${v}`, field);
  }
}

function resolveSites(path: string, o: UprobeMultiAttachOptions): Sites {
  const given = [o.pattern, o.symbols, o.offsets].filter((x) => x !== undefined).length;
  if (given !== 1) {
    throw new InvalidArgumentError(`uprobe.multi on ${path}: give exactly one of pattern, symbols and offsets (${given} given)`, "pattern");
  }
  if (o.offsets) {
    checkOffsets(o.offsets, "offsets");
    return { offsets: [...o.offsets], what: `${o.offsets.length} offsets` };
  }
  const elf = readBinaryElf(path);
  if (o.pattern !== undefined) {
    if (o.pattern === "") throw new InvalidArgumentError(`uprobe.multi on ${path}: the pattern is empty`, "pattern");
    return { offsets: functionOffsetsMatching(elf, path, o.pattern).map((s) => s.offset), what: o.pattern };
  }
  const offsets = o.symbols!.map((name) => {
    const m = /^(.+?)\+(0x[0-9a-fA-F]+|\d+)$/.exec(name);
    return m ? symbolFileOffset(elf, path, m[1]!).offset + Number(m[2]) : symbolFileOffset(elf, path, name).offset;
  });
  return { offsets, what: o.symbols!.join(",") };
}

function kindOf(o: UprobeMultiAttachOptions): string {
  return o.retprobe ? "uretprobe.multi" : "uprobe.multi";
}

function resolveOptions(program: Program, options: UprobeMultiAttachOptions): UprobeMultiAttachOptions {
  if (options.binary !== undefined) return options;
  const s = targetFromSection(program, uprobeMultiOfSection, "the binary and functions to probe", "binary");
  return { ...options, binary: s.binary, pattern: s.pattern, retprobe: options.retprobe ?? s.retprobe };
}

/**
 * Attaches a kprobe-type program loaded for uprobe.multi (SEC("uprobe.multi…")
 * or expected attach type TraceUprobeMulti) to many places of one binary
 * with one BPF link (Linux 6.6). Without `binary` the target comes from the
 * program's SEC("uprobe.multi/PATH:PATTERN") name.
 * Errors: InvalidArgumentError (wrong program type, not exactly one of
 * pattern/symbols/offsets, counts that differ), NotFoundError (binary or
 * function not found, naming them), ElfError (not an ELF file), the
 * kernel's refusal from BPF_LINK_CREATE (NotSupportedError before 6.6).
 * Nothing stays open on failure.
 */
export function attachUprobeMulti(program: Program, options: UprobeMultiAttachOptions = {}): Link {
  if (program.type !== ProgramType.Kprobe) {
    throw new InvalidArgumentError(
      `program '${program.name}' is a ${programTypeName(program.type)} program; uprobe.multi runs kprobe programs ` +
        `loaded for it (SEC("uprobe.multi/…"), SEC("uretprobe.multi/…"))`,
      "program",
    );
  }
  const o = resolveOptions(program, options);
  if (o.pid !== undefined && !(Number.isInteger(o.pid) && o.pid > 0)) {
    throw new InvalidArgumentError(`${kindOf(o)} on ${o.binary}: pid must be a process id (got ${describeValue(o.pid)})`, "pid");
  }
  if (o.refCtrOffsets) checkOffsets(o.refCtrOffsets, "refCtrOffsets");
  const path = resolveUprobeBinary(o.binary!, o.pid);
  const { offsets, what } = resolveSites(path, o);
  const kind = kindOf(o);
  const link = linkCreate({
    progFd: program.fd,
    attachType: AttachType.TraceUprobeMulti,
    uprobeMulti: {
      path, offsets,
      ...(o.cookies ? { cookies: o.cookies } : {}),
      ...(o.refCtrOffsets ? { refCtrOffsets: o.refCtrOffsets } : {}),
      ...(o.pid !== undefined ? { pid: o.pid } : {}),
      flags: o.retprobe ? MULTI_RETURN : 0,
    },
  });
  return new Link({ link, target: `${kind} ${path}:${what}${o.pid === undefined ? "" : ` pid ${o.pid}`}` });
}
