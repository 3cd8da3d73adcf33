// `tsbpf gen min_core_btf`: minimal BTF for the CO-RE relocations of a set of objects.
export { minimizeCoreBtf, minimizeCoreRelocations, relocationSource, type MinimalCoreBtf } from "./minimize.js";
export type { CoreRelocationSource } from "./record.js";
