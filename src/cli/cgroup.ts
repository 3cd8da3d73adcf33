// `tsbpf cgroup …`: bpftool's cgroup verbs. show and tree print what
// BPF_PROG_QUERY reports, byte for byte as bpftool v7 does (plain and JSON);
// attach and detach use BPF_PROG_ATTACH / BPF_PROG_DETACH like bpftool, so
// an attachment outlives the command until it is detached.
import { existsSync, opendirSync, readFileSync, statSync } from "node:fs";
import { Args, UsageError } from "./args.js";
import type { Context, ObjectCommands } from "./command.js";
import { openOneRef, parseRef } from "./refs.js";
import { attachTypeFromName, attachTypeName, type AttachType } from "../program/types.js";
import { progAttach, progDetach } from "../sys/attach.js";
import { AttachFlags } from "../sys/attach-flags.js";
import { NotFoundError, PermissionError } from "../sys/errors.js";
import { fdById } from "../sys/objects.js";
import { progShowInfo } from "./kernel-info.js";
import { kernelBtf } from "../btf/discovery.js";
import { isCgroupAttachType } from "../link/cgroup.js";
import { cgroupAttachments, cgroupFlagsName, type CgroupAttachment } from "../link/cgroup-query.js";
import { openCgroup } from "../link/cgroup-target.js";

const GRAMMAR = `CGROUP       := the path of a cgroup v2 directory (/sys/fs/cgroup/…)
ATTACH_TYPE  := { cgroup_inet_ingress | cgroup_inet_egress | cgroup_inet_sock_create |
                  cgroup_sock_ops | cgroup_device | cgroup_inet4_bind | cgroup_inet6_bind |
                  cgroup_inet4_post_bind | cgroup_inet6_post_bind | cgroup_inet4_connect |
                  cgroup_inet6_connect | cgroup_unix_connect | cgroup_inet4_getpeername |
                  cgroup_inet6_getpeername | cgroup_unix_getpeername | cgroup_inet4_getsockname |
                  cgroup_inet6_getsockname | cgroup_unix_getsockname | cgroup_udp4_sendmsg |
                  cgroup_udp6_sendmsg | cgroup_unix_sendmsg | cgroup_udp4_recvmsg |
                  cgroup_udp6_recvmsg | cgroup_unix_recvmsg | cgroup_sysctl | cgroup_getsockopt |
                  cgroup_setsockopt | cgroup_inet_sock_release | lsm_cgroup }
ATTACH_FLAGS := { multi | override }
PROG         := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }
OPTIONS      := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }

'effective' lists the programs that run in the cgroup, inherited ones included.
Without ATTACH_FLAGS the program is exclusive: no sub-cgroup may attach to that hook.
An attachment stays until 'cgroup detach' (bpftool's semantics, not a link).`;

/** Where cgroup v2 is mounted: the first cgroup2 entry of /proc/mounts, as bpftool finds it. */
function cgroup2Root(): string {
  for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
    const fields = line.split(" ");
    if (fields[2] === "cgroup2" && fields[1]) return fields[1].replace(/\\040/g, " ");
  }
  throw new NotFoundError("no cgroup v2 hierarchy is mounted (mount -t cgroup2 none /sys/fs/cgroup)");
}

const pad = (s: string | number, width: number): string => String(s).padEnd(width);

function header(effective: boolean): string {
  return effective ? `${pad("ID", 8)} ${pad("AttachType", 15)} ${pad("Name", 15)}` : `${pad("ID", 8)} ${pad("AttachType", 15)} ${pad("AttachFlags", 15)} ${pad("Name", 15)}`;
}

let vmlinuxNames: ((id: number) => string | undefined) | undefined;

/** The name of an lsm_cgroup program's target function, when kernel BTF has it ("" for other programs). */
function attachBtfName(a: CgroupAttachment): string | undefined {
  if (a.attachBtfId === 0) return "";
  vmlinuxNames ??= (() => {
    try {
      const btf = kernelBtf();
      return (id: number) => btf.typeById(id).name;
    } catch {
      return () => undefined;
    }
  })();
  try {
    return vmlinuxNames(a.attachBtfId);
  } catch {
    return undefined;
  }
}

/** The program's full name as bpftool prints it (from BTF when the kernel's 15 characters cut it). */
function fullName(a: CgroupAttachment): string {
  try {
    using fd = fdById("prog", a.progId);
    return progShowInfo(fd).name;
  } catch (e) {
    if (e instanceof NotFoundError) return a.progName; // gone meanwhile
    throw e;
  }
}

function plainEntry(a: CgroupAttachment, effective: boolean, indent: boolean): string {
  const flags = effective ? "" : ` ${pad(cgroupFlagsName(a.attachFlags), 15)}`;
  const btfName = attachBtfName(a);
  const tail = btfName !== undefined ? ` ${pad(btfName, 15)}` : ` attach_btf_obj_id=${a.attachBtfObjId} attach_btf_id=${a.attachBtfId}`;
  return `${indent ? "    " : ""}${pad(a.progId, 8)} ${pad(attachTypeName(a.attachType), 15)}${flags} ${pad(fullName(a), 15)}${tail}`;
}

function jsonEntry(a: CgroupAttachment, effective: boolean): Record<string, unknown> {
  return {
    id: a.progId,
    attach_type: attachTypeName(a.attachType),
    ...(effective ? {} : { attach_flags: cgroupFlagsName(a.attachFlags) }),
    name: fullName(a),
    attach_btf_name: attachBtfName(a) ?? "",
    attach_btf_obj_id: a.attachBtfObjId,
    attach_btf_id: a.attachBtfId,
  };
}

function acceptEffective(args: Args): boolean {
  const effective = args.remaining > 0 && args.accept("effective");
  args.end();
  return effective;
}

function show(args: Args, ctx: Context): void {
  const path = args.next("CGROUP");
  const effective = acceptEffective(args);
  const entries = cgroupAttachments(path, { effective });
  // bpftool prints no header and no [] for a cgroup without programs (in JSON, only its closing newline).
  if (entries.length === 0) {
    if (ctx.out.json) ctx.out.line();
    return;
  }
  if (ctx.out.json) {
    ctx.out.jsonValue(entries.map((a) => jsonEntry(a, effective)));
    return;
  }
  ctx.out.line(header(effective));
  for (const a of entries) ctx.out.line(plainEntry(a, effective, false));
}

/** Every cgroup directory under `root`, parent before children, in directory order, without crossing mounts (nftw's walk). */
function* cgroupDirs(root: string, level = 0, device = statSync(root).dev): Generator<{ path: string; level: number }> {
  yield { path: root, level };
  let dir;
  try {
    dir = opendirSync(root);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return; // removed while walking
    throw e;
  }
  try {
    for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) {
      if (!entry.isDirectory()) continue;
      const path = `${root}/${entry.name}`;
      if (statSync(path).dev !== device) continue;
      yield* cgroupDirs(path, level + 1, device);
    }
  } finally {
    dir.closeSync();
  }
}

function tree(args: Args, ctx: Context): void {
  // As in bpftool, a first word is always the root: 'tree effective' walks a directory named "effective".
  const root = args.remaining ? args.next("CGROUP_ROOT") : cgroup2Root();
  const effective = acceptEffective(args);
  const json: Record<string, unknown>[] = [];
  if (!ctx.out.json) ctx.out.line(`CgroupPath\n${header(effective)}`);
  if (!existsSync(root)) throw new NotFoundError(`can't iterate over ${root}: No such file or directory`);
  for (const { path, level } of cgroupDirs(root)) {
    let entries: CgroupAttachment[];
    try {
      entries = cgroupAttachments(path, { effective });
    } catch (e) {
      if (e instanceof NotFoundError || e instanceof PermissionError) continue; // gone, or not ours to read
      throw e;
    }
    if (entries.length === 0) continue;
    if (ctx.out.json) json.push({ cgroup: path, programs: entries.map((a) => jsonEntry(a, effective)) });
    else {
      ctx.out.line(path);
      for (const a of entries) ctx.out.line(plainEntry(a, effective, level > 0));
    }
  }
  if (ctx.out.json) ctx.out.jsonValue(json);
}

function cgroupAttachType(args: Args): AttachType {
  const word = args.next("ATTACH_TYPE");
  const type = attachTypeFromName(word);
  if (type === undefined || !isCgroupAttachType(type)) throw new UsageError(`invalid attach type '${word}'`, args.topic);
  return type;
}

function attachOrDetach(args: Args, ctx: Context, attach: boolean): void {
  const path = args.next("CGROUP");
  const attachType = cgroupAttachType(args);
  const ref = parseRef(args, "prog");
  let flags = 0;
  if (attach) {
    while (args.remaining) {
      const w = args.next("ATTACH_FLAGS");
      if (w === "multi") flags |= AttachFlags.ALLOW_MULTI;
      else if (w === "override") flags |= AttachFlags.ALLOW_OVERRIDE;
      else throw new UsageError(`unknown option: ${w}`, args.topic);
    }
  }
  args.end();
  const cgroup = openCgroup(path);
  try {
    using prog = openOneRef("prog", ref);
    if (attach) progAttach({ targetFd: cgroup.fd, progFd: prog, attachType, flags });
    else {
      try {
        progDetach({ targetFd: cgroup.fd, progFd: prog, attachType });
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
        throw new NotFoundError(`failed to detach program: it is not attached to ${cgroup.name} as ${attachTypeName(attachType)}`, { operation: "BPF_PROG_DETACH", errno: e.errno });
      }
    }
  } finally {
    cgroup.fd.close();
  }
  if (ctx.out.json) ctx.out.jsonValue(null);
}

/** The `cgroup` object of the CLI. */
export const cgroupCommands: ObjectCommands = {
  name: "cgroup",
  summary: "show, attach and detach the programs of cgroups",
  grammar: GRAMMAR,
  commands: [
    { name: "show", synopsis: "{ show | list } CGROUP [effective]", examples: ["tsbpf cgroup show /sys/fs/cgroup/unified/app"], run: show },
    { name: "list", synopsis: "{ show | list } CGROUP [effective]", examples: ["tsbpf -j cgroup list /sys/fs/cgroup/unified/app effective"], run: show },
    { name: "tree", synopsis: "tree [CGROUP_ROOT] [effective]", examples: ["tsbpf cgroup tree", "tsbpf -j cgroup tree /sys/fs/cgroup/unified/app"], run: tree },
    {
      name: "attach",
      synopsis: "attach CGROUP ATTACH_TYPE PROG [ATTACH_FLAGS]",
      examples: ["tsbpf cgroup attach /sys/fs/cgroup/unified/app cgroup_inet4_connect pinned /sys/fs/bpf/connect4 multi"],
      run: (args, ctx) => attachOrDetach(args, ctx, true),
    },
    {
      name: "detach",
      synopsis: "detach CGROUP ATTACH_TYPE PROG",
      examples: ["tsbpf cgroup detach /sys/fs/cgroup/unified/app cgroup_inet4_connect pinned /sys/fs/bpf/connect4"],
      run: (args, ctx) => attachOrDetach(args, ctx, false),
    },
  ],
};
