// The Link of a registered struct_ops map. A `.struct_ops.link` map is
// registered through a BPF link, which can swap in another map atomically
// (BPF_LINK_UPDATE) and be pinned in bpffs so the registration outlives the
// process; a plain `.struct_ops` map is registered by its map update and has
// neither: its Link undoes the registration by deleting the map's element.
import { BpfMap } from "../map.js";
import type { Program } from "../program/program.js";
import { InvalidArgumentError } from "../sys/errors.js";
import type { FD } from "../sys/fd.js";
import { LinkType } from "../sys/link-info.js";
import { openPinnedFd } from "../sys/objects.js";
import { structOpsLinkUpdate } from "../sys/struct-ops-link.js";
import { checkedLinkInfo, Link } from "../link/link.js";

/** The only key of a struct_ops map. */
export const KEY_ZERO = new Uint8Array(4);

/** A map to put behind a link, by what the caller passed (see StructOpsLink.update). */
export type StructOpsMapResolver = (target: string | BpfMap) => { readonly name: string; readonly map: BpfMap };

/** @internal How a StructOpsLink was registered. */
export type Registration =
  /** Through a link; `map` is the map behind it (borrowed unless `ownsMap`). */
  | { readonly kind: "link"; readonly link: FD; map: BpfMap; ownsMap: boolean; readonly resolve?: StructOpsMapResolver }
  /** By the map update: our own fd of the map, to delete the element on close. */
  | { readonly kind: "plain"; readonly map: BpfMap };

/**
 * A registered struct_ops map. close() unregisters it: closes the link of a
 * `.struct_ops.link` map (unless the link is pinned), deletes the element of
 * a plain `.struct_ops` map (the kernel keeps a registered plain map alive
 * even when every fd is closed).
 */
export class StructOpsLink extends Link {
  #mapName: string;
  readonly #registration: Registration;

  /** @internal Use Collection.attachStructOps or StructOpsLink.openPinned. */
  constructor(mapName: string, registration: Registration, pinnedPath?: string) {
    super(registration.kind === "link"
      ? {
          target: `struct_ops ${mapName}`, link: registration.link,
          release: () => { if (registration.ownsMap) registration.map.close(); },
          ...(pinnedPath !== undefined ? { pinnedPath } : {}),
        }
      : {
          target: `struct_ops ${mapName}`,
          detach: () => {
            try {
              registration.map.tryDelete(KEY_ZERO);
            } finally {
              registration.map.close();
            }
          },
        });
    this.#mapName = mapName;
    this.#registration = registration;
  }

  /**
   * Opens the struct_ops link pinned at `path` (e.g. by another process). Its
   * close() closes this fd only: the registration lasts while the pin does.
   * InvalidArgumentError when the pin is another kind of link.
   */
  static override openPinned(path: string): StructOpsLink {
    const link = openPinnedFd(path, "rw", "link");
    let map: BpfMap | undefined;
    try {
      const info = checkedLinkInfo(link, path, "path", { type: LinkType.STRUCT_OPS, noun: "a struct_ops link" });
      if (!info.structOps) throw new InvalidArgumentError(`${path}: the kernel reports no struct_ops map behind the link`, "path");
      map = BpfMap.fromId(info.structOps.mapId);
      return new StructOpsLink(map.name, { kind: "link", link, map, ownsMap: true }, path);
    } catch (e) {
      map?.close();
      link.close();
      throw e;
    }
  }

  /** The struct_ops map registered now (C variable name; the kernel's map name for a link opened from a pin). */
  get mapName(): string {
    return this.#mapName;
  }

  /**
   * Swaps the registered implementation for another `.struct_ops.link` map of
   * the same kernel struct, atomically (BPF_LINK_UPDATE, Linux 6.4): by its
   * name in the collection (its value is written first if it was not), or a
   * Map whose value is already written. BPF_F_REPLACE with the map behind the
   * link, so a concurrent update elsewhere fails instead of being overwritten.
   * For tcp_congestion_ops the new map must carry the same `.name`.
   */
  override update(target: string | BpfMap | Program): void {
    const r = this.#linkRegistration("update");
    if (!(typeof target === "string" || target instanceof BpfMap)) {
      throw new InvalidArgumentError(`struct_ops link of '${this.#mapName}' swaps maps, not programs`, "target");
    }
    let next: { readonly name: string; readonly map: BpfMap };
    if (r.resolve) next = r.resolve(target);
    else if (typeof target !== "string") next = { name: target.name, map: target };
    else throw new InvalidArgumentError(`struct_ops map '${target}': a link opened from a pin swaps to a Map, not a name`, "target");
    structOpsLinkUpdate(r.link, next.map.fd, r.map.fd);
    if (r.ownsMap) r.map.close();
    r.map = next.map;
    r.ownsMap = false;
    this.#mapName = next.name;
  }

  override pin(path: string): void {
    this.#linkRegistration("pin");
    super.pin(path);
  }

  #linkRegistration(what: string): Extract<Registration, { kind: "link" }> {
    const r = this.#registration;
    if (this.closed) throw new InvalidArgumentError(`struct_ops link of '${this.#mapName}' is closed`, "link");
    if (r.kind !== "link") {
      throw new InvalidArgumentError(
        `struct_ops '${this.#mapName}' is a plain .struct_ops map, registered without a link, so it cannot ${what}; declare it in SEC(".struct_ops.link")`,
        "link",
      );
    }
    return r;
  }
}
