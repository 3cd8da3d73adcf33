// The collection loader's building blocks (Collection itself is src/collection.ts).
export { Variable } from "./variables.js";
export { CoreVerifierError } from "./verifier-explain.js";
export { probeBtfSupport, sanitizeBtf, type BtfKernelSupport } from "./btf-sanitize.js";
export { Tristate, type KconfigSources } from "./kconfig.js";
export type { KsymValue } from "./ksyms.js";
export { StructOpsLink } from "./struct-ops-link.js";
export { StructOpsError } from "./struct-ops-error.js";
export { planStructOps, type StructOpsPlan, type StructOpsProgramSlot } from "./struct-ops.js";
