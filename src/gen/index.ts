// tsbpf/gen: the code generators, for build scripts — skeletons from an
// object's BTF, `.bpf.c` builds with clang, and minimal BTF for CO-RE. Kept
// out of the root entry so a tool that loads programs does not carry them
// (gen build spawns clang; none of this runs where programs run).
export { generateSkeleton, type SkeletonOptions, type SkeletonOutput } from "./skeleton/index.js";
export { buildObject, ToolchainError, CompileError, type BuildOptions, type BuildResult } from "./build/index.js";
export { minimizeCoreBtf, minimizeCoreRelocations, relocationSource, type MinimalCoreBtf, type CoreRelocationSource } from "./min-core-btf/index.js";
