// Helpers that hand records to user space: the ring buffer family (the
// dynptr variants and the other dynptr helpers are in ./dynptr-helpers.ts,
// sharing the reservations) and bpf_perf_event_output. Records land in the emulated map (which collects
// them for the test); a reservation is remembered here from reserve to
// submit/discard, because those two get only the record's address.
import { E2BIG, EINVAL, EFAULT } from "../../sys/errno.js";
import { MapType } from "../../map/types.js";
import type { HelperContext, VmHelperTable } from "../helpers.js";
import type { VmPerfEventArrayOps, VmRingBufferOps } from "../maps/types.js";
import { bytesAt, u32 } from "./access.js";
import { dynptrHelpers } from "./dynptr-helpers.js";
import { badArgument } from "./errors.js";
import { mapArgument } from "./map-helpers.js";
import type { VmKernel } from "./state.js";

/** bpf_ringbuf_output/submit flags: BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP. */
const RB_WAKEUP_FLAGS = 3n;
/** bpf_perf_event_output: the low 32 bits of flags pick the slot; all ones is BPF_F_CURRENT_CPU. */
const INDEX_MASK = 0xffff_ffffn;
const CURRENT_CPU = 0xffff_ffffn;
/** Bits 32–51 of flags: how many packet bytes to append (skb and XDP programs only). */
const CTXLEN_MASK = 0xfffffn << 32n;

/** ringbuf_output/reserve/submit/discard/query and perf_event_output. */
export function eventHelpers(kernel: VmKernel): VmHelperTable {
  const reservations = new Map<bigint, VmRingBufferOps>();
  const dynptrs = dynptrHelpers(kernel, reservations);
  const ringbuf = (ctx: HelperContext, helper: string, address: bigint): VmRingBufferOps =>
    mapArgument(kernel, ctx, helper, 1, address, [MapType.Ringbuf]) as VmRingBufferOps;
  const commit = (ctx: HelperContext, helper: string, address: bigint, discard: boolean): number => {
    const owner = reservations.get(address);
    if (owner === undefined) throw badArgument(ctx, helper, 1, address, "is not a ring buffer record reserved and not yet submitted or discarded");
    reservations.delete(address);
    owner.commit(address, discard);
    return 0;
  };
  return {
    ...dynptrs,
    ringbuf_output: (ctx, r1, r2, r3, r4) => {
      const map = ringbuf(ctx, "bpf_ringbuf_output", r1);
      const data = bytesAt(ctx, r2, u32(r3));
      if ((r4 & ~RB_WAKEUP_FLAGS) !== 0n) return -EINVAL;
      return map.output(data.slice());
    },
    // NULL for flags other than 0 or a full ring; else the record's address, writable until submitted.
    ringbuf_reserve: (ctx, r1, r2, r3) => {
      const map = ringbuf(ctx, "bpf_ringbuf_reserve", r1);
      if (r3 !== 0n) return 0n;
      const region = map.reserve(u32(r2));
      if (region === undefined) return 0n;
      reservations.set(region.base, map);
      return region.base;
    },
    ringbuf_submit: (ctx, r1) => commit(ctx, "bpf_ringbuf_submit", r1, false),
    ringbuf_discard: (ctx, r1) => commit(ctx, "bpf_ringbuf_discard", r1, true),
    ringbuf_query: (ctx, r1, r2) => ringbuf(ctx, "bpf_ringbuf_query", r1).query(r2),
    perf_event_output: (ctx, _r1, r2, r3, r4, r5) => {
      const map = mapArgument(kernel, ctx, "bpf_perf_event_output", 2, r2, [MapType.PerfEventArray]) as VmPerfEventArrayOps;
      const data = bytesAt(ctx, r4, u32(r5));
      const packet = kernel.packet;
      // Programs with a packet may append its first bytes (BPF_F_CTXLEN_MASK); tracing programs may not.
      const allowed = packet === undefined ? INDEX_MASK : INDEX_MASK | CTXLEN_MASK;
      if ((r3 & ~allowed) !== 0n) return -EINVAL;
      const ctxLength = Number((r3 & CTXLEN_MASK) >> 32n);
      if (packet !== undefined && ctxLength > packet.end - packet.data) return -EFAULT;
      const index = r3 & INDEX_MASK;
      const cpu = index === CURRENT_CPU ? kernel.cpu : Number(index);
      if (cpu >= (map.spec.maxEntries || kernel.cpus)) return -E2BIG;
      const record = new Uint8Array(data.byteLength + ctxLength);
      record.set(data);
      if (packet !== undefined) record.set(packet.bytes.subarray(0, ctxLength), data.byteLength);
      return map.output(cpu, record);
    },
  };
}
