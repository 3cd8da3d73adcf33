// An opened map as the element verbs see it: the library's Map (public API)
// plus the extra facts `map show` prints (memlock, frozen, … from fdinfo).
import { BpfMap, type MapValue } from "../map.js";
import { isKeylessType } from "../map/types.js";
import type { FD } from "../sys/fd.js";
import { BpfError, InvalidArgumentError } from "../sys/errors.js";
import { ENOENT } from "../sys/errno.js";
import { mapShowInfo, type MapShowInfo } from "./kernel-info.js";

/** One map opened for the CLI; `close()` releases it. */
export class MapAccess {
  /** The library's handle on the map; owns the fd. */
  readonly map: BpfMap;
  /** What `map show` prints about it, read when it was opened. */
  readonly info: MapShowInfo;

  private constructor(fd: FD) {
    this.info = mapShowInfo(fd);
    this.map = BpfMap.fromFd(fd);
  }

  /** Takes ownership of `fd`; closes it when it is not a usable map. */
  static adopt(fd: FD): MapAccess {
    try {
      return new MapAccess(fd);
    } catch (e) {
      fd.close();
      throw e;
    }
  }

  /** Bytes the kernel copies per value: per-CPU maps hold one 8-byte-aligned slot per possible CPU. */
  get valueBufferSize(): number {
    return this.map.valueBufferSize;
  }

  /** Values hold one slot per possible CPU. */
  get perCpu(): boolean {
    return this.map.isPerCpu;
  }

  /** Queue, stack and bloom filter maps have no keys. */
  get keyless(): boolean {
    return isKeylessType(this.info.type);
  }

  /** The value under `key` (the head for queues/stacks when `key` is null), or undefined. */
  lookup(key: Uint8Array | null): Uint8Array | undefined {
    return key === null ? this.map.peek() : this.map.tryLookup(key);
  }

  /**
   * Looks `key` up for a dump: the value, or the errno when the kernel
   * refuses (perf event arrays, prog arrays … cannot be read from user space).
   */
  lookupForDump(key: Uint8Array): { value: Uint8Array } | { errno: number } {
    try {
      const value = this.map.tryLookup(key);
      return value ? { value } : { errno: ENOENT };
    } catch (e) {
      if (e instanceof BpfError && e.errno !== undefined) return { errno: e.errno };
      throw e;
    }
  }

  /** Stores `value` under `key` (pushes it when `key` is null) with update `flags`. */
  update(key: Uint8Array | null, value: MapValue, flags: number): void {
    if (key === null) {
      if (!ArrayBuffer.isView(value)) throw new InvalidArgumentError("a key-less map takes a byte value", "value");
      this.map.push(value, flags);
    } else {
      this.map.update(key, value, flags);
    }
  }

  /** Deletes `key`; KeyNotFoundError when absent. */
  delete(key: Uint8Array): void {
    this.map.delete(key);
  }

  /** The key after `key` (the first when null), or undefined at the end. */
  nextKey(key: Uint8Array | null): Uint8Array | undefined {
    return this.map.nextKey(key);
  }

  /** Removes and returns the head of a queue/stack, or undefined when empty. */
  pop(): Uint8Array | undefined {
    return this.map.pop();
  }

  /** Makes the map read-only for user space (Linux 5.2). */
  freeze(): void {
    this.map.freeze();
  }

  /** Every key, tolerating concurrent deletes (see Map.keys). */
  keys(): Iterable<Uint8Array> {
    return this.map.keys();
  }

  /** Closes the map's fd. */
  close(): void {
    this.map.close();
  }
}
