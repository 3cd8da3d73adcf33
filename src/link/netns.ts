// Programs that attach to a network namespace as a whole: sk_lookup (picks
// the socket for new connections and packets, Linux 5.9) and flow_dissector
// (replaces the kernel's flow dissector, Linux 4.20), through a netns BPF
// link (Linux 5.8); flow_dissector falls back to BPF_PROG_ATTACH, which acts
// on the caller's own network namespace only.
import { constants, openSync, readlinkSync } from "node:fs";
import type { Program } from "../program/program.js";
import { AttachType, ProgramType, attachTypeName } from "../program/types.js";
import { sectionType } from "../object/section-types.js";
import { linkCreate } from "../sys/link.js";
import { progAttach, progDetach } from "../sys/attach.js";
import { FD } from "../sys/fd.js";
import { BadFdError, InvalidArgumentError, NotFoundError, PermissionError } from "../sys/errors.js";
import { Link } from "./link.js";
import { HeldProgram } from "./held-program.js";
import { linkOrProgAttach, noLinkSupport, type AttachMethod } from "./link-or-attach.js";
import { checkAttachable } from "./program-check.js";
import { describeTargetRef, dupCallerFd } from "./own-fd.js";

/** A network namespace: a path (/var/run/netns/NAME, /proc/PID/ns/net) or an fd of one. */
export type NetnsRef = string | FD | number;

/** Options of {@link attachNetns}. */
export interface NetnsOptions {
  /** The namespace; default: the caller's (/proc/self/ns/net). */
  netns?: NetnsRef;
  /**
   * "auto" (default): a netns BPF link, or (flow_dissector only) BPF_PROG_ATTACH
   * on kernels without them (before 5.8); "link" / "attach" force one.
   * PROG_ATTACH acts on the caller's namespace, so it cannot take `netns`.
   */
  method?: AttachMethod;
}

const hooks: ReadonlyMap<ProgramType, AttachType> = new Map([
  [ProgramType.SkLookup, AttachType.SkLookup],
  [ProgramType.FlowDissector, AttachType.FlowDissector],
]);

/** The netns attach type a SEC() name implies ("sk_lookup", "flow_dissector"), or undefined. */
export function netnsOfSection(sectionName: string): AttachType | undefined {
  const t = sectionType(sectionName.replace(/^\?/, ""))?.expectedAttachType;
  return t === AttachType.SkLookup || t === AttachType.FlowDissector ? t : undefined;
}

function openNetns(ref: NetnsRef | undefined): { fd: FD; name: string } {
  const netns = ref === undefined ? { fd: openNetnsPath("/proc/self/ns/net"), name: "this process's netns" }
    : typeof ref === "string" ? { fd: openNetnsPath(ref), name: `netns ${ref}` }
    : { fd: dupCallerFd(ref, "netns fd"), name: `netns fd ${ref instanceof FD ? ref.raw : ref}` };
  // A namespace file reads as "net:[INODE]" through /proc/self/fd; the kernel would only say EINVAL.
  let kind: string;
  try {
    kind = readlinkSync(`/proc/self/fd/${netns.fd.raw}`);
  } catch {
    kind = "net:"; // no procfs to ask: let the kernel judge
  }
  if (!kind.startsWith("net:")) {
    netns.fd.close();
    throw new InvalidArgumentError(`${netns.name} is not a network namespace (it is ${kind})`, "netns");
  }
  return netns;
}

function openNetnsPath(path: string): FD {
  try {
    return new FD(openSync(path, constants.O_RDONLY), "netns fd");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new NotFoundError(`network namespace ${path} does not exist`);
    if (code === "EACCES" || code === "EPERM") throw new PermissionError(`cannot open network namespace ${path}: ${code}`);
    throw e;
  }
}

/**
 * Attaches an sk_lookup or flow_dissector program to a network namespace
 * (default: the caller's). Errors: InvalidArgumentError for a program of
 * another type or a file that is no network namespace, NotFoundError for a
 * missing one, BusyError when a flow dissector is already attached there,
 * ClosedError for a closed program. Nothing stays attached or open on failure.
 */
export function attachNetns(program: Program, options: NetnsOptions = {}): Link {
  const where = options.netns === undefined ? "this process's netns" : `netns ${describeTargetRef(options.netns)}`;
  checkAttachable(program, [...hooks.keys()], `a netns hook of ${where}`, "an sk_lookup or flow_dissector program (SEC(\"sk_lookup\"), SEC(\"flow_dissector\"))");
  const attachType = hooks.get(program.type)!;
  const method = options.method ?? "auto";
  if (method === "attach" && options.netns !== undefined) {
    throw new InvalidArgumentError("BPF_PROG_ATTACH acts on the caller's network namespace: omit netns, or use method 'link'", "netns");
  }
  if (method === "attach" && attachType !== AttachType.FlowDissector) {
    throw new InvalidArgumentError(`${attachTypeName(attachType)} attaches only with a netns link (Linux 5.9)`, "method");
  }
  const netns = openNetns(options.netns);
  const target = `${attachTypeName(attachType)} on ${netns.name}`;
  try {
    // Only a flow dissector in the caller's own namespace has a PROG_ATTACH to fall back to.
    return linkOrProgAttach(
      method,
      () => new Link({ link: linkCreate({ progFd: program.fd, targetFd: netns.fd, attachType }), target }),
      () => attachFlowDissectorToOwnNetns(program, target),
      (e) => attachType === AttachType.FlowDissector && options.netns === undefined && noLinkSupport(e),
    );
  } catch (e) {
    if (e instanceof BadFdError) throw new InvalidArgumentError(`${netns.name} is not a network namespace (${e.message})`, "netns");
    throw e;
  } finally {
    netns.fd.close();
  }
}

/** BPF_PROG_ATTACH of a flow dissector: one per namespace, replaced by the next attach, detached by PROG_DETACH. */
function attachFlowDissectorToOwnNetns(program: Program, target: string): Link {
  const attachType = AttachType.FlowDissector;
  // The kernel ignores the target fd and uses the caller's netns; 0 is what libbpf passes.
  const ownNetns = { targetFd: undefined, targetIfindex: 0 };
  const held = HeldProgram.attach(program, (progFd) => progAttach({ ...ownNetns, progFd, attachType }));
  return new Link({
    target,
    detach: () => progDetach({ ...ownNetns, progFd: held.fd, attachType }),
    update: (next) => {
      checkAttachable(next, [ProgramType.FlowDissector], target, "a flow_dissector program");
      held.replace(next, (progFd) => progAttach({ ...ownNetns, progFd, attachType }));
    },
    release: () => held.close(),
  });
}
