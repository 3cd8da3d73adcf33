// sk_buff packet helpers against kernel.packet: bpf_skb_load_bytes,
// bpf_skb_store_bytes, bpf_skb_pull_data and bpf_skb_change_tail. Offsets
// count from the skb's data (the Ethernet header for tc programs). The
// machine's skb is always linear, so pulling data only checks the length;
// growing the tail is bounded by the VmPacket frame (the kernel would
// reallocate: past the frame the machine answers -ENOMEM).
import { EFAULT, EINVAL, ENOMEM } from "../../sys/errno.js";
import type { VmHelperTable } from "../helpers.js";
import { bytesAt, u32 } from "./access.js";
import { ETH_HLEN } from "../context/packet.js";
import { packetArgument } from "./packet-argument.js";
import type { VmKernel } from "./state.js";

/** Offsets above INT_MAX are refused before anything else. */
const INT_MAX = 0x7fff_ffff;
/** bpf_skb_store_bytes flags: BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH (no visible effect here). */
const STORE_FLAGS = 3n;

/** skb_load_bytes, skb_store_bytes, skb_pull_data and skb_change_tail. */
export function skbHelpers(kernel: VmKernel): VmHelperTable {
  return {
    // A failed load clears the buffer, so a program that ignores the error reads zeros.
    skb_load_bytes: (ctx, r1, r2, r3, r4) => {
      const p = packetArgument(kernel, ctx, "bpf_skb_load_bytes", r1, "skb");
      const [offset, length] = [u32(r2), u32(r4)];
      const buf = bytesAt(ctx, r3, length, "write");
      if (offset > INT_MAX || offset + length > p.end - p.data) {
        buf.fill(0);
        return -EFAULT;
      }
      buf.set(p.bytes.subarray(offset, offset + length));
      return 0;
    },
    skb_store_bytes: (ctx, r1, r2, r3, r4, r5) => {
      const p = packetArgument(kernel, ctx, "bpf_skb_store_bytes", r1, "skb");
      const [offset, length] = [u32(r2), u32(r4)];
      const buf = bytesAt(ctx, r3, length);
      if ((r5 & ~STORE_FLAGS) !== 0n) return -EINVAL;
      if (offset > INT_MAX || offset + length > p.end - p.data) return -EFAULT;
      p.bytes.set(buf, offset);
      return 0;
    },
    skb_pull_data: (ctx, r1, r2) => {
      const p = packetArgument(kernel, ctx, "bpf_skb_pull_data", r1, "skb");
      return u32(r2) > p.end - p.data ? -ENOMEM : 0;
    },
    skb_change_tail: (ctx, r1, r2, r3) => {
      const p = packetArgument(kernel, ctx, "bpf_skb_change_tail", r1, "skb");
      const length = u32(r2);
      if (r3 !== 0n || length < ETH_HLEN) return -EINVAL;
      const end = p.data + length;
      if (end > p.frame.byteLength) return -ENOMEM;
      if (end > p.end) p.frame.fill(0, p.end, end);
      p.setBounds(p.meta, p.data, end);
      return 0;
    },
  };
}
