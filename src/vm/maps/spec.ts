// The map vocabulary emulated maps are made from, re-exported so that code
// using only tsbpf/vm (no kernel, no native addon) can name map types and
// flags without importing the root entry.
export { MapType, MapFlags, UpdateFlags } from "../../map/types.js";
export type { MapSpec } from "../../map/spec.js";
