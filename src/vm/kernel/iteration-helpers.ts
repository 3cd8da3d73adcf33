// bpf_for_each_map_elem: calls a callback subprogram for each element of an
// array or hash map, with the map, a pointer to the key (read-only), a
// pointer to the live value (this CPU's for per-CPU maps) and the context,
// until it returns 1; the result is the number of elements visited. Hash
// keys are taken as a snapshot first, so elements the callback deletes are
// skipped, not visited twice.
import { EINVAL } from "../../sys/errno.js";
import { MapType } from "../../map/types.js";
import type { VmHelperTable } from "../helpers.js";
import type { VmMapOps } from "../maps/types.js";
import { mapArgument } from "./map-helpers.js";
import type { VmKernel } from "./state.js";

const ARRAYS: readonly number[] = [MapType.Array, MapType.PercpuArray];
const HASHES: readonly number[] = [MapType.Hash, MapType.PercpuHash, MapType.LruHash, MapType.LruPercpuHash];

/** A map that can list its keys (the emulated maps' user-side API). */
interface KeyedMap extends VmMapOps {
  keys(): Iterable<Uint8Array>;
}

const hasKeys = (map: VmMapOps): map is KeyedMap => typeof (map as Partial<KeyedMap>).keys === "function";

/** for_each_map_elem. */
export function iterationHelpers(kernel: VmKernel): VmHelperTable {
  return {
    for_each_map_elem: (ctx, r1, r2, r3, r4) => {
      const map = mapArgument(kernel, ctx, "bpf_for_each_map_elem", 1, r1, [...ARRAYS, ...HASHES]);
      if (r4 !== 0n) return -EINVAL;
      const keys = ARRAYS.includes(map.spec.type)
        ? Array.from({ length: map.spec.maxEntries }, (_, i) => new Uint8Array(new Uint32Array([i]).buffer))
        : hasKeys(map) ? [...map.keys()] : [];
      const keyBytes = new Uint8Array(Math.max(map.spec.keySize, 1));
      const keyRegion = ctx.memory.map(`${map.name || "map"} key`, keyBytes, { writable: false });
      let visited = 0;
      try {
        for (const key of keys) {
          const value = map.programLookup(key);
          if (value === 0n) continue;
          visited++;
          keyBytes.set(key);
          if (ctx.callFunction(r2, [r1, keyRegion.base, value, r3]) !== 0n) break;
        }
      } finally {
        ctx.memory.unmap(keyRegion);
      }
      return visited;
    },
  };
}
