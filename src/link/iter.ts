// BPF iterators (SEC("iter/…"), Linux 5.8): an iterator link (BPF_LINK_CREATE
// with BPF_TRACE_ITER, optionally limited to one map, cgroup or task), and
// its output. Every BPF_ITER_CREATE opens a fresh pass; reading that fd runs
// the program over the kernel objects in the reader's own context, filling
// the read buffer with what it prints (bpf_seq_printf). That read is a
// synchronous kernel call whose cost grows with the buffer, so:
//  - readAll()/readText() read synchronously (for tools and scripts);
//  - stream() and the async iterator read in bounded chunks with fs.read,
//    which runs in libuv's thread pool: the event loop never waits on the
//    kernel, and each chunk is handed over (and back-pressured) separately.
import { read as readAsync } from "node:fs";
import { Readable } from "node:stream";
import type { Program } from "../program/program.js";
import { AttachType, ProgramType, programTypeName } from "../program/types.js";
import { sectionType } from "../object/section-types.js";
import { linkCreate, type IterInfo } from "../sys/link.js";
import { iterCreate, readIterator } from "../sys/iter.js";
import { FD } from "../sys/fd.js";
import { errorFromErrno, InvalidArgumentError } from "../sys/errors.js";
import { checkedLinkInfo, Link, type LinkParts } from "./link.js";
import { describeLinkInfo } from "./describe.js";
import { LinkType } from "../sys/link-info.js";
import { checkObjectId } from "../sys/arguments.js";
import { fdById, openPinnedFd } from "../sys/objects.js";
import { openSync, constants as fsConstants } from "node:fs";

/** enum bpf_cgroup_iter_order: how a cgroup iterator walks the hierarchy. */
export const CgroupIterOrder = { SELF_ONLY: 1, DESCENDANTS_PRE: 2, DESCENDANTS_POST: 3, ANCESTORS_UP: 4 } as const;

/** Options of {@link attachIter}: at most one of map, cgroup and task (what the iterator is limited to). */
export interface IterOptions {
  /** bpf_map_elem / bpf_sk_storage_map / sockmap iterators: the map to walk (Linux 5.9). */
  map?: { readonly fd: FD } | FD;
  /** cgroup iterator (Linux 6.1): the start cgroup (a v2 path, an fd or an id) and the walk order (default SELF_ONLY). */
  cgroup?: { path?: string; fd?: FD; id?: bigint; order?: number };
  /** task, task_file and task_vma iterators (Linux 6.1): only this thread, process or pidfd. */
  task?: { tid?: number; pid?: number; pidFd?: FD };
}

/** The target of SEC("iter/NAME") or SEC("iter.s/NAME"). */
export interface IterSection {
  /** The iterator ("task", "bpf_map_elem", "tcp" …). */
  target: string;
  sleepable: boolean;
}

/** Parses SEC("iter/NAME") and SEC("iter.s/NAME"); undefined for other names. */
export function iterOfSection(sectionName: string): IterSection | undefined {
  const m = /^iter(\.s)?\/(\w+)$/.exec(sectionName);
  return m ? { target: m[2]!, sleepable: m[1] !== undefined } : undefined;
}

/** Bytes asked of the kernel per read of stream()/the async iterator. */
const CHUNK = 64 * 1024;

/** Errnos a read of an iterator may transiently return. */
const RETRY = new Set(["EAGAIN", "EINTR"]);
const MAX_RETRIES = 1000;

/**
 * An iterator's output as a Readable of Buffers: fs.read in libuv's thread
 * pool, one bounded chunk at a time, the pass's fd closed at the end, on
 * error and on destroy (after any read in flight has returned, so 'close'
 * comes after the fd is closed).
 */
function iteratorReadable(linkFd: FD, chunkSize: number): Readable {
  const fd = iterCreate(linkFd);
  let inFlight = false;
  // destroy() during a read: finish it (close the fd, then report) when the read returns.
  let finishDestroy: (() => void) | undefined;
  let retries = 0;
  const closeFd = (): void => {
    if (!fd.closed) fd.close();
  };
  return new Readable({
    read(): void {
      if (inFlight || fd.closed) return;
      inFlight = true;
      const buffer = Buffer.allocUnsafe(chunkSize);
      readAsync(fd.raw, buffer, 0, chunkSize, null, (err, n) => {
        inFlight = false;
        if (finishDestroy) return finishDestroy();
        if (err) {
          if (err.code && RETRY.has(err.code) && retries++ < MAX_RETRIES) return void this._read(chunkSize);
          closeFd();
          return void this.destroy(errorFromErrno(err.errno ? -err.errno : 5, "read(iterator fd)", `${fd}`));
        }
        if (n === 0) {
          closeFd();
          this.push(null);
          return;
        }
        this.push(buffer.subarray(0, n));
      });
    },
    destroy(error, callback): void {
      finishDestroy = (): void => {
        closeFd();
        callback(error);
      };
      if (!inFlight) finishDestroy();
    },
  });
}

/**
 * A link of an iterator program: read its output with readAll()/readText()
 * (synchronous), stream() (a Node Readable) or `for await` over it. Each
 * read is a new pass over the kernel's objects.
 */
export class IterLink extends Link {
  /** @internal Built by attachIter, IterLink.openPinned and IterLink.fromId. */
  constructor(parts: LinkParts) {
    super(parts);
  }

  /**
   * Opens the iterator link pinned at `path` (by `pin()`, `tsbpf iter pin` or
   * `bpftool iter pin`) with its reading methods; InvalidArgumentError when
   * the pin is another kind of link or object.
   */
  static override openPinned(path: string): IterLink {
    if (typeof path !== "string") throw new InvalidArgumentError("IterLink.openPinned: path must be a string", "path");
    return adoptIter(openPinnedFd(path, "rw", "link"), path, path);
  }

  /** Opens the iterator link with this id (needs CAP_SYS_ADMIN), with its reading methods. */
  static override fromId(id: number): IterLink {
    checkObjectId(id, "IterLink.fromId");
    return adoptIter(fdById("link", id), `link ${id}`);
  }

  /** One whole pass, read synchronously (the program runs in this thread, in the kernel). */
  readAll(): Uint8Array {
    using fd = iterCreate(this.fd);
    return readIterator(fd);
  }

  /** readAll() as UTF-8 text (what bpf_seq_printf wrote). */
  readText(): string {
    return new TextDecoder().decode(this.readAll());
  }

  /** One pass as a Readable of Buffers, read off the event loop in chunks of `chunkSize` bytes. */
  stream(chunkSize = CHUNK): Readable {
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new InvalidArgumentError(`chunkSize must be a positive integer, not ${chunkSize}`, "chunkSize");
    return iteratorReadable(this.fd, chunkSize);
  }

  /** `for await (const chunk of link)`: one pass, chunk by chunk, as stream() reads it. */
  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return this.stream()[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }
}

/** An IterLink owning `fd`, which must be an iterator link (closed when it is not). */
function adoptIter(fd: FD, what: string, pinnedPath?: string): IterLink {
  try {
    const info = checkedLinkInfo(fd, what, "path", { type: LinkType.ITER, noun: "an iterator" });
    return new IterLink({ link: fd, target: describeLinkInfo(info), ...(pinnedPath !== undefined ? { pinnedPath } : {}) });
  } catch (e) {
    fd.close();
    throw e;
  }
}

function iterInfo(options: IterOptions): { info?: IterInfo; owned?: FD; what: string } {
  const given = [options.map, options.cgroup, options.task].filter((x) => x !== undefined).length;
  if (given > 1) throw new InvalidArgumentError("give at most one of map, cgroup and task", "map");
  if (options.map !== undefined) {
    const fd = options.map instanceof FD ? options.map : options.map?.fd;
    if (!(fd instanceof FD)) throw new InvalidArgumentError("map must be a BpfMap or an FD", "map");
    return { info: { map: fd }, what: ` map fd ${fd.raw}` };
  }
  if (options.cgroup !== undefined) {
    const c = options.cgroup;
    const order = c.order ?? CgroupIterOrder.SELF_ONLY;
    if (![c.path, c.fd, c.id].some((x) => x !== undefined)) throw new InvalidArgumentError("cgroup needs a path, fd or id", "cgroup");
    if (c.path !== undefined) {
      const owned = new FD(openSync(c.path, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY), "cgroup fd");
      return { info: { cgroupFd: owned, order }, owned, what: ` cgroup ${c.path}` };
    }
    return { info: { ...(c.fd ? { cgroupFd: c.fd } : {}), ...(c.id !== undefined ? { cgroupId: c.id } : {}), order }, what: ` cgroup ${c.id ?? `fd ${c.fd?.raw}`}` };
  }
  if (options.task !== undefined) {
    const t = options.task;
    const ids = [t.tid, t.pid].filter((x) => x !== undefined);
    if (ids.some((x) => !Number.isInteger(x) || x! <= 0)) throw new InvalidArgumentError("task.tid / task.pid must be positive process ids", "task");
    if (ids.length + (t.pidFd ? 1 : 0) !== 1) throw new InvalidArgumentError("task needs exactly one of tid, pid and pidFd", "task");
    return { info: { ...t }, what: t.tid !== undefined ? ` tid ${t.tid}` : t.pid !== undefined ? ` pid ${t.pid}` : " pidfd" };
  }
  return { what: "" };
}

/**
 * Creates an iterator link for an iterator program (SEC("iter/NAME")),
 * optionally limited to a map, cgroup or task. Read it with the returned
 * link's readAll(), stream() or async iterator; pin it to let
 * `cat /sys/fs/bpf/PATH` read it.
 * Errors: InvalidArgumentError (not an iterator program, conflicting or bad
 * options), and the kernel's refusals (e.g. a map iterator without a map).
 */
export function attachIter(program: Program, options: IterOptions = {}): IterLink {
  const declared = program.sectionName === undefined ? undefined : sectionType(program.sectionName);
  if (program.type !== ProgramType.Tracing || (declared !== undefined && declared.expectedAttachType !== AttachType.TraceIter)) {
    throw new InvalidArgumentError(
      `program '${program.name}' is a ${programTypeName(program.type)} program${program.sectionName ? ` from SEC("${program.sectionName}")` : ""}; ` +
        "attachIter needs an iterator program (SEC(\"iter/…\"))",
      "program",
    );
  }
  const { info, owned, what } = iterInfo(options);
  try {
    const link = linkCreate({ progFd: program.fd, attachType: AttachType.TraceIter, ...(info ? { iterInfo: info } : {}) });
    const name = program.sectionName === undefined ? undefined : iterOfSection(program.sectionName)?.target;
    return new IterLink({ link, target: `iter${name ? ` ${name}` : ""}${what}` });
  } finally {
    owned?.close();
  }
}
