// What the machine's helpers need from an emulated map, apart from the
// user-side API (lookup/update/… like BpfMap): the program-side operations,
// which answer as the kernel's helpers do (an address or 0, 0 or a negative
// errno) instead of throwing. Implemented by the classes in this directory;
// the kernel helpers (../kernel) code only against these interfaces.
import type { MapSpec } from "../../map/spec.js";
import type { AddressSpace, Region } from "../memory.js";
import type { VmProgram } from "../program.js";

/** What a map lives in: the machine's memory and its CPUs. */
export interface VmMapHost {
  /** Values, ring buffer records and the map's handle are mapped here. */
  readonly memory: AddressSpace;
  /** Number of CPUs (per-CPU maps keep one value each; perf event arrays have one slot each). */
  readonly cpus: number;
  /** The CPU the program runs on now (bpf_get_smp_processor_id; per-CPU lookups). */
  currentCpu(): number;
}

/** Program-side operations every emulated map has. */
export interface VmMapOps {
  readonly name: string;
  readonly spec: Readonly<MapSpec>;
  /**
   * A small read-only region standing for the map itself: `ld_imm64 MAP_FD`
   * loads `handle.base`, and helpers find the map from that address.
   */
  readonly handle: Region;
  /** bpf_map_lookup_elem: the address of the value (this CPU's, for per-CPU maps), or 0n. */
  programLookup(key: Uint8Array): bigint;
  /** bpf_map_lookup_percpu_elem: the address of `cpu`'s value, or 0n. */
  programLookupPerCpu(key: Uint8Array, cpu: number): bigint;
  /** bpf_map_update_elem: 0 or a negative errno (-EEXIST, -ENOENT, -E2BIG, -EINVAL …). */
  programUpdate(key: Uint8Array, value: Uint8Array, flags: bigint): number;
  /** bpf_map_delete_elem: 0 or a negative errno. */
  programDelete(key: Uint8Array): number;
  /** bpf_map_push_elem (queue, stack, bloom filter): 0 or a negative errno. */
  programPush(value: Uint8Array, flags: bigint): number;
  /** bpf_map_pop_elem / peek_elem: fills `out`; 0 or a negative errno (-ENOENT when empty). */
  programPop(out: Uint8Array, remove: boolean): number;
  /**
   * Bytes of one value (spec.valueSize; per-CPU maps: one CPU's value), as
   * BpfMap.valueSize: what the update/push helpers read and pop/peek write.
   * (VmMap.valueStride is the size rounded up to 8, the kernel's array element.)
   */
  readonly valueSize: number;
}

/** A record a ring buffer or perf event array received from the program. */
export interface VmEventRecord {
  /** The record's bytes (a copy, owned by the caller). */
  readonly data: Uint8Array;
  /** The CPU it was written on (perf event arrays: the slot; ring buffers: the current CPU). */
  readonly cpu: number;
}

/** Program side of BPF_MAP_TYPE_RINGBUF. */
export interface VmRingBufferOps extends VmMapOps {
  /** bpf_ringbuf_reserve: a writable region of `size` bytes mapped in memory, or undefined when the ring is full. */
  reserve(size: number): Region | undefined;
  /** bpf_ringbuf_submit / discard of a reservation by its address; a bad address is -EINVAL. */
  commit(address: bigint, discard: boolean): number;
  /** bpf_ringbuf_output: copies `data` in as one record; 0 or -EAGAIN/-E2BIG. */
  output(data: Uint8Array): number;
  /** bpf_ringbuf_query: BPF_RB_AVAIL_DATA (0), BPF_RB_RING_SIZE (1), BPF_RB_CONS_POS (2), BPF_RB_PROD_POS (3). */
  query(flags: bigint): bigint;
}

/** Program side of BPF_MAP_TYPE_PERF_EVENT_ARRAY. */
export interface VmPerfEventArrayOps extends VmMapOps {
  /** bpf_perf_event_output to slot `cpu`: 0, or -E2BIG past the last slot (a slot needs no reader: records are collected). */
  output(cpu: number, data: Uint8Array): number;
}

/** Program side of BPF_MAP_TYPE_PROG_ARRAY. */
export interface VmProgArrayOps extends VmMapOps {
  /** The program in slot `index`, if any. */
  programAt(index: number): VmProgram | undefined;
}

/** Finds maps by the address ld_imm64 gave the program. */
export interface VmMapLookup {
  /** The map whose handle is at `address`, if any. */
  mapAt(address: bigint): VmMapOps | undefined;
}
