// The handle of a registered struct_ops map. A `.struct_ops.link` map is
// registered through a BPF link, which can swap in another map atomically
// (BPF_LINK_UPDATE) and be pinned in bpffs so the registration outlives the
// process; a plain `.struct_ops` map is registered by its map update and has
// neither.
import { Map as BpfMap } from "../map.js";
import { InvalidArgumentError, NotFoundError } from "../sys/errors.js";
import type { FD } from "../sys/fd.js";
import { bpfKindOfTarget, ownFdTarget } from "../sys/fd-kind.js";
import { LinkType, linkInfo, linkTypeName } from "../sys/link-info.js";
import { openPinnedFd, pinFd, unpinPath } from "../sys/objects.js";
import { structOpsLinkUpdate } from "../sys/struct-ops-link.js";

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
export class StructOpsLink implements Disposable {
  #mapName: string;
  #registration: Registration | undefined;
  #pinnedPath: string | undefined;

  /** @internal Use Collection.attachStructOps or StructOpsLink.openPinned. */
  constructor(mapName: string, registration: Registration) {
    this.#mapName = mapName;
    this.#registration = registration;
  }

  /**
   * Opens the struct_ops link pinned at `path` (e.g. by another process). Its
   * close() closes this fd only: the registration lasts while the pin does.
   * InvalidArgumentError when the pin is another kind of link.
   */
  static openPinned(path: string): StructOpsLink {
    const link = openPinnedFd(path, "rw", "link");
    let map: BpfMap | undefined;
    try {
      // A map or program pin would be misread as link info: check the fd's kind first
      // (without /proc, trust the pin; link info still validates it).
      const target = ownFdTarget(link.raw);
      if (target !== undefined && bpfKindOfTarget(target) !== "link") throw new InvalidArgumentError(`${path} is not a BPF link (it is ${target})`, "path");
      const info = linkInfo(link);
      if (info.type !== LinkType.STRUCT_OPS || !info.structOps) {
        throw new InvalidArgumentError(`${path} is a ${linkTypeName(info.type)} link, not a struct_ops link`, "path");
      }
      map = BpfMap.fromId(info.structOps.mapId);
      const handle = new StructOpsLink(map.name, { kind: "link", link, map, ownsMap: true });
      handle.#pinnedPath = path;
      return handle;
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

  /** The BPF link of a `.struct_ops.link` map (Linux 6.4); undefined for plain `.struct_ops` maps. */
  get fd(): FD | undefined {
    const r = this.#registration;
    return r?.kind === "link" ? r.link : undefined;
  }

  get closed(): boolean {
    return this.#registration === undefined;
  }

  /** Where the link was pinned by pin() or opened from by openPinned(). */
  get pinnedPath(): string | undefined {
    return this.#pinnedPath;
  }

  /**
   * Swaps the registered implementation for another `.struct_ops.link` map of
   * the same kernel struct, atomically (BPF_LINK_UPDATE, Linux 6.4): by its
   * name in the collection (its value is written first if it was not), or a
   * Map whose value is already written. BPF_F_REPLACE with the map behind the
   * link, so a concurrent update elsewhere fails instead of being overwritten.
   * For tcp_congestion_ops the new map must carry the same `.name`.
   */
  update(target: string | BpfMap): void {
    const r = this.#linkRegistration("update");
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

  /** Pins the link at `path` in bpffs: the registration then outlives this handle and the process, until unpinned. */
  pin(path: string): void {
    pinFd(this.#linkRegistration("pin").link, path);
    this.#pinnedPath = path;
  }

  /** Removes the pin made by pin() (or the one the link was opened from); the registration ends once no fd holds the link. */
  unpin(): void {
    const path = this.#pinnedPath;
    if (path === undefined) throw new NotFoundError(`struct_ops link of '${this.#mapName}' is not pinned`);
    unpinPath(path);
    this.#pinnedPath = undefined;
  }

  /** Closes the handle: unregisters unless the link is pinned. Idempotent. */
  close(): void {
    const r = this.#registration;
    this.#registration = undefined;
    if (!r) return;
    if (r.kind === "link") {
      r.link.close();
      if (r.ownsMap) r.map.close();
      return;
    }
    try {
      r.map.tryDelete(KEY_ZERO);
    } finally {
      r.map.close();
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #linkRegistration(what: string): Extract<Registration, { kind: "link" }> {
    const r = this.#registration;
    if (!r) throw new InvalidArgumentError(`struct_ops link of '${this.#mapName}' is closed`, "link");
    if (r.kind !== "link") {
      throw new InvalidArgumentError(
        `struct_ops '${this.#mapName}' is a plain .struct_ops map, registered without a link, so it cannot ${what}; declare it in SEC(".struct_ops.link")`,
        "link",
      );
    }
    return r;
  }
}
