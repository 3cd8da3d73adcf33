// mmap() of map memory: the values of BPF_F_MMAPABLE arrays (5.5+) and the
// pages of arenas (6.9+), shared with BPF programs without syscalls.
import { readFileSync } from "node:fs";
import { native } from "../sys/native.js";
import { ClosedError, errorFromErrno } from "../sys/errors.js";

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
const AT_PAGESZ = 6n;

let pageSizeCache: number | undefined;

/** The system page size, from the process's auxiliary vector (AT_PAGESZ). */
export function pageSize(): number {
  if (pageSizeCache === undefined) {
    pageSizeCache = 4096;
    try {
      const auxv = readFileSync("/proc/self/auxv");
      for (let off = 0; off + 16 <= auxv.length; off += 16) {
        if (auxv.readBigUInt64LE(off) === AT_PAGESZ) {
          pageSizeCache = Number(auxv.readBigUInt64LE(off + 8));
          break;
        }
      }
    } catch {
      // Keep 4096: /proc may be hidden; every architecture's default.
    }
  }
  return pageSizeCache;
}

/**
 * A mapping of map memory. Writable mappings: `buffer`/`bytes`/`view` alias
 * the kernel's pages until `close()`. Read-only mappings (frozen maps,
 * read-only fds): they are fresh copies of the current contents, because V8
 * cannot make a view read-only and one write through an alias of a PROT_READ
 * page would kill the process.
 */
export class MapMemory implements Disposable {
  #buffer: ArrayBuffer | undefined;
  readonly #onClose: (m: MapMemory) => void;
  /** Whether the mapping is writable (and its views alias it). */
  readonly writable: boolean;
  /** Bytes mapped (a multiple of the page size). */
  readonly length: number;

  /** @internal use Map.mmap(). */
  constructor(buffer: ArrayBuffer, writable: boolean, onClose: (m: MapMemory) => void) {
    this.#buffer = buffer;
    this.writable = writable;
    this.length = buffer.byteLength;
    this.#onClose = onClose;
  }

  /** The shared memory (a copy of it when read-only); ClosedError after close(). */
  get buffer(): ArrayBuffer {
    const b = this.#mapped();
    return this.writable ? b : b.slice(0);
  }

  /** A copy of `length` bytes from `offset`, without copying the whole of a read-only mapping. */
  read(offset: number, length: number): Uint8Array {
    return new Uint8Array(this.#mapped()).slice(offset, offset + length);
  }

  #mapped(): ArrayBuffer {
    if (!this.#buffer) throw new ClosedError("map memory (unmapped by close())");
    return this.#buffer;
  }

  /** A byte view of the whole mapping (of a snapshot copy when read-only). */
  get bytes(): Uint8Array {
    return new Uint8Array(this.buffer);
  }

  /** A DataView of the whole mapping (of a snapshot copy when read-only). */
  get view(): DataView {
    return new DataView(this.buffer);
  }

  /** True after close(). */
  get closed(): boolean {
    return this.#buffer === undefined;
  }

  /** Unmaps; views created earlier become detached (zero length). Idempotent. */
  close(): void {
    const b = this.#buffer;
    if (!b) return;
    this.#buffer = undefined;
    native.munmap(b);
    this.#onClose(this);
  }

  /** Unmaps the memory (`using`). */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * mmap(2)s `length` bytes of an fd shared with the kernel (map memory, ring
 * and perf buffers) from byte `offset` (a multiple of the page size).
 */
export function mmapSharedFd(rawFd: number, length: number, writable: boolean, what: string, offset = 0): ArrayBuffer {
  const r = native.mmap(rawFd, length, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, offset);
  if (typeof r === "number") throw errorFromErrno(-r, "mmap", what);
  return r;
}
