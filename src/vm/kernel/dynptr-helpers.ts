// Dynamic pointers over memory and ring buffer records: a struct
// bpf_dynptr on the program's stack holds the kernel's struct
// bpf_dynptr_kern { void *data; u32 size (bits 0–23, type in 28–30,
// read-only flag in 31); u32 offset } — so a program that inspects it sees
// what it would in the kernel. bpf_dynptr_from_mem, bpf_ringbuf_reserve/
// submit/discard_dynptr and bpf_dynptr_read/write/data, with the kernel's
// errors (-EINVAL for a null dynptr or flags, -E2BIG for sizes and ranges).
import { E2BIG, EINVAL } from "../../sys/errno.js";
import { MapType } from "../../map/types.js";
import type { HelperContext, VmHelperTable } from "../helpers.js";
import type { VmRingBufferOps } from "../maps/types.js";
import { bytesAt, u32 } from "./access.js";
import { mapArgument } from "./map-helpers.js";
import type { VmKernel } from "./state.js";

/** sizeof(struct bpf_dynptr). */
const DYNPTR_SIZE = 16;
/** The largest size a dynptr may have (DYNPTR_MAX_SIZE). */
const DYNPTR_MAX_SIZE = (1 << 24) - 1;
const TYPE_SHIFT = 28;
const RDONLY_BIT = 0x8000_0000;
/** enum bpf_dynptr_type. */
const DynptrType = { LOCAL: 1, RINGBUF: 2 } as const;

interface Dynptr {
  data: bigint;
  size: number;
  offset: number;
  type: number;
  readOnly: boolean;
}

function load(ctx: HelperContext, address: bigint): Dynptr {
  const view = new DataView(bytesAt(ctx, address, DYNPTR_SIZE).slice().buffer);
  const word = view.getUint32(8, true);
  return { data: view.getBigUint64(0, true), size: word & DYNPTR_MAX_SIZE, offset: view.getUint32(12, true), type: (word >>> TYPE_SHIFT) & 7, readOnly: (word & RDONLY_BIT) !== 0 };
}

function store(ctx: HelperContext, address: bigint, data: bigint, type: number, size: number): void {
  const bytes = bytesAt(ctx, address, DYNPTR_SIZE, "write");
  const view = new DataView(bytes.buffer, bytes.byteOffset, DYNPTR_SIZE);
  view.setBigUint64(0, data, true);
  view.setUint32(8, ((type << TYPE_SHIFT) | size) >>> 0, true);
  view.setUint32(12, 0, true);
}

const setNull = (ctx: HelperContext, address: bigint): void => void bytesAt(ctx, address, DYNPTR_SIZE, "write").fill(0);

/** A failed initialisation: the dynptr is set to null and the call returns `errno`. */
function nulled(ctx: HelperContext, address: bigint, errno: number): number {
  setNull(ctx, address);
  return errno;
}

/** bpf_dynptr_check_off_len: the range fits the dynptr. */
const fits = (d: Dynptr, offset: number, length: number): boolean => offset <= d.size && length <= d.size - offset;

/** dynptr_from_mem, ringbuf_reserve/submit/discard_dynptr, dynptr_read/write/data. */
export function dynptrHelpers(kernel: VmKernel, reservations: Map<bigint, VmRingBufferOps>): VmHelperTable {
  const commit = (ctx: HelperContext, r1: bigint, discard: boolean): number => {
    const d = load(ctx, r1);
    if (d.data === 0n) return 0;
    const owner = reservations.get(d.data);
    if (owner !== undefined) {
      reservations.delete(d.data);
      owner.commit(d.data, discard);
    }
    setNull(ctx, r1);
    return 0;
  };
  return {
    dynptr_from_mem: (ctx, r1, r2, r3, r4) => {
      const size = u32(r2);
      if (r3 !== 0n) return nulled(ctx, r4, -EINVAL);
      if (size > DYNPTR_MAX_SIZE) return nulled(ctx, r4, -E2BIG);
      bytesAt(ctx, r1, size);
      store(ctx, r4, r1, DynptrType.LOCAL, size);
      return 0;
    },
    ringbuf_reserve_dynptr: (ctx, r1, r2, r3, r4) => {
      const map = mapArgument(kernel, ctx, "bpf_ringbuf_reserve_dynptr", 1, r1, [MapType.Ringbuf]) as VmRingBufferOps;
      const size = u32(r2);
      if (r3 !== 0n) return nulled(ctx, r4, -EINVAL);
      if (size > DYNPTR_MAX_SIZE) return nulled(ctx, r4, -E2BIG);
      const region = map.reserve(size);
      if (region === undefined) return nulled(ctx, r4, -EINVAL);
      reservations.set(region.base, map);
      store(ctx, r4, region.base, DynptrType.RINGBUF, size);
      return 0;
    },
    ringbuf_submit_dynptr: (ctx, r1) => commit(ctx, r1, false),
    ringbuf_discard_dynptr: (ctx, r1) => commit(ctx, r1, true),
    dynptr_read: (ctx, r1, r2, r3, r4, r5) => {
      const length = u32(r2);
      const dst = bytesAt(ctx, r1, length, "write");
      const d = load(ctx, r3);
      const offset = u32(r4);
      if (d.data === 0n || r5 !== 0n) return -EINVAL;
      if (!fits(d, offset, length)) return -E2BIG;
      dst.set(bytesAt(ctx, d.data + BigInt(d.offset + offset), length));
      return 0;
    },
    dynptr_write: (ctx, r1, r2, r3, r4, r5) => {
      const d = load(ctx, r1);
      const offset = u32(r2);
      const length = u32(r4);
      const src = bytesAt(ctx, r3, length);
      if (d.data === 0n || d.readOnly) return -EINVAL;
      if (!fits(d, offset, length)) return -E2BIG;
      if (r5 !== 0n) return -EINVAL;
      bytesAt(ctx, d.data + BigInt(d.offset + offset), length, "write").set(src);
      return 0;
    },
    // NULL for a null or read-only dynptr or a range outside it.
    dynptr_data: (ctx, r1, r2, r3) => {
      const d = load(ctx, r1);
      const offset = u32(r2);
      const length = u32(r3);
      if (d.data === 0n || !fits(d, offset, length) || d.readOnly) return 0n;
      return d.data + BigInt(d.offset + offset);
    },
  };
}
