// Queue and stack maps: key-less, driven by push / pop / peek (from user space
// through update / lookup-and-delete / lookup, as the kernel routes them).
// A full map refuses a push with -E2BIG unless BPF_EXIST asks to drop the
// oldest value; programs get values copied out, never pointers.
import * as E from "../../sys/errno.js";
import { MapType, UpdateFlags } from "../../map/types.js";
import type { MapSpec } from "../../map/spec.js";
import { VmMap } from "./base.js";
import type { VmMapHost } from "./types.js";

/** queue (FIFO) and stack (LIFO). */
export class QueueVmMap extends VmMap {
  /** Oldest first. */
  #values: Uint8Array[] = [];
  readonly #lifo: boolean;

  constructor(spec: MapSpec, host: VmMapHost) {
    super(spec, host);
    this.#lifo = spec.type === MapType.Stack;
  }

  /** Number of values held. */
  get size(): number {
    return this.#values.length;
  }

  #push(value: Uint8Array, flags: number): number {
    if (flags & UpdateFlags.NOEXIST || flags > UpdateFlags.EXIST) return -E.EINVAL;
    if (this.#values.length >= this.maxEntries) {
      if (!(flags & UpdateFlags.EXIST)) return -E.E2BIG;
      this.#values.shift();
    }
    this.#values.push(value.slice(0, this.valueSize));
    return 0;
  }

  #take(out: Uint8Array, remove: boolean): number {
    const n = this.#values.length;
    if (n === 0) return -E.ENOENT;
    const value = (this.#lifo ? this.#values[n - 1] : this.#values[0]) as Uint8Array;
    out.set(value);
    if (remove) {
      if (this.#lifo) this.#values.pop();
      else this.#values.shift();
    }
    return 0;
  }

  protected sysLookup(_key: Uint8Array, out: Uint8Array): number {
    return this.#take(out, false);
  }

  protected sysUpdate(_key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.#push(value, flags);
  }

  protected sysDelete(): number {
    return -E.EINVAL;
  }

  protected override sysLookupAndDelete(_key: Uint8Array, out: Uint8Array, flags: number): number {
    return flags !== 0 ? -E.EINVAL : this.#take(out, true);
  }

  protected sysNextKey(): number {
    return -E.EINVAL;
  }

  programLookup(): bigint {
    return 0n;
  }

  programUpdate(): number {
    return -E.EINVAL;
  }

  programDelete(): number {
    return -E.EINVAL;
  }

  override programPush(value: Uint8Array, flags: bigint): number {
    if (!this.programWritable) return -E.EPERM;
    return flags > 0xffn ? -E.EINVAL : this.#push(value, Number(flags));
  }

  override programPop(out: Uint8Array, remove: boolean): number {
    if (remove && !this.programWritable) return -E.EPERM;
    return this.#take(out, remove);
  }
}
