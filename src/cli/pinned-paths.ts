// Where objects are pinned, for `show -f` (bpftool's build_pinned_obj_table):
// every bpffs mount in /proc/mounts is walked depth-first in directory order
// (as nftw does), each file opened and, if it is an object of the kind asked
// for, its path recorded under the object's id. bpftool keeps the paths in a
// libbpf hashmap and prints an id's paths in that map's chain order; the same
// order is reproduced here (see PinnedPaths.add).
import { lstatSync, opendirSync, readFileSync, type Dirent } from "node:fs";
import path from "node:path";
import { stableBytes } from "../sys/attr.js";
import { infoByFd, openPinnedFd } from "../sys/objects.js";
import { bpfFdKindMismatch, type BpfFdKind } from "../sys/fd-kind.js";
import type { FD } from "../sys/fd.js";

/** Paths by object id, for one kind of object. */
export class PinnedPaths {
  readonly #byId = new Map<number, string[]>();
  #size = 0;
  #capacity = 0;

  /** Scans every bpffs mount for pins of `kind`. */
  static scan(kind: BpfFdKind): PinnedPaths {
    const table = new PinnedPaths();
    for (const mount of bpffsMounts()) walk(mount, (file) => {
      const id = pinnedId(file, kind);
      if (id !== undefined) table.add(id, file);
    });
    return table;
  }

  /**
   * Records a path. libbpf's hashmap inserts at the head of a bucket's chain
   * and, when it grows (before an insert that would pass 3/4 of its
   * capacity, starting at 4 buckets), re-inserts each chain head first, which
   * reverses it; an id's paths keep that order.
   */
  add(id: number, file: string): void {
    if (this.#capacity === 0 || Math.floor(((this.#size + 1) * 4) / 3) > this.#capacity) {
      this.#capacity = this.#capacity === 0 ? 4 : this.#capacity * 2;
      for (const list of this.#byId.values()) list.reverse();
    }
    const list = this.#byId.get(id);
    if (list) list.unshift(file);
    else this.#byId.set(id, [file]);
    this.#size++;
  }

  /** True when no object of the kind is pinned anywhere (bpftool then prints no "pinned" member). */
  get empty(): boolean {
    return this.#size === 0;
  }

  /** The paths of object `id`, in bpftool's order. */
  of(id: number): readonly string[] {
    return this.#byId.get(id) ?? [];
  }
}

/** Mount points of bpffs, in /proc/mounts order. */
function bpffsMounts(): string[] {
  let text: string;
  try {
    text = readFileSync("/proc/mounts", "utf8");
  } catch {
    return [];
  }
  return text.split("\n").map((l) => l.split(" ")).filter((f) => f[2] === "bpf" && f[1] !== undefined)
    .map((f) => f[1]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

/** Depth-first, directories before their contents, entries in the order the filesystem lists them; symlinks not followed. */
function walk(dir: string, visit: (file: string) => void): void {
  let handle;
  try {
    handle = opendirSync(dir);
  } catch {
    return; // unreadable: nftw would skip it too
  }
  try {
    for (let entry = handle.readSync(); entry !== null; entry = handle.readSync()) {
      const full = path.join(dir, entry.name);
      const type = entryType(entry, full);
      if (type === "dir") walk(full, visit);
      else if (type === "file") visit(full);
    }
  } finally {
    handle.closeSync();
  }
}

function entryType(entry: Dirent, full: string): "dir" | "file" | "other" {
  if (entry.isDirectory()) return "dir";
  if (entry.isFile()) return "file";
  if (entry.isSymbolicLink() || entry.isFIFO() || entry.isSocket() || entry.isBlockDevice() || entry.isCharacterDevice()) return "other";
  try {
    // DT_UNKNOWN: ask lstat, as nftw does.
    const st = lstatSync(full);
    return st.isDirectory() ? "dir" : st.isFile() ? "file" : "other";
  } catch {
    return "other"; // gone meanwhile
  }
}

/** The id of the object pinned at `file` if it is of `kind`; undefined otherwise (or if it cannot be opened). */
function pinnedId(file: string, kind: BpfFdKind): number | undefined {
  let fd: FD;
  try {
    fd = openPinnedFd(file); // read-write, as bpftool: links cannot be opened read-only
  } catch {
    return undefined; // not a pin, or not ours to open
  }
  try {
    if (bpfFdKindMismatch(fd.raw, kind) !== undefined) return undefined;
    // id is the second u32 of bpf_prog_info, bpf_map_info and bpf_link_info alike.
    const info = stableBytes(8);
    infoByFd(fd, info);
    return new DataView(info.buffer, info.byteOffset, 8).getUint32(4, true);
  } catch {
    return undefined;
  } finally {
    fd.close();
  }
}
