// Kernel feature probes: what the running kernel supports, each answer
// probed once per process and cached.
export { probeProgramType, haveProgramType } from "./program-types.js";
export { probeMapType, haveMapType } from "./map-types.js";
export { probeHelper, haveHelper, availableHelpers, helperCName, HELPER_COUNT } from "./helpers.js";
export { probeMisc, probeBpfSyscall, MISC_FEATURES, type MiscFeature } from "./misc.js";
export { probeUprobeMultiLink, haveUprobeMultiLink, UPROBE_MULTI_LINK_MIN_KERNEL } from "./uprobe-multi-link.js";
export {
  readBpfSysctls, readKernelConfig, readPrivileges, haveKernelBtf, BPF_KCONFIG_OPTIONS,
  type BpfSysctls, type Privileges,
} from "./system.js";
export { probeAll, NOISY_HELPERS, type FeatureReport, type ProbeAllOptions, type HelperListNote } from "./probe-all.js";
export {
  PROGRAM_TYPE_NAMES, MAP_TYPE_NAMES, programTypeByName, mapTypeByName,
} from "./names.js";
export { type ProbeResult } from "./result.js";
