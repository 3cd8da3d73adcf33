// Raw tracepoints: raw_tp programs (and raw_tp.w, which may write the
// tracepoint's arguments where the tracepoint allows it) attached by the
// tracepoint's bare name, and tp_btf programs, whose tracepoint was fixed at
// load by its BTF id. Both go through BPF_RAW_TRACEPOINT_OPEN (Linux 4.17;
// tp_btf 5.5), which returns a BPF link; cookies need Linux 6.10.
import type { Program } from "../program/program.js";
import { AttachType, ProgramType, programTypeName } from "../program/types.js";
import { sectionType } from "../object/section-types.js";
import { rawTracepointOpen } from "../sys/raw-tracepoint.js";
import { InvalidArgumentError } from "../sys/errors.js";
import { Link } from "./link.js";
import { targetFromSection } from "./section-target.js";

/** Options of {@link attachRawTracepoint}. */
export interface RawTracepointOptions {
  /** Value the program reads with bpf_get_attach_cookie (Linux 6.10). */
  cookie?: bigint;
}

/** The target of a raw tracepoint SEC() name. */
export interface RawTracepointSection {
  /** "raw_tp", "raw_tp.w" (writable) or "tp_btf". */
  kind: "raw_tp" | "raw_tp.w" | "tp_btf";
  /** The tracepoint's bare name ("sched_switch"). */
  name: string;
}

/**
 * Parses SEC("raw_tp/NAME"), SEC("raw_tracepoint/NAME"), SEC("raw_tp.w/NAME"),
 * SEC("raw_tracepoint.w/NAME") and SEC("tp_btf/NAME"); undefined for bare
 * SEC("raw_tp") and other names.
 */
export function rawTracepointOfSection(sectionName: string): RawTracepointSection | undefined {
  const m = /^(raw_tp|raw_tracepoint|tp_btf)(\.w)?\/([\w.-]+)$/.exec(sectionName);
  if (!m || (m[1] === "tp_btf" && m[2])) return undefined;
  const kind = m[1] === "tp_btf" ? "tp_btf" : m[2] ? "raw_tp.w" : "raw_tp";
  return { kind, name: m[3]! };
}

/** True for a tracing program whose SEC() says tp_btf, or that has no SEC() to say otherwise. */
function isTpBtf(program: Program): boolean {
  if (program.type !== ProgramType.Tracing) return false;
  if (program.sectionName === undefined) return true;
  return sectionType(program.sectionName)?.expectedAttachType === AttachType.TraceRawTp;
}

/**
 * Attaches a raw_tp / raw_tp.w program to the raw tracepoint `name`
 * ("sched_switch", "sys_enter"; default: from the SEC() name), or a tp_btf
 * program to the tracepoint it was loaded for (a `name`, if given, must be
 * that one). Returns a BPF link; the program runs on every CPU until it is closed.
 * Errors: InvalidArgumentError (another program type, a fentry/lsm/iter
 * tracing program, a name that differs from a tp_btf program's),
 * NotFoundError (no such raw tracepoint), NotSupportedError (cookies before 6.10).
 */
export function attachRawTracepoint(program: Program, name?: string, options: RawTracepointOptions = {}): Link {
  const raw = program.type === ProgramType.RawTracepoint || program.type === ProgramType.RawTracepointWritable;
  if (!raw && !isTpBtf(program)) {
    throw new InvalidArgumentError(
      `program '${program.name}' is a ${programTypeName(program.type)} program` +
        `${program.sectionName ? ` from SEC("${program.sectionName}")` : ""}; attachRawTracepoint needs a raw_tp, raw_tp.w or tp_btf program ` +
        "(fentry/fexit/fmod_ret/lsm programs attach with attachTracing, iterators with attachIter)",
      "program",
    );
  }
  if (options.cookie !== undefined && typeof options.cookie !== "bigint") throw new InvalidArgumentError("cookie must be a bigint", "cookie");
  if (name !== undefined && (typeof name !== "string" || !/^[\w.-]+$/.test(name))) {
    throw new InvalidArgumentError(`'${String(name)}' is not a raw tracepoint name (the bare event name, e.g. 'sched_switch')`, "name");
  }
  if (raw) {
    const target = name ?? targetFromSection(program, rawTracepointOfSection, "the raw tracepoint's name", "name").name;
    const kind = program.type === ProgramType.RawTracepointWritable ? "raw_tp.w" : "raw_tp";
    return new Link({ link: rawTracepointOpen(program.fd, target, options.cookie), target: `${kind} ${target}` });
  }
  const section = program.sectionName === undefined ? undefined : rawTracepointOfSection(program.sectionName);
  if (name !== undefined && section !== undefined && name !== section.name) {
    throw new InvalidArgumentError(
      `program '${program.name}' is a tp_btf program loaded for ${section.name}; it cannot attach to ${name} (load it for that tracepoint instead)`,
      "name",
    );
  }
  const what = section?.name ?? name;
  return new Link({ link: rawTracepointOpen(program.fd, null, options.cookie), target: `tp_btf${what ? ` ${what}` : ""}` });
}
