// Netfilter programs (BPF_PROG_TYPE_NETFILTER, Linux 6.4) on a netfilter
// hook of the caller's network namespace, through a netfilter BPF link: the
// program sees each packet at that hook and returns NF_ACCEPT or NF_DROP.
import type { Program } from "../program/program.js";
import { AttachType, ProgramType } from "../program/types.js";
import { sectionType } from "../object/section-types.js";
import { linkCreate } from "../sys/link.js";
import { NetfilterFlags } from "../sys/attach-flags.js";
import { InvalidArgumentError } from "../sys/errors.js";
import { Link } from "./link.js";
import { checkAttachable } from "./program-check.js";

/** Protocol families of netfilter hooks (NFPROTO_*). */
export const NetfilterFamily = { IPv4: 2, IPv6: 10 } as const;

/** The IP hooks (enum nf_inet_hooks). */
export const NetfilterHook = { PreRouting: 0, LocalIn: 1, Forward: 2, LocalOut: 3, PostRouting: 4 } as const;

const familyNames: Readonly<Record<number, string>> = { 2: "ipv4", 10: "ipv6" };
const hookNames: readonly string[] = ["prerouting", "input", "forward", "output", "postrouting"];

/** Options of {@link attachNetfilter}. */
export interface NetfilterOptions {
  /** NetfilterFamily.IPv4 or IPv6. */
  family: number;
  /** One of NetfilterHook. */
  hook: number;
  /** Order among the hook's functions (lower runs first); the kernel refuses INT_MIN, INT_MAX and the conntrack-defrag extremes. */
  priority: number;
  /** Reassemble IP fragments before the program sees them (BPF_F_NETFILTER_IP_DEFRAG, Linux 6.6; priority must be above the defrag hook's). */
  defrag?: boolean;
}

/** The attach type a SEC("netfilter") name implies; the hook itself is never in the name. */
export function netfilterOfSection(sectionName: string): AttachType | undefined {
  return sectionType(sectionName.replace(/^\?/, ""))?.expectedAttachType === AttachType.Netfilter ? AttachType.Netfilter : undefined;
}

/**
 * Attaches a netfilter program to a hook of the caller's network namespace
 * (Linux 6.4). Errors: InvalidArgumentError for a program of another type, an
 * unknown family or hook, or a priority the kernel refuses; ClosedError for a
 * closed program; NotSupportedError where the kernel has no netfilter links.
 */
export function attachNetfilter(program: Program, options: NetfilterOptions): Link {
  const family = familyNames[options.family];
  const hook = hookNames[options.hook];
  const what = `netfilter ${family ?? `pf ${options.family}`} ${hook ?? `hook ${options.hook}`} priority ${options.priority}`;
  checkAttachable(program, [ProgramType.Netfilter], what, "a netfilter program (SEC(\"netfilter\"))");
  if (family === undefined) throw new InvalidArgumentError(`${what}: family must be NetfilterFamily.IPv4 (2) or IPv6 (10)`, "family");
  if (hook === undefined) throw new InvalidArgumentError(`${what}: hook must be one of NetfilterHook (0…4)`, "hook");
  if (!Number.isInteger(options.priority) || options.priority <= -(2 ** 31) || options.priority >= 2 ** 31 - 1) {
    throw new InvalidArgumentError(`${what}: priority must be an integer strictly between INT_MIN and INT_MAX`, "priority");
  }
  const link = linkCreate({
    progFd: program.fd, attachType: AttachType.Netfilter,
    netfilter: { pf: options.family, hooknum: options.hook, priority: options.priority, flags: options.defrag ? NetfilterFlags.IP_DEFRAG : 0 },
  });
  return new Link({ link, target: what });
}
