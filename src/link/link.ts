// Link: a program attached somewhere — the one handle for every attachment,
// BPF links and the older kinds alike. It owns every fd that keeps the
// attachment alive (the BPF link fd; for perf-event attachments the perf
// event too) and, for attachments that are not BPF links (PROG_ATTACH,
// netlink tc filters, socket options, PERF_EVENT_IOC_SET_BPF), the step that
// undoes them. Closing it detaches the program unless the link is pinned.
import type { Program } from "../program/program.js";
import { checkFdArgument, FD } from "../sys/fd.js";
import { checkObjectId, describeValue } from "../sys/arguments.js";
import { bpfFdKindMismatch } from "../sys/fd-kind.js";
import { ClosedError, InvalidArgumentError, NotFoundError } from "../sys/errors.js";
import { LinkType, linkInfo, linkTypeName, type LinkInfo } from "../sys/link-info.js";
import { linkDetach, linkUpdate } from "../sys/link.js";
import { allIds, fdById, openPinnedFd, pinFd, unpinPath } from "../sys/objects.js";
import { describeLinkInfo } from "./describe.js";

/** @internal What an attach function hands to a Link. */
export interface LinkParts {
  /** What the program is attached to, in words. */
  target: string;
  /** The BPF link fd, for attachments made with BPF_LINK_CREATE / RAW_TRACEPOINT_OPEN. */
  link?: FD;
  /** Fds the attachment depends on (perf events, sockets …), closed after the link, in order. */
  others?: readonly FD[];
  /** Undoes an attachment that is not a BPF link (PROG_DETACH, netlink delete, SO_DETACH_BPF); called once. */
  detach?: () => void;
  /** Swaps the program of an attachment that is not a BPF link, where its kernel interface allows it. */
  update?: (program: Program, oldProgram?: Program) => void;
  /** Frees what the handle holds besides fds (e.g. a map it opened), at close, after the detach. */
  release?: () => void;
  /** Where the link was opened from, when it came from a pin. */
  pinnedPath?: string;
}

// The link types whose kernel ops implement BPF_LINK_UPDATE / BPF_LINK_DETACH;
// asking another type gets a message that says so instead of a bare errno.
const UPDATABLE: ReadonlySet<number> = new Set([
  LinkType.CGROUP, LinkType.ITER, LinkType.NETNS, LinkType.XDP, LinkType.TCX, LinkType.NETKIT, LinkType.SOCKMAP,
]);
const DETACHABLE: ReadonlySet<number> = new Set([
  LinkType.CGROUP, LinkType.NETNS, LinkType.XDP, LinkType.STRUCT_OPS, LinkType.NETFILTER, LinkType.TCX,
  LinkType.NETKIT, LinkType.SOCKMAP,
]);

/** Options of {@link Link.update}. */
export interface LinkUpdateOptions {
  /** Swap only if this program is the one attached now (BPF_F_REPLACE); otherwise InvalidArgumentError. */
  oldProgram?: Program;
}

/**
 * An attachment of a program. Close it (or use `using`) to detach; a pinned
 * link stays attached until its pin is removed too.
 */
export class Link implements Disposable {
  #link: FD | undefined;
  readonly #others: readonly FD[];
  #detachStep: (() => void) | undefined;
  readonly #updateStep: ((program: Program, oldProgram?: Program) => void) | undefined;
  readonly #release: (() => void) | undefined;
  #pinnedPath: string | undefined;
  #closed = false;
  /** What the program is attached to, in words ("tracepoint syscalls/sys_enter_openat"). */
  readonly target: string;

  /** @internal Built by the attach functions of src/link/ and by Link.fromFd/fromId/openPinned. */
  constructor(parts: LinkParts) {
    this.#link = parts.link;
    this.#others = parts.others ?? [];
    this.#detachStep = parts.detach;
    this.#updateStep = parts.update;
    this.#release = parts.release;
    this.#pinnedPath = parts.pinnedPath;
    this.target = parts.target;
  }

  /**
   * Wraps a BPF link fd, taking ownership of it (a number is wrapped in a new
   * FD); on error the fd stays the caller's. Same shape as BpfMap.fromFd and
   * Program.fromFd.
   */
  static fromFd(fd: FD | number): Link {
    checkFdArgument(fd, "Link.fromFd");
    const owned = typeof fd === "number" ? new FD(fd, "link fd") : fd;
    try {
      return new Link({ link: owned, target: describeLinkInfo(checkedLinkInfo(owned, `Link.fromFd: fd ${owned.raw}`, "fd")) });
    } catch (e) {
      if (typeof fd === "number") owned.release();
      throw e;
    }
  }

  /** Opens the link with this id (needs CAP_SYS_ADMIN). Closing it detaches only if nothing else holds the link. */
  static fromId(id: number): Link {
    checkObjectId(id, "Link.fromId");
    return adopt(fdById("link", id));
  }

  /** Opens the link pinned at `path` in bpffs (by this or another process). */
  static openPinned(path: string): Link {
    if (typeof path !== "string") throw new InvalidArgumentError(`Link.openPinned: path must be a string (got ${describeValue(path)})`, "path");
    const link = adopt(openPinnedFd(path, "rw", "link"));
    link.#pinnedPath = path;
    return link;
  }

  /** Ids of every BPF link on the system, ascending (Linux 5.8). */
  static ids(): number[] {
    return [...allIds("link")];
  }

  /** What the kernel reports about the link with this id, without keeping it open. */
  static infoById(id: number): LinkInfo {
    checkObjectId(id, "Link.infoById");
    using fd = fdById("link", id);
    return linkInfo(fd);
  }

  /** Info of every BPF link on the system (links gone meanwhile are skipped), like `bpftool link list`. */
  static list(): LinkInfo[] {
    const out: LinkInfo[] = [];
    for (const id of allIds("link")) {
      try {
        out.push(Link.infoById(id));
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
      }
    }
    return out;
  }

  /** True when the attachment is a BPF link (it has an id, info, pins); false for the older kinds. */
  get isBpfLink(): boolean {
    return this.#link !== undefined;
  }

  /** The BPF link fd (still owned by the link); InvalidArgumentError for attachments without one. */
  get fd(): FD {
    return this.#bpfLink("have a BPF link fd");
  }

  /** The kernel's id of the link. */
  get id(): number {
    return this.info().id;
  }

  /** What the kernel reports about the link (Linux 5.8). */
  info(): LinkInfo {
    return linkInfo(this.#bpfLink("report link info"));
  }

  /** Where the link was pinned by pin() or opened from by openPinned(). */
  get pinnedPath(): string | undefined {
    return this.#pinnedPath;
  }

  /** Pins the link at `path` in bpffs: the attachment then outlives this handle and the process, until unpinned. */
  pin(path: string): void {
    pinFd(this.#bpfLink("be pinned"), path);
    this.#pinnedPath = path;
  }

  /** Removes the pin made by pin() (or the one the link was opened from). */
  unpin(): void {
    const path = this.#pinnedPath;
    if (path === undefined) throw new NotFoundError(`link (${this.target}) is not pinned`);
    try {
      unpinPath(path);
    } finally {
      this.#pinnedPath = undefined;
    }
  }

  /**
   * Puts `program` behind the link atomically (BPF_LINK_UPDATE, Linux 5.7),
   * where the link type allows it (cgroup, iter, netns, xdp, tcx, netkit,
   * sockmap) or the attachment's own interface allows it; InvalidArgumentError
   * for attachments that cannot.
   */
  update(program: Program, options: LinkUpdateOptions = {}): void {
    this.#assertOpen("update");
    if (this.#link) {
      this.#requireKind(UPDATABLE, "swap its program (BPF_LINK_UPDATE); attach the new program and close this link");
      linkUpdate(this.#link, program.fd, options.oldProgram ? { oldProgFd: options.oldProgram.fd } : {});
    } else if (this.#updateStep) {
      this.#updateStep(program, options.oldProgram);
    } else {
      throw new InvalidArgumentError(`${this.target}: this kind of attachment cannot swap its program; attach the new program and close this link`, "link");
    }
  }

  /**
   * Detaches the program now but keeps the handle (BPF_LINK_DETACH for BPF
   * links of the types whose kernel ops allow it — cgroup, netns, xdp,
   * struct_ops, netfilter, tcx, netkit, sockmap — Linux 5.9; the undo step for
   * attachments that are not BPF links): even a pinned link stops running its
   * program, and info() reports progId 0. InvalidArgumentError for the others
   * (tracing and perf_event links end when their last fd and pin are gone).
   */
  detach(): void {
    this.#assertOpen("detach");
    if (this.#link) {
      this.#requireKind(DETACHABLE, "be detached while open (BPF_LINK_DETACH); close() it, and unpin it if pinned");
      linkDetach(this.#link);
      return;
    }
    const step = this.#detachStep;
    this.#detachStep = undefined;
    step?.();
  }

  /** True after close(). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the handle: detaches unless the link is pinned (or held elsewhere). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const step = this.#detachStep;
    this.#detachStep = undefined;
    try {
      this.#link?.close();
      step?.();
    } finally {
      for (const fd of this.#others) fd.close();
      this.#release?.();
    }
  }

  /** Closes the link (`using`): the program is detached unless the link is pinned. */
  [Symbol.dispose](): void {
    this.close();
  }

  toString(): string {
    return `Link(${this.target}${this.closed ? ", closed" : ""})`;
  }

  /** @internal The BPF link fd while open, for subclasses (struct_ops) that drive it themselves. */
  protected get bpfLinkFd(): FD | undefined {
    return this.#closed ? undefined : this.#link;
  }

  #assertOpen(what: string): void {
    if (this.#closed) throw new ClosedError(`cannot ${what} link (${this.target}): it is closed`);
  }

  #requireKind(kinds: ReadonlySet<number>, what: string): void {
    const type = linkInfo(this.#link!).type;
    if (!kinds.has(type)) throw new InvalidArgumentError(`${this.target}: a ${linkTypeName(type)} link cannot ${what}`, "link");
  }

  #bpfLink(what: string): FD {
    this.#assertOpen(what);
    if (!this.#link) throw new InvalidArgumentError(`${this.target} is attached without a BPF link, so it cannot ${what}`, "link");
    return this.#link;
  }
}

/**
 * @internal What the kernel reports about `fd`, once it is known to be a BPF
 * link — of type `expected.type` when given (a map or program fd would be
 * misread as link info, so its kind is checked first; without procfs the
 * kernel's own check decides). InvalidArgumentError on `field` naming `what`.
 */
export function checkedLinkInfo(fd: FD, what: string, field: string, expected?: { type: number; noun: string }): LinkInfo {
  const mismatch = bpfFdKindMismatch(fd.raw, "link");
  if (mismatch !== undefined) throw new InvalidArgumentError(`${what} is ${mismatch}, not a BPF link`, field);
  const info = linkInfo(fd);
  if (expected && info.type !== expected.type) {
    throw new InvalidArgumentError(`${what} is a ${linkTypeName(info.type)} link, not ${expected.noun}`, field);
  }
  return info;
}

/** Makes a Link from a fresh fd, closing the fd if it is not a link. */
function adopt(fd: FD): Link {
  try {
    return Link.fromFd(fd);
  } catch (e) {
    fd.close();
    throw e;
  }
}

/**
 * Several links that act as one: the per-CPU events of a perf_event sampler,
 * the probes of a USDT, what `Collection.attach()` made. Closing the group
 * closes each link (all of them, even when one fails).
 */
export class LinkGroup implements Disposable, Iterable<Link> {
  readonly links: readonly Link[];

  constructor(links: readonly Link[]) {
    this.links = links;
  }

  /** How many links the group holds. */
  get size(): number {
    return this.links.length;
  }

  /** Iterates the links of the group. */
  [Symbol.iterator](): Iterator<Link> {
    return this.links[Symbol.iterator]();
  }

  /** True when every link of the group is closed. */
  get closed(): boolean {
    return this.links.every((l) => l.closed);
  }

  /** Closes every link, then rethrows the first error any close raised. */
  close(): void {
    let first: unknown;
    for (const link of this.links) {
      try {
        link.close();
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
  }

  /** Closes every link of the group (`using`). */
  [Symbol.dispose](): void {
    this.close();
  }
}
