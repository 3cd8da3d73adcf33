// tsbpf/vm: a user-space BPF machine in pure TypeScript (no native addon, no
// Node.js builtins), for running and unit-testing BPF programs without a kernel.
export * from "./errors.js";
export { AddressSpace, split, type Region, type MapRegionOptions } from "./memory.js";
export * from "./program.js";
export * from "./helpers.js";
export * from "./machine.js";
export { STACK_SIZE, MAY_GOTO_LOOPS, MAX_TAIL_CALLS } from "./interpreter.js";
export { jitSource } from "./jit.js";
export * from "./maps/types.js";
export { VmKernel, type VmKernelOptions, type VmTask, type VmTraceLine } from "./kernel/state.js";
export { VmPacket, PACKET_ADDRESS, type PacketKind } from "./context/packet.js";
export { VmCollection, VmObjectProgram, type VmCollectionOptions, type VmKconfigValue } from "./object/collection.js";
export type { VmTestRunOptions, VmTestRunResult } from "./object/test-run.js";
