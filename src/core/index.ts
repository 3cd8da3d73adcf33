// The CO-RE relocation engine: resolves .BTF.ext CO-RE records against
// target BTF (libbpf semantics) and patches instructions. Pure, no syscalls.
export { CoreRelocationError, type CoreRelocationSite } from "./errors.js";
export { fixupAt, type CoreFixup } from "./fixup.js";
export { CoreRelocator, resolveCoreRelocations, type CoreTargets, type CoreRelocateOptions, type CoreMatchRecorder } from "./relocator.js";
export type { NamedBtf, CoreCandidate } from "./candidates.js";
export { applyCoreFixups, applyCoreFixupsToInstructions, type ApplyFixupsOptions } from "./patch.js";
export { POISON_HELPER_ID, isPoisonedSlot } from "./poison.js";
export { parseAccessSpec, describeAccessPath, type CoreSpec, type CoreAccessor } from "./access-spec.js";
export { essentialName, essentialNameLength } from "./names.js";
export { typesAreCompatible, fieldsAreCompatible } from "./compat.js";
export { typesMatch } from "./type-match.js";
// `gen min_core_btf`: the minimal target BTF a set of objects' relocations need (BTFHub style).
export { minimizeCoreBtf, minimizeCoreRelocations, relocationSource, type MinimalCoreBtf, type CoreRelocationSource } from "../gen/min-core-btf/index.js";
