// Program type probes: load `r0 = 0; exit` as each type. Types that need an
// attach target (tracing, LSM, freplace, struct_ops) cannot load without a
// real BTF id, so — like libbpf — they are loaded against BTF id 1 (never a
// function, typedef or struct) and count as supported when the verifier
// rejects *that id* with its specific message: a kernel that does not know
// the type fails earlier with a plain EINVAL and no such message.
// Tracing is probed as tp_btf (BPF_TRACE_RAW_TP) rather than fentry: both
// are the tracing type, and tp_btf needs no trampoline, so kernels that
// forbid trampolines (fentry/fexit, see misc have_fentry) still report the
// type they do support.
import { ENOTSUPP, EINVAL } from "../sys/errno.js";
import { encodeProbe, RETURN_ZERO } from "./probe-insns.js";
import { probeLoad, type ProbeProgram } from "./probe-load.js";
import { PROGRAM_TYPE_NAMES, programTypeByName } from "./names.js";
import { SUPPORTED, unsupported, type ProbeResult } from "./result.js";
import { TypeProbes } from "./probe-types.js";

/** Program type numbers used below (enum bpf_prog_type). */
export const P = {
  CGROUP_SOCK_ADDR: 18, LIRC_MODE2: 20, CGROUP_SOCKOPT: 25, TRACING: 26, STRUCT_OPS: 27, EXT: 28, LSM: 29,
  SK_LOOKUP: 30, SYSCALL: 31, NETFILTER: 32,
} as const;

/** Attach types (enum bpf_attach_type) some types must declare at load. */
const A = { CGROUP_INET4_CONNECT: 10, LIRC_MODE2: 16, CGROUP_GETSOCKOPT: 21, TRACE_RAW_TP: 23, LSM_MAC: 27, SK_LOOKUP: 36, NETFILTER: 45 };
const BPF_F_SLEEPABLE = 1 << 4;

/** How to load a probe of one program type, and how to read a refusal. */
export interface ProgramProbeSpec {
  readonly expectedAttachType?: number;
  readonly attachBtfId?: number;
  readonly progFlags?: number;
  /** For BTF-attached types: the errno and log text that prove the type is known. */
  readonly expect?: { readonly errno: number; readonly message: string };
}

/** Load parameters per program type; types not listed need none. */
export function programProbeSpec(type: number): ProgramProbeSpec {
  switch (type) {
    case P.CGROUP_SOCK_ADDR: return { expectedAttachType: A.CGROUP_INET4_CONNECT };
    case P.CGROUP_SOCKOPT: return { expectedAttachType: A.CGROUP_GETSOCKOPT };
    case P.SK_LOOKUP: return { expectedAttachType: A.SK_LOOKUP };
    case P.LIRC_MODE2: return { expectedAttachType: A.LIRC_MODE2 };
    case P.NETFILTER: return { expectedAttachType: A.NETFILTER };
    case P.SYSCALL: return { progFlags: BPF_F_SLEEPABLE };
    case P.TRACING:
      return { expectedAttachType: A.TRACE_RAW_TP, attachBtfId: 1, expect: { errno: EINVAL, message: "attach_btf_id 1 is not a typedef" } };
    case P.LSM:
      return { expectedAttachType: A.LSM_MAC, attachBtfId: 1, expect: { errno: EINVAL, message: "attach_btf_id 1 is not a function" } };
    case P.EXT:
      return { attachBtfId: 1, expect: { errno: EINVAL, message: "Cannot replace kernel functions" } };
    case P.STRUCT_OPS:
      return { attachBtfId: 1, expect: { errno: ENOTSUPP, message: "attach_btf_id 1 is not a supported struct" } };
    default:
      return {};
  }
}

/** True for types whose probe needs an attach target, so helpers cannot be probed on them. */
export function needsAttachTarget(type: number): boolean {
  return programProbeSpec(type).expect !== undefined;
}

/** Builds the load request for a probe program of `type` running `insns`. */
export function probeProgramFor(type: number, insns: Uint8Array, withLog: boolean): ProbeProgram {
  const s = programProbeSpec(type);
  return { type, insns, expectedAttachType: s.expectedAttachType, attachBtfId: s.attachBtfId, progFlags: s.progFlags, withLog };
}

let returnZero: Uint8Array | undefined;

function probe(type: number): ProbeResult {
  returnZero ??= encodeProbe(RETURN_ZERO);
  const spec = programProbeSpec(type);
  const r = probeLoad(probeProgramFor(type, returnZero, spec.expect !== undefined));
  if (r.loaded) return SUPPORTED;
  // BTF-attached types never load here; the verifier's complaint about id 1 is the proof.
  if (spec.expect && r.errno === spec.expect.errno && r.log.includes(spec.expect.message)) return SUPPORTED;
  return unsupported(r.errno, r.errno === 1 ? "the kernel refused to load it (an LSM, lockdown or a missing capability)" : "");
}

const programTypes = new TypeProbes({ kind: "program type", names: PROGRAM_TYPE_NAMES, byName: programTypeByName, probe });

/**
 * Probes whether the running kernel loads programs of `type` (a uapi number
 * or bpftool name such as "xdp"). Cached for the life of the process.
 */
export function probeProgramType(type: number | string): ProbeResult {
  return programTypes.answer(type);
}

/** True when the running kernel can load programs of `type`. */
export function haveProgramType(type: number | string): boolean {
  return probeProgramType(type).supported;
}

/** Normalises a program type given by number or bpftool name. */
export function programTypeNumber(type: number | string): number {
  return programTypes.number(type);
}
