// Trampoline-based tracing programs: fentry, fexit, fmod_ret, lsm (and their
// sleepable ".s" forms), freplace, and lsm_cgroup. Their target (kernel
// function, LSM hook, or the function of another BPF program for freplace)
// was fixed at load by its BTF id, so attaching names nothing: the kernel
// builds a BPF trampoline on the target. Plain attachments use
// BPF_RAW_TRACEPOINT_OPEN without a name (Linux 5.5, as every kernel with
// trampolines has it); cookies need BPF_LINK_CREATE with the program's attach
// type (Linux 6.0); lsm_cgroup needs a cgroup and BPF_LINK_CREATE (6.0).
//
// Some kernels refuse trampolines outright (ftrace direct calls missing or
// locked down, as on this project's CI kernel): the load already fails with
// EPERM, explained by the loader, before any of this runs.
import { openSync, constants as fsConstants } from "node:fs";
import type { Program } from "../program/program.js";
import { AttachType, ProgramType, programTypeName } from "../program/types.js";
import { sectionType } from "../object/section-types.js";
import { linkCreate } from "../sys/link.js";
import { rawTracepointOpen } from "../sys/raw-tracepoint.js";
import { FD } from "../sys/fd.js";
import { InvalidArgumentError, NotFoundError } from "../sys/errors.js";
import { Link } from "./link.js";

/** The kinds of trampoline program, by their SEC() prefix. */
export type TracingKind = "fentry" | "fexit" | "fmod_ret" | "lsm" | "lsm_cgroup" | "freplace";

/** What a tracing SEC() name says. */
export interface TracingSection {
  kind: TracingKind;
  /** The kernel function, LSM hook (without "bpf_lsm_") or replaced function. */
  target: string;
  /** A ".s" section (fentry.s, fexit.s, fmod_ret.s, lsm.s): the program may sleep. */
  sleepable: boolean;
}

/**
 * Parses SEC("fentry/FUNC"), "fexit/FUNC", "fmod_ret/FUNC" (and their ".s"
 * forms), "lsm/HOOK", "lsm.s/HOOK", "lsm_cgroup/HOOK" and "freplace/FUNC";
 * undefined for names without a target and other names.
 */
export function tracingOfSection(sectionName: string): TracingSection | undefined {
  const m = /^(fentry|fexit|fmod_ret|lsm|lsm_cgroup|freplace)(\.s)?\/([\w.]+)$/.exec(sectionName);
  if (!m || (m[2] && (m[1] === "lsm_cgroup" || m[1] === "freplace"))) return undefined;
  return { kind: m[1] as TracingKind, target: m[3]!, sleepable: m[2] !== undefined };
}

/** Options of {@link attachTracing}. */
export interface TracingOptions {
  /** Value the program reads with bpf_get_attach_cookie (Linux 6.0; not for freplace or lsm_cgroup). */
  cookie?: bigint;
  /** lsm_cgroup only: the cgroup (v2 directory path or open fd) whose tasks the hook runs for. */
  cgroup?: string | FD;
  /**
   * The program's attach type, for programs that carry no SEC() name (loaded
   * from instructions): needed with a cookie and for lsm_cgroup.
   */
  attachType?: AttachType;
}

const kindsByAttachType = new Map<number, TracingKind>([
  [AttachType.TraceFentry, "fentry"], [AttachType.TraceFexit, "fexit"], [AttachType.ModifyReturn, "fmod_ret"],
  [AttachType.LSMMac, "lsm"], [AttachType.LSMCgroup, "lsm_cgroup"],
]);

/** The program's attach type: from the options, else its SEC() name. */
function attachTypeOf(program: Program, options: TracingOptions): number | undefined {
  if (options.attachType !== undefined) return options.attachType;
  if (program.sectionName === undefined) return undefined;
  return sectionType(program.sectionName)?.expectedAttachType;
}

function openCgroup(cgroup: string | FD): { fd: FD; owned: boolean } {
  if (cgroup instanceof FD) return { fd: cgroup, owned: false };
  if (typeof cgroup !== "string") throw new InvalidArgumentError("cgroup must be a cgroup v2 directory path or an FD", "cgroup");
  try {
    return { fd: new FD(openSync(cgroup, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY), "cgroup fd"), owned: true };
  } catch (e) {
    throw new NotFoundError(`cgroup ${cgroup}: cannot open it (${(e as Error).message})`);
  }
}

/**
 * Attaches a fentry / fexit / fmod_ret / lsm / freplace program to the target
 * it was loaded for, or an lsm_cgroup program to `cgroup`. Returns a BPF link.
 * Errors: InvalidArgumentError (not a trampoline program, e.g. a tp_btf or
 * iterator program; lsm_cgroup without a cgroup; a cookie on freplace),
 * NotFoundError (cgroup path), and the kernel's refusals explained by
 * attach type.
 */
export function attachTracing(program: Program, options: TracingOptions = {}): Link {
  const type = attachTypeOf(program, options);
  const kind = program.type === ProgramType.Ext ? "freplace" : type === undefined ? undefined : kindsByAttachType.get(type);
  const trampolineType = program.type === ProgramType.Tracing || program.type === ProgramType.LSM || program.type === ProgramType.Ext;
  const section = program.sectionName === undefined ? undefined : tracingOfSection(program.sectionName);
  if (!trampolineType || (program.type !== ProgramType.Ext && type !== undefined && kind === undefined)) {
    throw new InvalidArgumentError(
      `program '${program.name}' is a ${programTypeName(program.type)} program${program.sectionName ? ` from SEC("${program.sectionName}")` : ""}; ` +
        "attachTracing needs a fentry, fexit, fmod_ret, lsm, lsm_cgroup or freplace program " +
        "(tp_btf programs attach with attachRawTracepoint, iterators with attachIter)",
      "program",
    );
  }
  if (options.cookie !== undefined && typeof options.cookie !== "bigint") throw new InvalidArgumentError("cookie must be a bigint", "cookie");
  const what = `${kind ?? programTypeName(program.type)}${section ? ` ${section.target}` : ""}`;

  if (kind === "lsm_cgroup") {
    if (options.cgroup === undefined) throw new InvalidArgumentError(`${what}: give the cgroup whose tasks the hook runs for (option cgroup)`, "cgroup");
    if (options.cookie !== undefined) throw new InvalidArgumentError(`${what}: lsm_cgroup links take no cookie`, "cookie");
    const cgroup = openCgroup(options.cgroup);
    try {
      const link = linkCreate({ progFd: program.fd, attachType: AttachType.LSMCgroup, targetFd: cgroup.fd });
      return new Link({ link, target: `${what} on cgroup ${typeof options.cgroup === "string" ? options.cgroup : `fd ${options.cgroup.raw}`}` });
    } finally {
      if (cgroup.owned) cgroup.fd.close();
    }
  }
  if (options.cgroup !== undefined) throw new InvalidArgumentError(`${what}: only lsm_cgroup programs attach to a cgroup`, "cgroup");
  if (options.cookie === undefined) return new Link({ link: rawTracepointOpen(program.fd, null), target: what });
  if (kind === "freplace") throw new InvalidArgumentError(`${what}: freplace links take no cookie`, "cookie");
  if (type === undefined) {
    throw new InvalidArgumentError(`${what}: a cookie needs the program's attach type (it has no SEC() name; give option attachType)`, "attachType");
  }
  return new Link({ link: linkCreate({ progFd: program.fd, attachType: type, tracingCookie: options.cookie }), target: what });
}

