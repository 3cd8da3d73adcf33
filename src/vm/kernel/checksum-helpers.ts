// Checksum helpers: bpf_csum_diff (any program with packets) and
// bpf_l3_csum_replace / bpf_l4_csum_replace (skb programs), with the
// arithmetic of ./checksum.ts and the kernel's argument checks: the field
// must be 2-byte aligned and inside the packet (-EFAULT), the flags known
// (-EINVAL). The skb's own csum (CHECKSUM_COMPLETE bookkeeping) is not
// modelled: only the bytes of the packet change, as BPF_PROG_TEST_RUN shows.
import { EFAULT, EINVAL } from "../../sys/errno.js";
import type { HelperContext, VmHelperTable } from "../helpers.js";
import { bytesAt, u32 } from "./access.js";
import { csumFrom32To16, csumPartial, csumReplace2, csumReplace4, csumReplaceByDiff, csumSub } from "./checksum.js";
import { packetArgument } from "./packet-argument.js";
import type { VmKernel } from "./state.js";

/** The low 4 bits of flags: the size of the replaced field (0: `to` is a precomputed diff). */
const HDR_FIELD_MASK = 0xfn;
const PSEUDO_HDR = 1n << 4n;
const MARK_MANGLED_0 = 1n << 5n;
const MARK_ENFORCE = 1n << 6n;
const IPV6 = 1n << 7n;
/** What a UDP checksum of 0 is written as when BPF_F_MARK_MANGLED_0 asks (CSUM_MANGLED_0). */
const CSUM_MANGLED_0 = 0xffff;

/** csum_diff, l3_csum_replace and l4_csum_replace. */
export function checksumHelpers(kernel: VmKernel): VmHelperTable {
  /** The checksum field at `offset`, or the errno the kernel's checks give. */
  const field = (ctx: HelperContext, helper: string, r1: bigint, offset: number): DataView | number => {
    const p = packetArgument(kernel, ctx, helper, r1, "skb");
    if (offset > 0xffff || offset % 2 !== 0 || offset + 2 > p.end - p.data) return -EFAULT;
    const bytes = p.bytes;
    return new DataView(bytes.buffer, bytes.byteOffset + offset, 2);
  };
  /** The new field value for a replacement of `size` bytes, or -EINVAL. */
  const replaced = (check: number, size: bigint, from: bigint, to: bigint): number => {
    if (size === 0n) return from !== 0n ? -EINVAL : csumReplaceByDiff(check, u32(to));
    if (size === 2n) return csumReplace2(check, Number(from & 0xffffn), Number(to & 0xffffn));
    if (size === 4n) return csumReplace4(check, u32(from), u32(to));
    return -EINVAL;
  };
  return {
    csum_diff: (ctx, r1, r2, r3, r4, r5) => {
      const from = bytesAt(ctx, r1, u32(r2));
      const to = bytesAt(ctx, r3, u32(r4));
      const seed = u32(r5);
      if (from.byteLength > 0 && to.byteLength > 0) return csumFrom32To16(csumSub(csumPartial(to, seed), csumPartial(from, 0)));
      if (to.byteLength > 0) return csumFrom32To16(csumPartial(to, seed));
      if (from.byteLength > 0) return csumFrom32To16(~csumPartial(from, ~seed >>> 0) >>> 0);
      return csumFrom32To16(seed);
    },
    l3_csum_replace: (ctx, r1, r2, r3, r4, r5) => {
      if ((r5 & ~HDR_FIELD_MASK) !== 0n) return -EINVAL;
      const view = field(ctx, "bpf_l3_csum_replace", r1, u32(r2));
      if (typeof view === "number") return view;
      const next = replaced(view.getUint16(0, true), r5 & HDR_FIELD_MASK, r3, r4);
      if (next < 0) return next;
      view.setUint16(0, next, true);
      return 0;
    },
    // Pseudo-header and IPv6 flags only matter for the skb's csum, which the machine does not keep.
    l4_csum_replace: (ctx, r1, r2, r3, r4, r5) => {
      if ((r5 & ~(HDR_FIELD_MASK | PSEUDO_HDR | MARK_MANGLED_0 | MARK_ENFORCE | IPV6)) !== 0n) return -EINVAL;
      const view = field(ctx, "bpf_l4_csum_replace", r1, u32(r2));
      if (typeof view === "number") return view;
      const check = view.getUint16(0, true);
      const mangledZero = (r5 & MARK_MANGLED_0) !== 0n;
      // A UDP checksum of 0 means "none": leave it alone unless told to enforce.
      if (mangledZero && (r5 & MARK_ENFORCE) === 0n && check === 0) return 0;
      const size = r5 & HDR_FIELD_MASK;
      // inet_proto_csum_replace2 widens the 16-bit values and replaces as 32-bit words.
      const next = size === 2n ? replaced(check, 4n, r3 & 0xffffn, r4 & 0xffffn) : replaced(check, size, r3, r4);
      if (next < 0) return next;
      view.setUint16(0, mangledZero && next === 0 ? CSUM_MANGLED_0 : next, true);
      return 0;
    },
  };
}
