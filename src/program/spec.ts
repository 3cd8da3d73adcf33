// ProgramSpec: everything BPF_PROG_LOAD needs, as plain data. Building one
// does no syscalls; Program.load turns it into a live program.
import type { FD } from "../sys/fd.js";
import { InvalidArgumentError } from "../sys/errors.js";
import { ProgramType, type AttachType } from "./types.js";
import type { AttachTarget } from "./attach-target.js";
import { describeValue } from "../sys/arguments.js";

/** Size of one raw BPF instruction (struct bpf_insn). */
export const INSTRUCTION_SIZE = 8;
/** The kernel's limit on a program name (BPF_OBJ_NAME_LEN − 1 for the NUL). */
export const MAX_PROGRAM_NAME = 15;

/** A program ready to be loaded: its type, instructions and load attributes. */
export interface ProgramSpec {
  /** The program type. */
  type: ProgramType;
  /** Raw instructions, 8 bytes each, in the host byte order. */
  instructions: Uint8Array;
  /** License string; helpers marked GPL-only need a GPL-compatible one ("GPL", "Dual MIT/GPL" …). */
  license: string;
  /** Name shown by bpftool; characters of [A-Za-z0-9_.]. The kernel keeps 15 (longer names are cut); errors show it whole. */
  name?: string;
  /** LINUX_VERSION_CODE; only kprobe programs on kernels before 5.0 check it. */
  kernelVersion?: number;
  /** {@link ProgramFlags} bits. */
  flags?: number;
  /** Attach type the program will be used with (needed by cgroup, tracing, lsm … programs). */
  expectedAttachType?: AttachType;
  /** BTF id of the attach target (fentry/fexit/lsm/tp_btf/struct_ops/ext). */
  attachBtfId?: number;
  /** Kernel module BTF that `attachBtfId` refers to (Linux 5.11); omit for vmlinux. */
  attachBtfObjFd?: FD;
  /** Target program of freplace/fentry-on-BPF (shares the attr slot with attachBtfObjFd). */
  attachProgFd?: FD;
  /** ifindex of the device an offloaded or dev-bound program is for. */
  ifindex?: number;
  /** Program BTF, required when func info or line info are given. */
  btfFd?: FD;
  /** struct bpf_func_info records (Linux 5.0). */
  funcInfo?: Uint8Array;
  /** Size of one func info record (default 8). */
  funcInfoRecordSize?: number;
  /** struct bpf_line_info records (Linux 5.0). */
  lineInfo?: Uint8Array;
  /** Size of one line info record (default 16). */
  lineInfoRecordSize?: number;
  /** fds that ld_imm64 BPF_PSEUDO_MAP_IDX / kfunc calls index into (Linux 5.14); an empty slot is passed as 0. */
  fdArray?: readonly (FD | undefined)[];
  /** SEC() name of an object's program; not sent to the kernel, kept so attach helpers can find the target. */
  sectionName?: string;
}

/** Options of Program.load. */
export interface LoadOptions {
  /**
   * Ask for the verifier log even when loading succeeds ({@link LogLevel} bits;
   * 1 = instructions, 2 = full state, 4 = stats). With 0 (the default) the
   * program is loaded without a log and only a failed load is retried with one.
   */
  logLevel?: number;
  /** First size of the log buffer in bytes (default 64 KiB); it grows until the log fits. */
  logSize?: number;
  /**
   * The function a freplace (ProgramType.Ext) program replaces, or an
   * fentry/fexit program traces, in a loaded program: sets attachProgFd and
   * attachBtfId (the function's id in that program's BTF). Freplace needs Linux 5.6.
   */
  attachTarget?: AttachTarget;
}

const nameChars = /^[A-Za-z0-9_.]*$/;

/** Checks what the kernel would reject with a bare EINVAL, so the user gets a precise error instead. */
export function validateProgramSpec(spec: ProgramSpec): void {
  if (spec === null || typeof spec !== "object") throw new InvalidArgumentError(`program spec must be an object (got ${describeValue(spec)})`, "spec");
  const what = spec.name ? `program '${spec.name}'` : "program";
  if (!Number.isInteger(spec.type) || spec.type < 0 || spec.type > 0xffff_ffff) {
    throw new InvalidArgumentError(`${what}: program type ${String(spec.type)} is not a valid number`, "type");
  }
  if (!(spec.instructions instanceof Uint8Array)) {
    throw new InvalidArgumentError(`${what}: instructions must be a Uint8Array of raw 8-byte instructions`, "instructions");
  }
  if (spec.instructions.byteLength === 0) {
    throw new InvalidArgumentError(`${what}: has no instructions`, "instructions");
  }
  if (spec.instructions.byteLength % INSTRUCTION_SIZE !== 0) {
    throw new InvalidArgumentError(
      `${what}: instructions are ${spec.instructions.byteLength} bytes, not a multiple of ${INSTRUCTION_SIZE}`,
      "instructions",
    );
  }
  if (typeof spec.license !== "string" || spec.license.includes("\0")) {
    throw new InvalidArgumentError(`${what}: license must be a string without NUL characters`, "license");
  }
  if (spec.name !== undefined && !nameChars.test(spec.name)) {
    throw new InvalidArgumentError(`${what}: a program name may only contain letters, digits, '_' and '.'`, "name");
  }
  if (spec.attachBtfObjFd && spec.attachProgFd) {
    throw new InvalidArgumentError(`${what}: attachBtfObjFd and attachProgFd are mutually exclusive`, "attachProgFd");
  }
  if (spec.type === ProgramType.Ext && !spec.attachProgFd) {
    throw new InvalidArgumentError(
      `${what}: a freplace (extension) program needs a target, the program and function it replaces: ` +
        "give it with the load option `attachTarget: { program, function }` (Program.load; Collection.load takes `attachTargets` by program name). " +
        "`tsbpf prog load` cannot give one (nor can bpftool's)",
      "attachTarget",
    );
  }
  if ((spec.funcInfo?.byteLength || spec.lineInfo?.byteLength) && !spec.btfFd) {
    throw new InvalidArgumentError(`${what}: func info and line info need btfFd`, "btfFd");
  }
}
