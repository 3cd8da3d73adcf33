// Low-level baseline for the map benchmarks: map operations issued directly
// on src/sys (one reusable Attr per command, precomputed addresses), with no
// Map layer in between. It is not an API — it exists so the report can tell
// how much of any gap to C is the kernel boundary (N-API + syscall) and how
// much is the public Map API on top of it.
import { Attr, stableBytes } from "../src/sys/attr.js";
import { Cmd, MapBatchAttr, MapCreateAttr, MapElemAttr } from "../src/sys/layouts.js";
import { bpfCall, bpfRaw } from "../src/sys/syscall.js";
import { FD } from "../src/sys/fd.js";
import { errorFromErrno } from "../src/sys/errors.js";
import { ENOENT } from "../src/sys/errno.js";

/** Creates a map of `mapType` (uapi number) with 4-byte keys and 8-byte values, as the C harness does. */
export function createRawMap(mapType: number, maxEntries: number): FD {
  const attr = new Attr(MapCreateAttr);
  attr.set("map_type", mapType).set("key_size", 4).set("value_size", 8).set("max_entries", maxEntries);
  attr.setString("map_name", "bench");
  return new FD(bpfCall(Cmd.MAP_CREATE, attr.address, attr.size, "BPF_MAP_CREATE"), "map fd");
}

/** Single-element operations on one map through reused key/value buffers. */
export class RawElemOps {
  readonly #attr = new Attr(MapElemAttr);
  readonly #key = new Uint32Array(stableBytes(4).buffer);
  readonly #valueWords = new Uint32Array(stableBytes(8).buffer);

  constructor(fd: FD) {
    this.#attr.set("map_fd", fd.raw).setPointer("key", this.#key).setPointer("value", this.#valueWords);
  }

  /** Looks up `key`; returns the low 32 bits of the value (the benchmarks keep values small). */
  lookup(key: number): number {
    this.#key[0] = key;
    const r = bpfRaw(Cmd.MAP_LOOKUP_ELEM, this.#attr.address, MapElemAttr.size);
    if (r < 0) throw errorFromErrno(-r, "BPF_MAP_LOOKUP_ELEM");
    return this.#valueWords[0];
  }

  /** Writes `value` (< 2^32) at `key` with BPF_ANY. */
  update(key: number, value: number): void {
    this.#key[0] = key;
    this.#valueWords[0] = value;
    this.#valueWords[1] = 0;
    const r = bpfRaw(Cmd.MAP_UPDATE_ELEM, this.#attr.address, MapElemAttr.size);
    if (r < 0) throw errorFromErrno(-r, "BPF_MAP_UPDATE_ELEM");
  }
}

/** BPF_MAP_LOOKUP_BATCH / BPF_MAP_UPDATE_BATCH over u32 keys and u64 values. */
export class RawBatchOps {
  readonly #fd: number;
  readonly #attr = new Attr(MapBatchAttr);
  readonly #inBatch = stableBytes(4);
  readonly #outBatch = stableBytes(4);
  /** Keys and values of the last lookup batch. */
  readonly keys: Uint32Array;
  readonly values: Uint32Array;
  readonly #batch: number;

  constructor(fd: FD, batch: number) {
    this.#fd = fd.raw;
    this.#batch = batch;
    this.keys = new Uint32Array(stableBytes(batch * 4).buffer);
    this.values = new Uint32Array(stableBytes(batch * 8).buffer);
  }

  /**
   * Walks the whole map; calls `onBatch(count)` after each batch (keys and
   * values are in `this.keys` / `this.values`). Returns the entries seen.
   */
  dumpAll(onBatch?: (count: number) => void): number {
    const a = this.#attr;
    let seen = 0;
    let first = true;
    for (;;) {
      a.zero().set("map_fd", this.#fd).set("count", this.#batch);
      a.setPointer("in_batch", first ? null : this.#inBatch).setPointer("out_batch", this.#outBatch);
      a.setPointer("keys", this.keys).setPointer("values", this.values);
      const r = bpfRaw(Cmd.MAP_LOOKUP_BATCH, a.address, a.size);
      if (r < 0 && -r !== ENOENT) throw errorFromErrno(-r, "BPF_MAP_LOOKUP_BATCH");
      const count = a.get("count");
      seen += count;
      onBatch?.(count);
      if (r < 0) return seen;
      this.#inBatch.set(this.#outBatch);
      first = false;
    }
  }

  /** Inserts all of `keys`/`values` (parallel arrays) in chunks of the batch size. */
  fillAll(keys: Uint32Array, values: BigUint64Array): void {
    const a = this.#attr;
    for (let done = 0; done < keys.length; ) {
      const count = Math.min(this.#batch, keys.length - done);
      a.zero().set("map_fd", this.#fd).set("count", count);
      a.setPointer("keys", keys.subarray(done)).setPointer("values", values.subarray(done));
      const r = bpfRaw(Cmd.MAP_UPDATE_BATCH, a.address, a.size);
      if (r < 0) throw errorFromErrno(-r, "BPF_MAP_UPDATE_BATCH");
      done += a.get("count");
    }
  }
}
