// Live struct_ops maps: creating the STRUCT_OPS map for a resolved plan, and
// registering it — by the map update itself for `.struct_ops` maps, through a
// BPF link for `.struct_ops.link` (BPF_F_LINK) maps — with a handle whose
// close() unregisters either way.
import { Map as BpfMap } from "../map.js";
import { MapFlags, MapType } from "../map/types.js";
import type { ObjectMapSpec } from "../object/map-spec.js";
import { BusyError } from "../sys/errors.js";
import type { FD } from "../sys/fd.js";
import { structOpsLinkCreate } from "../sys/struct-ops-link.js";
import { kernelMapSpec } from "./maps.js";
import type { StructOpsPlan } from "./struct-ops.js";
import { StructOpsError } from "./struct-ops-error.js";

const KEY_ZERO = new Uint8Array(4);

/**
 * BPF_MAP_CREATE for a struct_ops map: the kernel's value type by id, and (as
 * libbpf passes it, and the kernel requires it) the object's BTF without key/value ids.
 */
export function createStructOpsMap(m: ObjectMapSpec, plan: StructOpsPlan, btfFd: FD | undefined): BpfMap {
  if (!btfFd) throw new StructOpsError(plan.map, "struct_ops maps need the object's BTF loaded into the kernel, and it was not");
  const base = kernelMapSpec(m, undefined);
  return BpfMap.create({
    type: MapType.StructOps, keySize: 4, valueSize: plan.valueSize, maxEntries: 1, flags: m.flags ?? 0, name: base.name ?? "",
    btfFd, keyTypeId: 0, valueTypeId: 0, vmlinuxValueTypeId: plan.valueTypeId,
  });
}

/** A struct_ops map of a loaded collection with its value built, ready to register. */
export class StructOpsMap {
  readonly name: string;
  readonly map: BpfMap;
  /** The value written on registration (program fds in their slots). */
  readonly value: Uint8Array;
  #written = false;

  constructor(name: string, map: BpfMap, value: Uint8Array) {
    this.name = name;
    this.map = map;
    this.value = value;
  }

  /** True for `.struct_ops.link` maps (BPF_F_LINK): registered through a link. */
  get usesLink(): boolean {
    return (this.map.flags & MapFlags.LINK) !== 0;
  }

  /** Writes the value (once) and registers; see Collection.attachStructOps. */
  register(): StructOpsLink {
    if (this.usesLink) {
      // The value of a link map is written once; each link then registers it (the kernel refuses a second write).
      if (!this.#written) {
        this.map.update(KEY_ZERO, this.value);
        this.#written = true;
      }
      return new StructOpsLink(this.name, structOpsLinkCreate(this.map.fd), undefined);
    }
    if (this.#written) {
      throw new BusyError(`struct_ops '${this.name}' was already registered: a map without BPF_F_LINK registers once (load the object again, or declare it in SEC(".struct_ops.link"))`);
    }
    // Its own fd, so that unregistering still works if the collection's map fd is closed first.
    const own = BpfMap.fromFd(this.map.fd.dup());
    try {
      own.update(KEY_ZERO, this.value);
    } catch (e) {
      own.close();
      throw e;
    }
    this.#written = true;
    return new StructOpsLink(this.name, undefined, own);
  }
}

/**
 * A registered struct_ops map. close() unregisters it: closes the link of a
 * `.struct_ops.link` map, deletes the element of a plain `.struct_ops` map
 * (the kernel keeps a registered plain map alive even when every fd is closed).
 */
export class StructOpsLink implements Disposable {
  /** The struct_ops map (C variable name). */
  readonly mapName: string;
  /** The BPF link of a `.struct_ops.link` map (Linux 6.4); undefined for plain `.struct_ops` maps. */
  readonly fd: FD | undefined;
  #map: BpfMap | undefined;
  #closed = false;

  /** @internal Use Collection.attachStructOps. */
  constructor(mapName: string, link: FD | undefined, map: BpfMap | undefined) {
    this.mapName = mapName;
    this.fd = link;
    this.#map = map;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Unregisters. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.fd?.close();
    const map = this.#map;
    this.#map = undefined;
    if (!map) return;
    try {
      map.tryDelete(KEY_ZERO);
    } finally {
      map.close();
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
