// Programs: types, specs, loading, test runs, info.
export * from "./types.js";
export * from "./spec.js";
export { VerifierError, summarizeVerifierLog, verifierHint, type VerifierLogSummary } from "./verifier-error.js";
export { loadProgram, DEFAULT_LOG_SIZE, MAX_LOG_SIZE, type LoadedProgram } from "./load.js";
export { TestRunner, DEFAULT_DATA_OUT_SLACK, type TestRunOptions, type TestRunResult } from "./test-run.js";
export {
  readProgramInfo, readProgramIdentity, type ProgramInfo, type ProgramInfoOptions, type ProgramIdentity,
  type FuncInfoRecord, type LineInfoRecord,
} from "./info.js";
export { enableStats, StatsType } from "./stats.js";
export { bindMapToProgram } from "./bind-map.js";
export { Program, type MapFdLike } from "./program.js";
export { resolveAttachTarget, type AttachTarget, type ResolvedAttachTarget } from "./attach-target.js";
