// XDP packet helpers against kernel.packet: moving the frame's head, tail
// and metadata (bpf_xdp_adjust_head/tail/meta), copying bytes in and out
// (bpf_xdp_load_bytes/store_bytes) and its length. The limits are the
// kernel's: the head stays behind the struct xdp_frame the kernel keeps at
// the frame's start (plus the metadata), at least an Ethernet header of
// data remains, the tail ends at the frame's end, and metadata is a multiple
// of 4 bytes up to 255. A frame's end is the VmPacket frame's length: size
// frames like BPF_PROG_TEST_RUN does (256 bytes of headroom, data up to
// 3520 bytes) for the same limits as the kernel's test runs.
import { EACCES, EFAULT, EINVAL } from "../../sys/errno.js";
import type { VmHelperTable } from "../helpers.js";
import { bytesAt, s32, u32 } from "./access.js";
import { ETH_HLEN } from "../context/packet.js";
import { packetArgument } from "./packet-argument.js";
import type { VmKernel } from "./state.js";

/** sizeof(struct xdp_frame): the head of every frame the program may not take. */
export const XDP_FRAME_OVERHEAD = 40;
/** The most metadata bytes the kernel allows before the data. */
export const XDP_META_MAX = 255;
/** xdp_load_bytes / xdp_store_bytes refuse offsets and lengths above this (-EFAULT). */
const XDP_COPY_MAX = 0xffff;

/** xdp_adjust_head/tail/meta, xdp_load_bytes, xdp_store_bytes and xdp_get_buff_len. */
export function xdpHelpers(kernel: VmKernel): VmHelperTable {
  return {
    xdp_adjust_head: (ctx, r1, r2) => {
      const p = packetArgument(kernel, ctx, "bpf_xdp_adjust_head", r1, "xdp");
      const delta = s32(r2);
      const metaLength = p.data - p.meta;
      const data = p.data + delta;
      if (data < XDP_FRAME_OVERHEAD + metaLength || data > p.end - ETH_HLEN) return -EINVAL;
      // The metadata stays just before the data.
      if (metaLength > 0) p.frame.copyWithin(p.meta + delta, p.meta, p.data);
      p.setBounds(p.meta + delta, data, p.end);
      return 0;
    },
    xdp_adjust_tail: (ctx, r1, r2) => {
      const p = packetArgument(kernel, ctx, "bpf_xdp_adjust_tail", r1, "xdp");
      const delta = s32(r2);
      const end = p.end + delta;
      if (end > p.frame.byteLength || end < p.data + ETH_HLEN) return -EINVAL;
      // Grown bytes are cleared: they could hold old data.
      if (delta > 0) p.frame.fill(0, p.end, end);
      p.setBounds(p.meta, p.data, end);
      return 0;
    },
    xdp_adjust_meta: (ctx, r1, r2) => {
      const p = packetArgument(kernel, ctx, "bpf_xdp_adjust_meta", r1, "xdp");
      const meta = p.meta + s32(r2);
      if (meta < XDP_FRAME_OVERHEAD || meta > p.data) return -EINVAL;
      const length = p.data - meta;
      if (length % 4 !== 0 || length > XDP_META_MAX) return -EACCES;
      p.setBounds(meta, p.data, p.end);
      return 0;
    },
    xdp_load_bytes: (ctx, r1, r2, r3, r4) => {
      const p = packetArgument(kernel, ctx, "bpf_xdp_load_bytes", r1, "xdp");
      const [offset, length] = [u32(r2), u32(r4)];
      const buf = bytesAt(ctx, r3, length, "write");
      if (offset > XDP_COPY_MAX || length > XDP_COPY_MAX) return -EFAULT;
      if (offset + length > p.end - p.data) return -EINVAL;
      buf.set(p.bytes.subarray(offset, offset + length));
      return 0;
    },
    xdp_store_bytes: (ctx, r1, r2, r3, r4) => {
      const p = packetArgument(kernel, ctx, "bpf_xdp_store_bytes", r1, "xdp");
      const [offset, length] = [u32(r2), u32(r4)];
      const buf = bytesAt(ctx, r3, length);
      if (offset > XDP_COPY_MAX || length > XDP_COPY_MAX) return -EFAULT;
      if (offset + length > p.end - p.data) return -EINVAL;
      p.bytes.set(buf, offset);
      return 0;
    },
    xdp_get_buff_len: (ctx, r1) => {
      const p = packetArgument(kernel, ctx, "bpf_xdp_get_buff_len", r1, "xdp");
      return p.end - p.data;
    },
  };
}
