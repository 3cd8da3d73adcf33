// Cgroup programs (cgroup_skb, cgroup_sock, cgroup_sock_addr, sock_ops,
// cgroup_device, cgroup_sysctl, cgroup_sockopt, lsm_cgroup) attached to a
// cgroup v2 directory: a cgroup BPF link (Linux 5.7), or BPF_PROG_ATTACH
// with the multi/override/exclusive flags on older kernels and when those
// flags are asked for. The program then runs for every process in the cgroup
// and its descendants.
import type { Program } from "../program/program.js";
import { AttachType, ProgramType, attachTypeName } from "../program/types.js";
import { sectionType } from "../object/section-types.js";
import { linkCreate } from "../sys/link.js";
import { progAttach, progDetach } from "../sys/attach.js";
import { AttachFlags } from "../sys/attach-flags.js";
import { BadFdError, InvalidArgumentError, NotFoundError } from "../sys/errors.js";
import { Link } from "./link.js";
import { HeldProgram } from "./held-program.js";
import { linkOrProgAttach, type AttachMethod } from "./link-or-attach.js";
import { checkAttachable } from "./program-check.js";
import { openCgroup, type CgroupRef, type OpenCgroup } from "./cgroup-target.js";
import { describeTargetRef } from "./own-fd.js";

/** How programs of one attach type share a cgroup with BPF_PROG_ATTACH (bpftool's `multi`, `override`, nothing). */
export type CgroupAttachMode = "multi" | "override" | "exclusive";

/** Options of {@link attachCgroup}. */
export interface CgroupOptions {
  /** The cgroup: the path of its cgroup v2 directory, or an fd of that directory (duplicated, stays yours). */
  cgroup: CgroupRef;
  /** The hook; default: the expected attach type of the program's SEC() name ("cgroup/connect4" → CgroupInet4Connect). */
  attachType?: AttachType;
  /**
   * "auto" (default): a cgroup BPF link, or BPF_PROG_ATTACH on kernels
   * without them (before 5.7); "link" / "attach" force one.
   */
  method?: AttachMethod;
  /**
   * BPF_PROG_ATTACH only: "multi" (default, BPF_F_ALLOW_MULTI: programs of
   * parents and children all run), "override" (BPF_F_ALLOW_OVERRIDE: a
   * program in a sub-cgroup replaces this one there), "exclusive" (no flag:
   * no sub-cgroup may attach). Links always behave as "multi", so the other
   * two imply method "attach".
   */
  mode?: CgroupAttachMode;
  /** BPF_PROG_ATTACH with BPF_F_REPLACE (multi mode, Linux 5.6): take the place of this attached program atomically. */
  replace?: Program;
}

const P = ProgramType;
const A = AttachType;
/** The program type each cgroup attach type runs. */
const cgroupHooks: ReadonlyMap<AttachType, ProgramType> = new Map<AttachType, ProgramType>([
  [A.CgroupInetIngress, P.CgroupSKB], [A.CgroupInetEgress, P.CgroupSKB],
  [A.CgroupInetSockCreate, P.CgroupSock], [A.CgroupInetSockRelease, P.CgroupSock],
  [A.CgroupInet4PostBind, P.CgroupSock], [A.CgroupInet6PostBind, P.CgroupSock],
  [A.CgroupInet4Bind, P.CgroupSockAddr], [A.CgroupInet6Bind, P.CgroupSockAddr],
  [A.CgroupInet4Connect, P.CgroupSockAddr], [A.CgroupInet6Connect, P.CgroupSockAddr],
  [A.CgroupUDP4Sendmsg, P.CgroupSockAddr], [A.CgroupUDP6Sendmsg, P.CgroupSockAddr],
  [A.CgroupUDP4Recvmsg, P.CgroupSockAddr], [A.CgroupUDP6Recvmsg, P.CgroupSockAddr],
  [A.CgroupInet4Getpeername, P.CgroupSockAddr], [A.CgroupInet6Getpeername, P.CgroupSockAddr],
  [A.CgroupInet4Getsockname, P.CgroupSockAddr], [A.CgroupInet6Getsockname, P.CgroupSockAddr],
  [A.CgroupUnixConnect, P.CgroupSockAddr], [A.CgroupUnixSendmsg, P.CgroupSockAddr],
  [A.CgroupUnixRecvmsg, P.CgroupSockAddr], [A.CgroupUnixGetpeername, P.CgroupSockAddr],
  [A.CgroupUnixGetsockname, P.CgroupSockAddr],
  [A.CgroupSockOps, P.SockOps], [A.CgroupDevice, P.CgroupDevice], [A.CgroupSysctl, P.CgroupSysctl],
  [A.CgroupGetsockopt, P.CgroupSockopt], [A.CgroupSetsockopt, P.CgroupSockopt],
  [A.LSMCgroup, P.LSM],
]);

const cgroupProgramTypes = [...new Set(cgroupHooks.values())];

/** True when `attachType` attaches to a cgroup. */
export function isCgroupAttachType(attachType: number): attachType is AttachType {
  return cgroupHooks.has(attachType);
}

/**
 * The cgroup attach type a SEC() name implies ("cgroup/connect4" →
 * CgroupInet4Connect, "cgroup_skb/egress", "sockops", "cgroup/dev",
 * "lsm_cgroup/…"), or undefined for names that imply none ("cgroup/skb") or
 * are not cgroup programs. The cgroup itself is never in the name: libbpf does
 * not auto-attach these programs.
 */
export function cgroupOfSection(sectionName: string): AttachType | undefined {
  const section = sectionType(sectionName.replace(/^\?/, ""));
  if (!section) return undefined;
  // Attach type 0 is both "none" in the table and cgroup_inet_ingress: only cgroup_skb/ingress means the latter.
  const t = section.expectedAttachType;
  if (t === 0 && section.pattern !== "cgroup_skb/ingress") return undefined;
  return isCgroupAttachType(t) ? t : undefined;
}

const modeFlags: Readonly<Record<CgroupAttachMode, number>> = {
  multi: AttachFlags.ALLOW_MULTI, override: AttachFlags.ALLOW_OVERRIDE, exclusive: 0,
};

function resolveAttachType(program: Program, given: AttachType | undefined): AttachType {
  if (given !== undefined) {
    if (!isCgroupAttachType(given)) {
      throw new InvalidArgumentError(`attach type ${attachTypeName(given)} is not a cgroup hook (cgroup_inet_egress, cgroup_inet4_connect, …)`, "attachType");
    }
    return given;
  }
  const fromSection = program.sectionName === undefined ? undefined : cgroupOfSection(program.sectionName);
  if (fromSection !== undefined) return fromSection;
  const where = program.sectionName === undefined ? "it was not loaded from an object" : `its SEC("${program.sectionName}") names none`;
  throw new InvalidArgumentError(`program '${program.name}': give attachType, the cgroup hook to attach to (${where})`, "attachType");
}

function resolveMethod(options: CgroupOptions): AttachMethod {
  const method = options.method ?? "auto";
  const needsAttach = (options.mode !== undefined && options.mode !== "multi") || options.replace !== undefined;
  if (!needsAttach) return method;
  if (method === "link") {
    throw new InvalidArgumentError("cgroup links always allow several programs: mode 'override'/'exclusive' and replace need method 'attach'", "method");
  }
  return "attach";
}

/** A cgroup that the kernel refuses as a target (EBADF) is no cgroup v2 directory: say so. */
function explainTarget(e: unknown, cgroup: OpenCgroup): unknown {
  if (e instanceof BadFdError) {
    return new InvalidArgumentError(`${cgroup.name} is not a cgroup v2 directory (the kernel refused it: ${e.message})`, "cgroup");
  }
  return e;
}

/**
 * Attaches a cgroup program to a cgroup v2 directory for one hook (options.
 * attachType, default from the SEC() name). Errors: InvalidArgumentError for
 * a program of another type, an attach type of another program type or a
 * directory that is not a cgroup v2 one; NotFoundError for a missing cgroup;
 * ClosedError for a closed program; PermissionError when an exclusive program
 * is attached above. Nothing stays attached or open on failure.
 */
export function attachCgroup(program: Program, options: CgroupOptions): Link {
  const method = resolveMethod(options);
  const requested = options.attachType === undefined ? "a cgroup hook" : attachTypeName(options.attachType);
  checkAttachable(program, cgroupProgramTypes, `${requested} on cgroup ${describeTargetRef(options.cgroup)}`, "a cgroup program (SEC(\"cgroup…\"), \"sockops\" …)");
  const attachType = resolveAttachType(program, options.attachType);
  const expected = cgroupHooks.get(attachType)!;
  if (program.type !== expected) {
    checkAttachable(program, [expected], `${attachTypeName(attachType)} on cgroup ${describeTargetRef(options.cgroup)}`, `a program of that type`);
  }
  const cgroup = openCgroup(options.cgroup);
  const target = `${attachTypeName(attachType)} on ${cgroup.name}`;
  try {
    return linkOrProgAttach(method, () => {
      const link = linkCreate({ progFd: program.fd, targetFd: cgroup.fd, attachType });
      cgroup.fd.close();
      return new Link({ link, target });
    }, () => attachWithProgAttach(program, cgroup, attachType, options, target));
  } catch (e) {
    cgroup.fd.close();
    throw explainTarget(e, cgroup);
  }
}

/** BPF_PROG_ATTACH; the Link keeps the cgroup fd and its own program fd so that it can detach (and update) later. */
function attachWithProgAttach(program: Program, cgroup: OpenCgroup, attachType: AttachType, options: CgroupOptions, target: string): Link {
  const flags = modeFlags[options.mode ?? "multi"];
  const held = HeldProgram.attach(program, (progFd) => progAttach({
    targetFd: cgroup.fd, progFd, attachType, flags,
    ...(options.replace ? { replaceProgFd: options.replace.fd } : {}),
  }));
  return new Link({
    target,
    others: [cgroup.fd],
    detach: () => {
      try {
        progDetach({ targetFd: cgroup.fd, progFd: held.fd, attachType });
      } catch (e) {
        // Someone else (bpftool cgroup detach) already took it off: nothing left to undo.
        if (!(e instanceof NotFoundError)) throw e;
      }
    },
    // Multi: BPF_F_REPLACE swaps in place; override/exclusive: attaching again replaces the one program.
    update: (next, oldProgram) => held.replace(next, (progFd) => progAttach({
      targetFd: cgroup.fd, progFd, attachType, flags,
      ...(flags === AttachFlags.ALLOW_MULTI ? { replaceProgFd: oldProgram?.fd ?? held.fd } : {}),
    })),
    release: () => held.close(),
  });
}
