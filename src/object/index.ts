// The object spec layer: what a clang-built BPF object file describes, as editable data (no syscalls).
export { ObjectSpec, loadObjectSpec, type ObjectParseOptions } from "./object-spec.js";
export { ObjectProgramSpec, type ProgramTypeOverride } from "./program-spec.js";
export { Iproute2Pinning, type Iproute2MapFields, type ObjectMapSpec, type ObjectMapKind } from "./map-spec.js";
export type { StructOpsSpec } from "./struct-ops.js";
export { VariableSpec } from "./variables.js";
export type { ExternSpec, ExternKind } from "./externs.js";
export type { InstructionReference } from "./references.js";
export type { SlotFuncInfo, SlotLineInfo, SlotCoreRelo } from "./functions.js";
export { ObjectError, UnknownSectionError } from "./errors.js";
export { sectionType, sectionPatterns, type SectionType } from "./section-types.js";
export { internalMapName } from "./data-maps.js";
