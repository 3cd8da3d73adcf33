// Turning an object's program into a ProgramSpec for BPF_PROG_LOAD: host-order
// instructions, func_info/line_info records against the loaded program BTF,
// and the attach target's BTF id for tracing, LSM and iterator programs.
import type { Btf } from "../btf/btf.js";
import type { ObjectProgramSpec } from "../object/program-spec.js";
import { AttachType, ProgramType, type ProgramSpec } from "../program/index.js";
import type { FD } from "../sys/fd.js";
import { InvalidArgumentError, NotFoundError } from "../sys/errors.js";
import type { AttachTarget } from "../program/attach-target.js";
import { haveUprobeMultiLink } from "../features/uprobe-multi-link.js";

/** Resolves strings of the object's BTF to their offsets (line info carries text, the kernel wants offsets). */
export class StringOffsets {
  readonly #btf: Btf;
  readonly #cache = new Map<string, number>();
  constructor(btf: Btf) {
    this.#btf = btf;
  }
  get(text: string): number {
    let off = this.#cache.get(text);
    if (off === undefined) {
      off = this.#btf.strings.offsetsOf(text)[0] ?? 0;
      this.#cache.set(text, off);
    }
    return off;
  }
}

/** struct bpf_func_info records (8 bytes: insn_off, type_id). */
export function funcInfoRecords(program: ObjectProgramSpec): Uint8Array {
  const out = new Uint8Array(program.funcInfos.length * 8);
  const view = new DataView(out.buffer);
  program.funcInfos.forEach((f, i) => {
    view.setUint32(i * 8, f.slot, true);
    view.setUint32(i * 8 + 4, f.typeId, true);
  });
  return out;
}

/** struct bpf_line_info records (16 bytes: insn_off, file_name_off, line_off, line << 10 | col). */
export function lineInfoRecords(program: ObjectProgramSpec, strings: StringOffsets): Uint8Array {
  const out = new Uint8Array(program.lineInfos.length * 16);
  const view = new DataView(out.buffer);
  program.lineInfos.forEach((l, i) => {
    const at = i * 16;
    view.setUint32(at, l.slot, true);
    view.setUint32(at + 4, strings.get(l.fileName), true);
    view.setUint32(at + 8, strings.get(l.lineText), true);
    view.setUint32(at + 12, ((l.line << 10) | (l.column & 0x3ff)) >>> 0, true);
  });
  return out;
}

/**
 * The vmlinux BTF id a tracing/LSM/iterator program attaches to, as libbpf
 * finds it: `btf_trace_<tp>` typedefs for tp_btf, the function for
 * fentry/fexit/fmod_ret, `bpf_lsm_<hook>` for LSM, `bpf_iter_<name>` for iterators.
 */
export function attachBtfId(program: ObjectProgramSpec, vmlinux: () => Btf): number | undefined {
  const type = program.type;
  if (type !== ProgramType.Tracing && type !== ProgramType.LSM) return undefined;
  const target = program.attachTo;
  if (!target) return undefined; // SEC("fentry") without a target: attached later by the user.
  let name: string;
  let kind: "TYPEDEF" | "FUNC";
  switch (program.expectedAttachType) {
    case AttachType.TraceRawTp: name = `btf_trace_${target}`; kind = "TYPEDEF"; break;
    case AttachType.TraceIter: name = `bpf_iter_${target}`; kind = "FUNC"; break;
    case AttachType.LSMMac: case AttachType.LSMCgroup: name = `bpf_lsm_${target}`; kind = "FUNC"; break;
    default: name = target; kind = "FUNC";
  }
  const found = vmlinux().typesByName(name, kind)[0];
  if (!found) {
    const bpfTarget = program.type === ProgramType.Tracing && kind === "FUNC" && program.expectedAttachType !== AttachType.TraceIter
      ? `; to trace a function of a loaded BPF program instead, give that program with Collection.load's option \`attachTargets: { ${program.name}: { program } }\`,`
        + ` or retarget it to a kernel function before load: \`spec.program("${program.name}").attachTo = "vfs_read"\``
      : "";
    throw new NotFoundError(`program '${program.name}' (SEC("${program.sectionName}")): attach target ${kind.toLowerCase()} '${name}' is not in the kernel's BTF${bpfTarget}`);
  }
  return found.id;
}

/**
 * The expected attach type a USDT program without one is loaded with:
 * TraceUprobeMulti where the kernel has uprobe_multi links (libbpf's choice),
 * unless the program opted out with `usdtUprobeMulti = false`.
 */
function usdtAttachType(program: ObjectProgramSpec): AttachType | 0 {
  const usdt = program.section?.usdt === true && program.type === ProgramType.Kprobe;
  return usdt && program.usdtUprobeMulti && haveUprobeMultiLink() ? AttachType.TraceUprobeMulti : 0;
}

/** Everything BPF_PROG_LOAD needs for one relocated program. */
export function loadSpecFor(
  program: ObjectProgramSpec, code: Uint8Array, btfFd: FD | undefined, strings: StringOffsets | undefined, attachId: number | undefined,
): ProgramSpec {
  const spec: ProgramSpec = {
    type: program.type, instructions: code, license: program.license, name: program.name, sectionName: program.sectionName,
  };
  const attachType = program.expectedAttachType || usdtAttachType(program);
  if (attachType !== 0) spec.expectedAttachType = attachType;
  if (program.flags) spec.flags = program.flags;
  if (program.kernelVersion !== undefined) spec.kernelVersion = program.kernelVersion;
  if (attachId !== undefined) spec.attachBtfId = attachId;
  if (btfFd && strings && program.funcInfos.length > 0) {
    spec.btfFd = btfFd;
    spec.funcInfo = funcInfoRecords(program);
    if (program.lineInfos.length > 0) spec.lineInfo = lineInfoRecords(program, strings);
  }
  return spec;
}

/**
 * The attach targets of the programs to load, checked before anything is
 * created: every key names a program of the object, targets are given only to
 * programs that take one (freplace, fentry/fexit), and every freplace program
 * has one — without it the kernel has nothing to verify it against. A target
 * without a function takes it from the SEC() name.
 */
export function programAttachTargets(
  selected: readonly ObjectProgramSpec[], all: ReadonlyMap<string, ObjectProgramSpec>,
  given: ReadonlyMap<string, AttachTarget> | Readonly<Record<string, AttachTarget>> | undefined,
): Map<string, AttachTarget> {
  const targets = given instanceof Map ? given : new Map(Object.entries(given ?? {}));
  const out = new Map<string, AttachTarget>();
  for (const [name, target] of targets) {
    const p = all.get(name);
    if (!p) throw new NotFoundError(`attachTargets names program '${name}', which the object does not have (it has: ${[...all.keys()].join(", ")})`);
    if (p.type !== ProgramType.Ext && p.type !== ProgramType.Tracing) {
      throw new InvalidArgumentError(`attachTargets: program '${name}' (SEC("${p.sectionName}")) is not a freplace or fentry/fexit program, so it takes no target program`, "attachTargets");
    }
    out.set(name, { function: p.attachTo, ...target });
  }
  for (const p of selected) {
    if (p.type !== ProgramType.Ext || out.has(p.name)) continue;
    throw new InvalidArgumentError(
      `freplace program '${p.name}' (SEC("${p.sectionName}")) needs a target, the loaded program whose function it replaces: ` +
        `give it with Collection.load's option \`attachTargets: { ${p.name}: { program, function } }\` ` +
        "(program: a loaded Program or its fd; function: its name in that program's BTF, by default the one in the SEC() name), " +
        "or leave the program out with the `programs` option. `tsbpf prog load` cannot give a target (nor can bpftool's)",
      "attachTargets",
    );
  }
  return out;
}
