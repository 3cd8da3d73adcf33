// The element-op hot path: one reusable BPF_MAP_*_ELEM attr per map and
// scratch key / value / next-key buffers whose addresses are computed once.
// Callers copy user bytes into the scratch buffers, so a call costs one
// syscall and a few DataView writes, and allocates nothing.
import { Attr, addressOf, setU64, stableBytes } from "../sys/attr.js";
import { Cmd, MapElemAttr } from "../sys/layouts.js";
import { bpfRaw } from "../sys/syscall.js";
import type { FD } from "../sys/fd.js";

// Offsets inside union bpf_attr for the elem commands (see MapElemAttr).
const OFF_FD = 0;
const OFF_KEY = 8;
const OFF_VALUE = 16;
const OFF_FLAGS = 24;

/** Raw element operations on one map; every method returns the syscall result or -errno. */
export class ElemOps {
  readonly #fd: FD;
  readonly #attr = new Attr(MapElemAttr);
  readonly #view: DataView;
  readonly #attrAddress: number;
  readonly #attrSize: number;
  /** Scratch key (keySize bytes). */
  readonly key: Uint8Array;
  /** Scratch value (the kernel-side value size: per-CPU values are padded and repeated). */
  readonly value: Uint8Array;
  /** Scratch next key for GET_NEXT_KEY. */
  readonly next: Uint8Array;
  readonly #keyAddress: number;
  readonly #valueAddress: number;
  readonly #nextAddress: number;

  constructor(fd: FD, keySize: number, valueBufferSize: number) {
    this.#fd = fd;
    this.#view = this.#attr.view;
    this.#attrAddress = this.#attr.address;
    this.#attrSize = this.#attr.size;
    this.key = stableBytes(keySize);
    this.value = stableBytes(valueBufferSize);
    this.next = stableBytes(keySize);
    // Key-less maps (queue, stack, bloom filter) need a NULL key pointer.
    this.#keyAddress = keySize === 0 ? 0 : addressOf(this.key);
    this.#valueAddress = valueBufferSize === 0 ? 0 : addressOf(this.value);
    this.#nextAddress = keySize === 0 ? 0 : addressOf(this.next);
  }

  // What the attr currently holds, so unchanged fields are not rewritten.
  #lastKey = -1;
  #lastValue = -1;
  #lastFlags = -1;

  #call(cmd: Cmd, key: number, value: number, flags: number): number {
    const v = this.#view;
    // The getter throws ClosedError after close(); the number never changes.
    v.setUint32(OFF_FD, this.#fd.raw, true);
    if (key !== this.#lastKey) {
      setU64(v, OFF_KEY, key);
      this.#lastKey = key;
    }
    if (value !== this.#lastValue) {
      setU64(v, OFF_VALUE, value);
      this.#lastValue = value;
    }
    if (flags !== this.#lastFlags) {
      setU64(v, OFF_FLAGS, flags);
      this.#lastFlags = flags;
    }
    return bpfRaw(cmd, this.#attrAddress, this.#attrSize);
  }

  /** BPF_MAP_LOOKUP_ELEM of `key` into `value`. */
  lookup(flags: number): number {
    return this.#call(Cmd.MAP_LOOKUP_ELEM, this.#keyAddress, this.#valueAddress, flags);
  }

  /** BPF_MAP_UPDATE_ELEM of `key` → `value`. */
  update(flags: number): number {
    return this.#call(Cmd.MAP_UPDATE_ELEM, this.#keyAddress, this.#valueAddress, flags);
  }

  /** BPF_MAP_DELETE_ELEM of `key`. */
  delete(): number {
    return this.#call(Cmd.MAP_DELETE_ELEM, this.#keyAddress, 0, 0);
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM of `key` (or of the head, for key-less maps) into `value`. */
  lookupAndDelete(flags: number): number {
    return this.#call(Cmd.MAP_LOOKUP_AND_DELETE_ELEM, this.#keyAddress, this.#valueAddress, flags);
  }

  /** BPF_MAP_GET_NEXT_KEY after `key` (or the first key when `fromStart`) into `next`. */
  nextKey(fromStart: boolean): number {
    return this.#call(Cmd.MAP_GET_NEXT_KEY, fromStart ? 0 : this.#keyAddress, this.#nextAddress, 0);
  }

  /** BPF_MAP_FREEZE. */
  freeze(): number {
    return this.#call(Cmd.MAP_FREEZE, 0, 0, 0);
  }
}
