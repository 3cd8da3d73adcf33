// VmMapRegistry: the maps of one machine, found by name (for the test) and by
// the address of their handle (for the helpers: ld_imm64 MAP_FD loads a map's
// handle address into a register, and bpf_map_* helpers get it back in r1).
// Inner maps of maps of maps are found too, since a program's lookup in an
// outer map answers an inner map's handle.
import { InvalidArgumentError } from "../../sys/errors.js";
import { VmMap } from "./base.js";
import { MapOfMapsVmMap } from "./map-of-maps.js";
import type { VmMapLookup } from "./types.js";

/** The maps of a machine, by handle address and by name. */
export class VmMapRegistry implements VmMapLookup, Iterable<VmMap> {
  readonly #byAddress = new Map<bigint, VmMap>();
  readonly #byName = new Map<string, VmMap>();

  /**
   * Adds `map` and returns it. Names need not be unique (the kernel's are
   * not: 15 characters truncate): get(name) answers the first map added
   * under a name.
   */
  add<M extends VmMap>(map: M): M {
    if (!(map instanceof VmMap)) throw new InvalidArgumentError("VmMapRegistry.add takes a VmMap", "map");
    this.#byAddress.set(map.handle.base, map);
    if (map.name !== "" && !this.#byName.has(map.name)) this.#byName.set(map.name, map);
    return map;
  }

  /** The map whose handle is at `address` (a registered map, or an inner map of a registered map of maps). */
  mapAt(address: bigint): VmMap | undefined {
    const found = this.#byAddress.get(address);
    if (found) return found.closed ? undefined : found;
    for (const outer of this.#byAddress.values()) {
      if (!(outer instanceof MapOfMapsVmMap)) continue;
      const inner = outer.innerMaps().find((m) => m.handle.base === address);
      if (inner && !inner.closed) return inner;
    }
    return undefined;
  }

  /** The first registered map named `name`. */
  get(name: string): VmMap | undefined {
    return this.#byName.get(name);
  }

  /** Number of registered maps. */
  get size(): number {
    return this.#byAddress.size;
  }

  /** The registered maps, in the order they were added. */
  [Symbol.iterator](): Iterator<VmMap> {
    return this.#byAddress.values();
  }

  /** Closes every registered map (unmapping their regions) and forgets them. */
  close(): void {
    for (const map of this.#byAddress.values()) map.close();
    this.#byAddress.clear();
    this.#byName.clear();
  }
}
