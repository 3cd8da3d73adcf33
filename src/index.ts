// The `tsbpf` entry: the everyday API — maps, programs, object files and
// collections, links and attach calls, events, feature probes, the
// instruction builder, and every error class (so `instanceof` works from one
// import). The layers keep their full surface behind their own entries:
// `tsbpf/sys` (the raw kernel boundary: attrs, layouts, perf events, ids),
// `tsbpf/btf`, `tsbpf/elf`, `tsbpf/asm`, `tsbpf/object`, `tsbpf/core` (pure).
// What is named here is a deliberate choice: add a name only when a user of
// maps, programs and collections needs it.

// Errors of every layer.
export {
  BpfError, SyscallError, NotSupportedError, PermissionError, InvalidArgumentError, KeyNotFoundError, KeyExistsError,
  PinExistsError, NotFoundError, ClosedError, BadFdError, BusyError, NoSpaceError, TooBigError, IncompatibleError,
  type ErrorCode, type ErrorDetails,
} from "./sys/errors.js";
export { BtfError, BtfLoadError } from "./btf/errors.js";
export { ElfError } from "./elf/errors.js";
export { ObjectError, UnknownSectionError } from "./object/errors.js";
export { CoreRelocationError, type CoreRelocationSite } from "./core/errors.js";
export { InvalidInstructionError, LabelError } from "./asm/errors.js";
export { CoreVerifierError } from "./collection/verifier-explain.js";
export { StructOpsError } from "./collection/struct-ops-error.js";

// File descriptors and CPUs, as maps and programs hand them out and take them.
export { FD } from "./sys/fd.js";
export type { AccessMode } from "./sys/objects.js";
export { possibleCpuCount } from "./sys/cpus.js";

// Maps (`BpfMap`; `Map` is kept as a deprecated alias, see src/map.ts).
export * from "./map.js";

// Programs: types, specs, loading, test runs, info, verifier errors.
export * from "./program/index.js";
// `bpftool prog dump xlated` of a loaded program (signatures and source lines from its BTF).
export { dumpLoadedProgram, dumpLoadedProgramJson, type LoadedDumpOptions } from "./program/xlated-dump.js";
// The verifier failures tsbpf recognises (VerifierError.failure) and their hints.
export { VERIFIER_HINTS, matchVerifierHint, type VerifierFailure, type VerifierHint } from "./program/verifier-hints.js";

// Object files as editable specs (the rest of the layer: `tsbpf/object`).
export { ObjectSpec, loadObjectSpec, type ObjectParseOptions } from "./object/object-spec.js";
export { ObjectProgramSpec, type ProgramTypeOverride } from "./object/program-spec.js";
export { Iproute2Pinning, type Iproute2MapFields, type ObjectMapSpec, type ObjectMapKind } from "./object/map-spec.js";
export { VariableSpec } from "./object/variables.js";
export type { ExternSpec, ExternKind } from "./object/externs.js";
export type { StructOpsSpec } from "./object/struct-ops.js";

// The loader: an ObjectSpec into live maps, programs and variables.
export { Collection, type CollectionLoadOptions } from "./collection.js";
export { Skeleton, type SkeletonVariable } from "./collection/skeleton.js";
export type { CollectionRecordOptions, CollectionPerfBufferOptions } from "./collection/typed.js";
export { Variable } from "./collection/variables.js";
export { StructOpsLink } from "./collection/struct-ops-link.js";
export { Tristate, type KconfigSources } from "./collection/kconfig.js";
export type { KsymValue } from "./collection/ksyms.js";

// BTF, as the loader takes it (custom target BTF) and maps and programs report it (the rest: `tsbpf/btf`).
export { Btf } from "./btf/btf.js";
export { BtfCodec, type CodecOptions } from "./btf/codec/index.js";
// The skeleton generator (`tsbpf gen skeleton`): a typed TypeScript module from a BPF object.

// Attaching: one Link type and the attach functions, one file per family (src/link/). The raw kernel
// calls under them (BPF_LINK_CREATE, PROG_ATTACH, RAW_TRACEPOINT_OPEN, iterators) are in `tsbpf/sys`.
export * from "./link/index.js";
export { linkTypeName, LinkType, PerfEventLinkType, type LinkInfo, type PerfEventLinkInfo } from "./sys/link-info.js";
export { AttachFlags, XdpFlags, NetfilterFlags } from "./sys/attach-flags.js";
// Whether a tracepoint exists on this kernel (its id), before attaching to it.
export { tracepointId } from "./sys/perf-event.js";

// Reading what programs write (ring and perf buffers).
export * from "./events/index.js";

// Kernel feature probes, each answer cached per process.
export {
  probeAll, probeProgramType, haveProgramType, probeMapType, haveMapType, probeHelper, haveHelper, availableHelpers,
  probeMisc, probeBpfSyscall, MISC_FEATURES, readBpfSysctls, readKernelConfig, readPrivileges, haveKernelBtf,
  type FeatureReport, type ProbeAllOptions, type ProbeResult, type MiscFeature, type BpfSysctls, type Privileges,
} from "./features/index.js";

// The instruction set, as a namespace (asm.encode, asm.disassemble …) plus the builder at top level.
export * as asm from "./asm/index.js";
export { ProgramBuilder, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, type Instruction, type Register } from "./asm/index.js";

// Types that the options and results above name (for annotations, and so the API reference can link them).
export type { AttachMethod } from "./link/link-or-attach.js";
export type { PerfAttachMethod } from "./link/perf-event-link.js";
export type { UsdtMapsOption } from "./link/usdt/maps.js";
export type { HelperListNote } from "./features/probe-all.js";
export type { ScalarKind, ScalarInput, ScalarValue } from "./btf/scalar-codec.js";
export type { ModuleBtf } from "./collection/module-btf.js";
export type { ObjectErrorLocation } from "./object/errors.js";
export type { BtfKindSupport } from "./btf/patch.js";

// Build time: `tsbpf gen build` as a function (clang → NAME.bpf.o + NAME.skel.ts, rebuilt only when inputs change).
