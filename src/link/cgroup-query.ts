// What is attached to a cgroup: every cgroup hook queried with
// BPF_PROG_QUERY, in attach-type order, with the name and attach target of
// each program — what `bpftool cgroup show` prints, for the CLI and for
// callers that want to look before they attach.
import { AttachType } from "../program/types.js";
import { readProgramInfo } from "../program/info.js";
import { progQuery } from "../sys/attach.js";
import { AttachFlags, QueryFlags } from "../sys/attach-flags.js";
import { fdById } from "../sys/objects.js";
import { InvalidArgumentError, NotFoundError } from "../sys/errors.js";
import { isCgroupAttachType } from "./cgroup.js";
import { openCgroup, type CgroupRef } from "./cgroup-target.js";

/** One program attached to a cgroup. */
export interface CgroupAttachment {
  attachType: AttachType;
  /** The hook's BPF_F_ALLOW_* flags (0 for effective queries, where they do not apply). */
  attachFlags: number;
  progId: number;
  /** The kernel's name of the program (15 characters at most). */
  progName: string;
  /** BTF object and type id of the program's attach target (lsm_cgroup); 0 for the others. */
  attachBtfObjId: number;
  attachBtfId: number;
}

/** Every cgroup attach type, ascending. */
const cgroupAttachTypes: readonly AttachType[] = Array.from({ length: 64 }, (_, i) => i).filter(isCgroupAttachType);

/**
 * The programs attached to `cgroup` (path or fd), hook by hook in attach-type
 * order; with `effective`, the ones that run there, inherited ones included.
 * Hooks this kernel does not know are skipped; programs that go away while
 * listing are left out.
 */
export function cgroupAttachments(cgroup: CgroupRef, options: { effective?: boolean } = {}): CgroupAttachment[] {
  const { fd } = openCgroup(cgroup);
  try {
    const out: CgroupAttachment[] = [];
    for (const attachType of cgroupAttachTypes) {
      let q;
      try {
        q = progQuery({ targetFd: fd, attachType, queryFlags: options.effective ? QueryFlags.EFFECTIVE : 0 });
      } catch (e) {
        if (e instanceof InvalidArgumentError) continue; // an attach type this kernel does not have
        throw e;
      }
      for (const progId of q.progIds) {
        const entry = describe(progId, attachType, options.effective ? 0 : q.attachFlags);
        if (entry) out.push(entry);
      }
    }
    return out;
  } finally {
    fd.close();
  }
}

function describe(progId: number, attachType: AttachType, attachFlags: number): CgroupAttachment | undefined {
  try {
    using prog = fdById("prog", progId);
    const info = readProgramInfo(prog, { instructions: false });
    return { attachType, attachFlags, progId, progName: info.name, attachBtfObjId: info.attachBtfObjId, attachBtfId: info.attachBtfId };
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
}

/** bpftool's word for a cgroup hook's flags: "multi", "override", "" or "unknown(HEX)". */
export function cgroupFlagsName(flags: number): string {
  if (flags === AttachFlags.ALLOW_MULTI) return "multi";
  if (flags === AttachFlags.ALLOW_OVERRIDE) return "override";
  if (flags === 0) return "";
  return `unknown(${flags.toString(16)})`;
}
