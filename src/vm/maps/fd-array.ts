// What prog arrays and perf event arrays share with the kernel's fd arrays
// (kernel/bpf/arraymap.c): u32 index keys, slots that are set or empty,
// updates only with BPF_ANY, delete of an empty slot -ENOENT, an index past
// the end -E2BIG, and array-style BPF_MAP_GET_NEXT_KEY.
import * as E from "../../sys/errno.js";
import { UpdateFlags } from "../../map/types.js";
import { VmMap } from "./base.js";
import { readU32, writeU32 } from "./bytes.js";

/** Base of fd-valued arrays whose slots hold `T`. */
export abstract class FdArrayVmMap<T> extends VmMap {
  /** The slots (undefined: empty). */
  protected readonly slots: (T | undefined)[] = [];

  /** The entry a user-space update with `fd` stores, or a negative errno. */
  protected abstract resolve(fd: number): T | number;

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
    if (typeof entry === "number") return entry;
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
    const i = key === undefined ? 0xffff_ffff : readU32(key);
    if (i >= this.maxEntries) {
      writeU32(out, 0);
      return 0;
    }
    if (i === this.maxEntries - 1) return -E.ENOENT;
    writeU32(out, i + 1);
    return 0;
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
