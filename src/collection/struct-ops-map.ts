// Live struct_ops maps: creating the STRUCT_OPS map for a resolved plan, and
// registering it — by the map update itself for `.struct_ops` maps, through a
// BPF link for `.struct_ops.link` (BPF_F_LINK) maps — with a handle whose
// close() unregisters either way (see struct-ops-link.ts).
import { Map as BpfMap } from "../map.js";
import { MapFlags, MapType } from "../map/types.js";
import type { ObjectMapSpec } from "../object/map-spec.js";
import { BusyError } from "../sys/errors.js";
import type { FD } from "../sys/fd.js";
import { structOpsLinkCreate } from "../sys/struct-ops-link.js";
import { kernelMapSpec } from "./maps.js";
import { KEY_ZERO, StructOpsLink, type StructOpsMapResolver } from "./struct-ops-link.js";
import type { StructOpsPlan } from "./struct-ops.js";
import { StructOpsError } from "./struct-ops-error.js";

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

  /**
   * Writes the value of a `.struct_ops.link` map, once (the kernel refuses a
   * second write), so that a link can register it or swap to it.
   */
  prepare(): void {
    if (!this.usesLink) throw new StructOpsError(this.name, "is a plain .struct_ops map: it registers by its update and cannot be put behind a link");
    if (this.#written) return;
    this.map.update(KEY_ZERO, this.value);
    this.#written = true;
  }

  /**
   * Writes the value (once) and registers; see Collection.attachStructOps.
   * `resolve` finds the maps the link's update() may swap to.
   */
  register(resolve: StructOpsMapResolver): StructOpsLink {
    if (this.usesLink) {
      this.prepare();
      return new StructOpsLink(this.name, { kind: "link", link: structOpsLinkCreate(this.map.fd), map: this.map, ownsMap: false, resolve });
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
    return new StructOpsLink(this.name, { kind: "plain", map: own });
  }
}
