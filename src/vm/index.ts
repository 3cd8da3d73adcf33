// tsbpf/vm: a user-space BPF machine in pure TypeScript (no native addon, no
// Node.js builtins), for running and unit-testing BPF programs without a kernel.
export * from "./errors.js";
export { AddressSpace, split, type Region, type MapRegionOptions } from "./memory.js";
export * from "./program.js";
export * from "./helpers.js";
export * from "./machine.js";
export { STACK_SIZE, MAY_GOTO_LOOPS, MAX_TAIL_CALLS } from "./interpreter.js";
export { jitSource } from "./jit.js";
// Emulated maps
export { MapType, MapFlags, UpdateFlags, type MapSpec } from "./maps/spec.js";
export type { VmMapHost, VmMapOps, VmRingBufferOps, VmPerfEventArrayOps, VmProgArrayOps, VmEventRecord, VmMapLookup } from "./maps/types.js";
export { VmMap, type VmMapOptions } from "./maps/base.js";
export { createVmMap } from "./maps/create.js";
export { HashVmMap } from "./maps/hash.js";
export { ArrayVmMap } from "./maps/array.js";
export { QueueVmMap } from "./maps/queue.js";
export { BloomFilterVmMap } from "./maps/bloom.js";
export { LpmTrieVmMap } from "./maps/lpm.js";
export { RingBufferVmMap } from "./maps/ringbuf.js";
export { FdArrayVmMap } from "./maps/fd-array.js";
export { PerfEventArrayVmMap } from "./maps/perf-event-array.js";
export { ProgArrayVmMap, vmProgramId } from "./maps/prog-array.js";
export { MapOfMapsVmMap, vmMapId } from "./maps/map-of-maps.js";
export { VmMapRegistry } from "./maps/registry.js";
export { spinLockOffset } from "./maps/spin-lock.js";
// Kernel helpers
export { VmKernel, type VmKernelOptions, type VmTask, type VmTraceLine } from "./kernel/state.js";
export { kernelHelpers } from "./kernel/helpers.js";
export { VmHelperArgumentError } from "./kernel/errors.js";
export { VM_HZ } from "./kernel/task-helpers.js";
export { XDP_FRAME_OVERHEAD, XDP_META_MAX } from "./kernel/xdp-helpers.js";
export { BPF_MAX_LOOPS } from "./kernel/control-helpers.js";
export { MAX_BPRINTF_VARARGS, MAX_BPRINTF_BUF } from "./kernel/printf.js";
export { VmPacket, PACKET_ADDRESS, type PacketKind } from "./context/packet.js";
// Running objects
export { VmCollection, VmObjectProgram, type VmCollectionOptions, type VmKconfigValue } from "./object/collection.js";
export type { VmTestRunOptions, VmTestRunResult } from "./object/test-run.js";
