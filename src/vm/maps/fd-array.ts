// What prog arrays and perf event arrays share with the kernel's fd arrays
// (kernel/bpf/arraymap.c): u32 index keys, slots that are set or empty,
// updates only with BPF_ANY, delete of an empty slot -ENOENT, an index past
// the end -E2BIG, and array-style BPF_MAP_GET_NEXT_KEY.
import * as E from "../../sys/errno.js";
import { UpdateFlags } from "../../map/types.js";
import { VmMap } from "./base.js";
import { arrayNextKey, readU32 } from "./bytes.js";

/** Base of fd-valued arrays whose slots hold `T`. */
export abstract class FdArrayVmMap<T> extends VmMap {
  /** The slots (undefined: empty). */
  protected readonly slots: (T | undefined)[] = [];

  /** The entry a user-space update with `fd` stores; undefined when the fd stands for nothing (-EBADF). */
  protected abstract resolve(fd: number): T | undefined;

  /** The index a key names, or -1 past the end. */
  protected indexOf(key: Uint8Array): number {
    const i = readU32(key);
    return i < this.maxEntries ? i : -1;
  }

  protected sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags !== UpdateFlags.ANY) return -E.EINVAL;
    const i = this.indexOf(key);
    if (i < 0) return -E.E2BIG;
    const entry = this.resolve(readU32(value));
    if (entry === undefined) return -E.EBADF;
    this.slots[i] = entry;
    return 0;
  }

  protected sysDelete(key: Uint8Array): number {
    const i = this.indexOf(key);
    if (i < 0) return -E.E2BIG;
    if (this.slots[i] === undefined) return -E.ENOENT;
    this.slots[i] = undefined;
    return 0;
  }

  protected sysNextKey(key: Uint8Array | undefined, out: Uint8Array): number {
    return arrayNextKey(key, out, this.maxEntries);
  }

  /** Programs cannot look up or change fd arrays (the verifier refuses it); they get NULL / -EINVAL. */
  programLookup(): bigint {
    return 0n;
  }

  programUpdate(): number {
    return -E.EINVAL;
  }

  programDelete(): number {
    return -E.EINVAL;
  }
}
