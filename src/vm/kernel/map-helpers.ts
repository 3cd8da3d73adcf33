// The map helpers (bpf_map_lookup_elem & co., bpf_tail_call): find the map
// from the address ld_imm64 gave the program, read the key and value the
// verifier sized from the map's spec, and let the emulated map answer as
// the kernel's does (an address or 0, 0 or a negative errno). A first
// argument that is no map, or a map of the wrong type, is a program the
// verifier would refuse: a VmHelperArgumentError.
import { MapType, mapTypeName } from "../../map/types.js";
import type { HelperContext, VmHelperTable } from "../helpers.js";
import type { VmMapOps, VmProgArrayOps } from "../maps/types.js";
import { bytesAt, u32 } from "./access.js";
import { badArgument } from "./errors.js";
import type { VmKernel } from "./state.js";

/** The map whose handle is at `address`, or the error a call with it deserves. */
export function mapArgument(kernel: VmKernel, ctx: HelperContext, helper: string, register: number, address: bigint, types?: readonly number[]): VmMapOps {
  const map = kernel.maps.mapAt(address);
  if (map === undefined) throw badArgument(ctx, helper, register, address, "is not a map (expected the address ld_imm64 loads for a map)");
  if (types !== undefined && !types.includes(map.spec.type)) {
    const wanted = types.map((t) => mapTypeName(t)).join(" or ");
    throw badArgument(ctx, helper, register, address, `is ${mapTypeName(map.spec.type)} map '${map.name}', not a ${wanted} map`);
  }
  return map;
}

/** Maps whose peek takes the value as input (a membership test) rather than filling it. */
const isBloom = (map: VmMapOps): boolean => map.spec.type === MapType.BloomFilter;

/** map_lookup/update/delete/push/pop/peek_elem, map_lookup_percpu_elem and tail_call. */
export function mapHelpers(kernel: VmKernel): VmHelperTable {
  const key = (ctx: HelperContext, map: VmMapOps, address: bigint): Uint8Array => bytesAt(ctx, address, map.spec.keySize);
  const value = (ctx: HelperContext, map: VmMapOps, address: bigint): Uint8Array => bytesAt(ctx, address, map.valueSize);
  return {
    map_lookup_elem: (ctx, r1, r2) => {
      const map = mapArgument(kernel, ctx, "bpf_map_lookup_elem", 1, r1);
      return map.programLookup(key(ctx, map, r2));
    },
    map_update_elem: (ctx, r1, r2, r3, r4) => {
      const map = mapArgument(kernel, ctx, "bpf_map_update_elem", 1, r1);
      return map.programUpdate(key(ctx, map, r2).slice(), value(ctx, map, r3).slice(), r4);
    },
    map_delete_elem: (ctx, r1, r2) => {
      const map = mapArgument(kernel, ctx, "bpf_map_delete_elem", 1, r1);
      return map.programDelete(key(ctx, map, r2));
    },
    // NULL for a CPU the machine does not have, as for one past nr_cpu_ids.
    map_lookup_percpu_elem: (ctx, r1, r2, r3) => {
      const map = mapArgument(kernel, ctx, "bpf_map_lookup_percpu_elem", 1, r1);
      const cpu = u32(r3);
      const k = key(ctx, map, r2);
      return cpu >= kernel.cpus ? 0n : map.programLookupPerCpu(k, cpu);
    },
    map_push_elem: (ctx, r1, r2, r3) => {
      const map = mapArgument(kernel, ctx, "bpf_map_push_elem", 1, r1, [MapType.Queue, MapType.Stack, MapType.BloomFilter]);
      return map.programPush(value(ctx, map, r2).slice(), r3);
    },
    map_pop_elem: (ctx, r1, r2) => {
      const map = mapArgument(kernel, ctx, "bpf_map_pop_elem", 1, r1, [MapType.Queue, MapType.Stack]);
      return popInto(map, bytesAt(ctx, r2, map.valueSize, "write"), true);
    },
    map_peek_elem: (ctx, r1, r2) => {
      const map = mapArgument(kernel, ctx, "bpf_map_peek_elem", 1, r1, [MapType.Queue, MapType.Stack, MapType.BloomFilter]);
      // A bloom filter's value is what to test for; a queue or stack fills it.
      return isBloom(map) ? map.programPop(value(ctx, map, r2).slice(), false) : popInto(map, bytesAt(ctx, r2, map.valueSize, "write"), false);
    },
    // A missing slot, an index past the array or the 33rd tail call: the call returns and the program goes on.
    tail_call: (ctx, _r1, r2, r3) => {
      const map = mapArgument(kernel, ctx, "bpf_tail_call", 2, r2, [MapType.ProgArray]) as VmProgArrayOps;
      const index = u32(r3);
      const target = index < map.spec.maxEntries ? map.programAt(index) : undefined;
      if (target !== undefined) ctx.tailCall(target);
      return 0;
    },
  };
}

/** Pops or peeks into the program's buffer; an empty queue or stack clears it, as the kernel's do. */
function popInto(map: VmMapOps, out: Uint8Array, remove: boolean): number {
  const staged = new Uint8Array(out.byteLength);
  const ret = map.programPop(staged, remove);
  out.set(staged);
  return ret;
}
