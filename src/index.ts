// Public API of tsbpf.
export * from "./sys/index.js";
export * from "./map.js";
// Attach-family kernel calls (links, prog attach/query, raw tracepoints, iterators, perf events), low level.
export * from "./sys/link.js";
export * from "./sys/link-info.js";
export * from "./sys/attach.js";
export * from "./sys/attach-flags.js";
export { attachError, describeAttachType, attachTypeSince, type AttachContext } from "./sys/attach-errors.js";
export * from "./sys/raw-tracepoint.js";
export * from "./sys/iter.js";
export * from "./sys/perf-event.js";
export * from "./elf/index.js";
export * from "./btf/index.js";
// BTF dumpers: vmlinux.h (C), bpftool's raw text/JSON, and values formatted by type.
export { dumpC, dumpCText, type DumpCOptions } from "./btf/dump-c.js";
export { dumpRaw, type DumpRawOptions } from "./btf/dump-raw.js";
export { formatValueJson, writeBtfValue, jsonwString, type FormatValueOptions } from "./btf/format-value.js";
export { JsonWriter } from "./btf/json-writer.js";
export * from "./program.js";
// `bpftool prog dump xlated` of a loaded program (signatures and source lines from its BTF).
export { dumpLoadedProgram, dumpLoadedProgramJson, type LoadedDumpOptions } from "./program/xlated-dump.js";
// The verifier failures tsbpf recognises (VerifierError.failure) and their hints.
export { VERIFIER_HINTS, matchVerifierHint, type VerifierFailure, type VerifierHint } from "./program/verifier-hints.js";
// Object files: programs, maps, variables and externs of a BPF ELF object, as editable specs.
export * from "./object/index.js";
// The loader: an ObjectSpec into live maps, programs and variables (CO-RE, externs, frozen .rodata).
export { Collection, type CollectionLoadOptions } from "./collection.js";
export * from "./collection/index.js";
// Kernel feature probes, each answer cached per process.
export {
  probeAll, probeProgramType, haveProgramType, probeMapType, haveMapType, probeHelper, haveHelper, availableHelpers,
  probeMisc, probeBpfSyscall, MISC_FEATURES, readBpfSysctls, readKernelConfig, readPrivileges, haveKernelBtf,
  type FeatureReport, type ProbeAllOptions, type ProbeResult, type MiscFeature, type BpfSysctls, type Privileges,
} from "./features/index.js";
// The instruction set, as a namespace (asm.encode, asm.dumpXlated …) plus the builder at top level.
export * as asm from "./asm/index.js";
export { ProgramBuilder, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, type Instruction, type Register } from "./asm/index.js";
export { InvalidInstructionError, LabelError } from "./asm/index.js";
// CO-RE: resolving .BTF.ext relocations against kernel BTF and patching instructions (pure, no syscalls).
export * from "./core/index.js";
// Attaching programs (src/link/, one file per attach family) and reading their events (src/events/).
export * from "./link/index.js";
export * from "./events/index.js";
