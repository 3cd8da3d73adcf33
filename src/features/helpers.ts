// Helper probes: load `call <helper>; exit` as a program of the given type
// and read the verifier's verdict. "invalid func", "unknown func" (older
// kernels) and "program of this type cannot use helper" (newer kernels) mean
// the helper is unavailable to that type; any other complaint (bad argument
// types, …) means the verifier knew the helper and went on to check its
// arguments, so it is available.
import { HELPER_NAMES } from "../asm/helpers.generated.js";
import { InvalidArgumentError, NotSupportedError } from "../sys/errors.js";
import { encodeProbe, Op } from "./probe-insns.js";
import { probeLoad } from "./probe-load.js";
import { programTypeName } from "./names.js";
import { needsAttachTarget, probeProgramFor, probeProgramType, programTypeNumber } from "./program-types.js";
import { SUPPORTED, unsupported, type ProbeResult } from "./result.js";

const REFUSALS = ["invalid func ", "unknown func ", "program of this type cannot use helper "];

const cache = new Map<number, ProbeResult>();
// One reusable two-instruction program; only the call's imm changes.
const program = encodeProbe([{ op: Op.CALL, imm: 0 }, { op: Op.EXIT }]);
const programView = new DataView(program.buffer, program.byteOffset, program.byteLength);

/** Number of helper ids tsbpf knows (from the kernel's enum bpf_func_id). */
export const HELPER_COUNT = HELPER_NAMES.length;

/** The C name of a helper, e.g. "bpf_map_lookup_elem". */
export function helperCName(id: number): string {
  return `bpf_${HELPER_NAMES[id] ?? `unknown#${id}`}`;
}

/**
 * Probes whether programs of `progType` may call helper `helperId`.
 * Throws NotSupportedError when the program type itself is unavailable, or
 * when it needs an attach target (tracing, ext, lsm, struct_ops), for
 * which helpers cannot be probed with a standalone program.
 */
export function probeHelper(progType: number | string, helperId: number): ProbeResult {
  const type = programTypeNumber(progType);
  if (!Number.isInteger(helperId) || helperId <= 0 || helperId > 0x7fff_ffff) {
    throw new InvalidArgumentError(`invalid helper id ${helperId}`, "helperId");
  }
  const key = type * 0x10000 + helperId;
  const hit = cache.get(key);
  if (hit) return hit;
  const typeResult = probeProgramType(type);
  if (!typeResult.supported) {
    throw new NotSupportedError(`program type ${programTypeName(type)} (${typeResult.reason})`);
  }
  if (needsAttachTarget(type)) {
    throw new NotSupportedError(`probing helpers for program type ${programTypeName(type)} (it needs an attach target)`);
  }
  programView.setInt32(4, helperId, true);
  const r = probeLoad(probeProgramFor(type, program, true));
  const result = r.loaded || !REFUSALS.some((m) => r.log.includes(m)) ? SUPPORTED : unsupported(r.errno, "the verifier refuses this helper here");
  cache.set(key, result);
  return result;
}

/** True when programs of `progType` may call helper `helperId` (see probeHelper). */
export function haveHelper(progType: number | string, helperId: number): boolean {
  return probeHelper(progType, helperId).supported;
}

/** Every helper id available to `progType`, ascending (see probeHelper for errors). */
export function availableHelpers(progType: number | string, options: { skip?: readonly number[] } = {}): number[] {
  const out: number[] = [];
  for (let id = 1; id < HELPER_COUNT; id++) {
    if (options.skip?.includes(id)) continue;
    if (probeHelper(progType, id).supported) out.push(id);
  }
  return out;
}
