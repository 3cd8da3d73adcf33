// BPF_PROG_LOAD with the verifier log policy: load without a log first (the
// fast path: no buffer, no formatting work in the kernel); only when that
// fails, load again with a log and grow the buffer until the whole log fits.
import { Attr, stableBytes } from "../sys/attr.js";
import { cString, readCString } from "../sys/cstring.js";
import { Cmd, ProgLoadAttr } from "../sys/layouts.js";
import { bpfRaw } from "../sys/syscall.js";
import { FD } from "../sys/fd.js";
import { EAGAIN, EINVAL, ENOSPC, EPERM } from "../sys/errno.js";
import { BpfError, errorFromErrno, InvalidArgumentError, PermissionError } from "../sys/errors.js";
import { missingBpfCapabilities } from "../sys/privileges.js";
import { MAX_PROGRAM_NAME, validateProgramSpec, type LoadOptions, type ProgramSpec } from "./spec.js";
import { VerifierError } from "./verifier-error.js";
import { resolveAttachTarget, sectionTargetFunction, type ResolvedAttachTarget } from "./attach-target.js";
import { AttachType, ProgramType, programTypeName, LogLevel } from "./types.js";

/** Default first size of the verifier log buffer. */
export const DEFAULT_LOG_SIZE = 64 * 1024;
/** The kernel rejects log buffers larger than UINT_MAX >> 2 (Linux 5.2+). */
export const MAX_LOG_SIZE = 0x3fff_ffff;
// The verifier returns EAGAIN when a signal interrupts a long verification.
const MAX_EAGAIN_RETRIES = 5;

/** A loaded program's fd, its name as the kernel stores it, and its verifier log when one was asked for. */
export interface LoadedProgram {
  fd: FD;
  name: string;
  log: string | undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// Loads are synchronous and never nest: one attr buffer per thread serves them all.
const sharedAttr = new Attr(ProgLoadAttr);

// Programs use a handful of distinct licenses; keep their C strings.
const licenses = new Map<string, Uint8Array>();
function licenseBytes(license: string): Uint8Array {
  let bytes = licenses.get(license);
  if (!bytes) {
    bytes = cString(license);
    if (licenses.size < 64) licenses.set(license, bytes);
  }
  return bytes;
}

/** The program name as the kernel accepts it: cut to 15 bytes. */
function kernelName(name: string | undefined): string {
  if (!name) return "";
  const bytes = encoder.encode(name);
  return bytes.length <= MAX_PROGRAM_NAME ? name : decoder.decode(bytes.subarray(0, MAX_PROGRAM_NAME));
}

/**
 * Loads `spec` and returns the program fd. A rejected program throws
 * VerifierError with the complete log; other failures throw the typed error
 * of their errno. Uses `log_true_size` (Linux 6.4) to size the log in one
 * retry; older kernels grow the buffer fourfold per attempt.
 */
export function loadProgram(spec: ProgramSpec, options: LoadOptions = {}): LoadedProgram {
  let target: ResolvedAttachTarget | undefined;
  if (options.attachTarget !== undefined) {
    target = resolveAttachTarget(options.attachTarget, {
      defaultFunction: sectionTargetFunction(spec.sectionName),
      forWhat: `${programTypeName(spec.type)} program '${spec.name ?? ""}'`,
      extension: spec.type === ProgramType.Ext,
    });
    spec = { ...spec, attachProgFd: target.programFd, attachBtfId: target.btfId };
  }
  validateProgramSpec(spec);
  const requestedLevel = options.logLevel ?? 0;
  if (!Number.isInteger(requestedLevel) || requestedLevel < 0 || requestedLevel > 0xff) {
    throw new InvalidArgumentError(`logLevel ${requestedLevel} is not a valid log level`, "logLevel");
  }
  const firstLogSize = Math.min(Math.max(options.logSize ?? DEFAULT_LOG_SIZE, 1024), MAX_LOG_SIZE);
  const name = kernelName(spec.name);
  // Errors name the program by its full name; only the kernel gets it cut to 15 characters.
  const label = spec.name ? `${programTypeName(spec.type)} program '${spec.name}'` : `${programTypeName(spec.type)} program`;

  // Every buffer the attr points to stays referenced by a local until the last syscall.
  const attr = sharedAttr.zero();
  const license = licenseBytes(spec.license);
  const insns = spec.instructions;
  attr
    .set("prog_type", spec.type)
    .set("insn_cnt", insns.byteLength / 8)
    .setPointer("insns", insns)
    .setPointer("license", license)
    .set("kern_version", spec.kernelVersion ?? 0)
    .set("prog_flags", spec.flags ?? 0)
    .setString("prog_name", name)
    .set("prog_ifindex", spec.ifindex ?? 0)
    .set("expected_attach_type", spec.expectedAttachType ?? 0)
    .set("attach_btf_id", spec.attachBtfId ?? 0);
  // .raw throws ClosedError for closed fds, before anything reaches the kernel.
  if (spec.attachProgFd) attr.set("attach_prog_fd", spec.attachProgFd.raw);
  if (spec.attachBtfObjFd) attr.set("attach_btf_obj_fd", spec.attachBtfObjFd.raw);
  if (spec.btfFd) attr.set("prog_btf_fd", spec.btfFd.raw);
  const funcInfo = spec.funcInfo;
  if (funcInfo?.byteLength) {
    const rec = spec.funcInfoRecordSize ?? 8;
    attr.set("func_info_rec_size", rec).setPointer("func_info", funcInfo).set("func_info_cnt", Math.floor(funcInfo.byteLength / rec));
  }
  const lineInfo = spec.lineInfo;
  if (lineInfo?.byteLength) {
    const rec = spec.lineInfoRecordSize ?? 16;
    attr.set("line_info_rec_size", rec).setPointer("line_info", lineInfo).set("line_info_cnt", Math.floor(lineInfo.byteLength / rec));
  }
  let fdArray: Int32Array | undefined;
  if (spec.fdArray?.length) {
    fdArray = new Int32Array(spec.fdArray.length);
    spec.fdArray.forEach((fd, i) => (fdArray![i] = fd?.raw ?? 0));
    attr.setPointer("fd_array", fdArray);
  }

  let level = requestedLevel;
  let logSize = firstLogSize;
  let logBuf: Uint8Array | undefined;
  let eagainRetries = 0;
  for (;;) {
    if (level) {
      if (!logBuf || logBuf.byteLength !== logSize) logBuf = stableBytes(logSize);
      else logBuf[0] = 0;
      attr.set("log_level", level).set("log_size", logSize).setPointer("log_buf", logBuf);
    } else {
      attr.set("log_level", 0).set("log_size", 0).set("log_buf", 0);
    }
    attr.set("log_true_size", 0);
    const r = bpfRaw(Cmd.PROG_LOAD, attr.address, attr.size);
    if (r >= 0) {
      return { fd: new FD(r, "prog fd"), name, log: requestedLevel && logBuf ? readCString(logBuf) : undefined };
    }
    const errno = -r;
    if (errno === EAGAIN && eagainRetries++ < MAX_EAGAIN_RETRIES) continue;
    if (level === 0) {
      // The fast path failed: ask again, this time with a log that says why.
      level = LogLevel.INSTRUCTIONS;
      continue;
    }
    if (errno === ENOSPC && logSize < MAX_LOG_SIZE) {
      // The log did not fit. Linux 6.4+ reports the exact size needed (including the NUL).
      const trueSize = attr.get("log_true_size");
      logSize = Math.min(trueSize > logSize ? trueSize : logSize * 4, MAX_LOG_SIZE);
      continue;
    }
    const log = logBuf ? readCString(logBuf) : "";
    if (log.trim() !== "") throw new VerifierError(label, errno, log);
    throw explainLoadError(errno, label, spec, target);
  }
}

/** Failures the kernel reports before the verifier runs (so without a log). */
function explainLoadError(errno: number, label: string, spec: ProgramSpec, target: ResolvedAttachTarget | undefined): BpfError {
  if (errno === EINVAL && target) {
    return new InvalidArgumentError(
      `BPF_PROG_LOAD (${label}): EINVAL: the kernel rejected the load attributes or the attach target ${target.description}: ` +
        "a freplace program must match the replaced function's prototype (arguments and return type), and the target must be JITed",
      "attachTarget",
      { operation: "BPF_PROG_LOAD", errno },
    );
  }
  if (errno === EINVAL) {
    return new InvalidArgumentError(
      `BPF_PROG_LOAD (${label}): EINVAL: the kernel rejected the load attributes: program type ${spec.type} ` +
        `may be unknown to the running kernel, or the expected attach type, flags (0x${(spec.flags ?? 0).toString(16)}), ` +
        "attach target or license are invalid for it",
      "type",
      { operation: "BPF_PROG_LOAD", errno },
    );
  }
  if (errno === EPERM && needsTrampoline(spec) && missingBpfCapabilities().length === 0) {
    // Privileged, yet refused before the verifier ran: the kernel would not
    // build a BPF trampoline on the target function.
    return new PermissionError(
      `BPF_PROG_LOAD (${label}): EPERM: the kernel refused to attach a BPF trampoline to the target ` +
        `${target ? target.description : describeKernelTarget(spec)} ` +
        "(fentry/fexit/fmod_ret/lsm/freplace need ftrace-based direct calls). The process holds every BPF capability, " +
        "so the kernel's configuration or a security policy blocks ftrace attachment — check that " +
        "/sys/kernel/tracing/available_filter_functions is readable; tp_btf and raw_tp programs are alternatives",
      { operation: "BPF_PROG_LOAD", errno },
    );
  }
  return errorFromErrno(errno, "BPF_PROG_LOAD", label);
}

/** "function do_sys_openat2" from the SEC() name ("lsm/file_open" → "function file_open"), else "function". */
function describeKernelTarget(spec: ProgramSpec): string {
  const name = sectionTargetFunction(spec.sectionName);
  return name === undefined ? "function" : `function ${name}`;
}

/** Program types whose load builds a trampoline on a kernel function (attach_btf_id given). */
function needsTrampoline(spec: ProgramSpec): boolean {
  const trampolineAttach: readonly number[] = [AttachType.TraceFentry, AttachType.TraceFexit, AttachType.ModifyReturn, AttachType.LSMMac];
  if (spec.type === ProgramType.LSM) return true;
  // An extension without a target program is refused before this (validateProgramSpec).
  if (spec.type === ProgramType.Ext) return spec.attachProgFd !== undefined;
  return spec.type === ProgramType.Tracing && trampolineAttach.includes(spec.expectedAttachType ?? -1);
}
