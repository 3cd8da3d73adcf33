// The sys layer: everything that crosses into the kernel.
export * from "./errors.js";
export { FD } from "./fd.js";
export { Attr, defineLayout, stableBytes, addressOf, type Layout, type FieldDef } from "./attr.js";
export * from "./objects.js";
export { possibleCpuCount, onlineCpus, parseCpuList } from "./cpus.js";
