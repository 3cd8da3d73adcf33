// The context of an XDP test run, as BPF_PROG_TEST_RUN builds it
// (net/bpf/test_run.c): the frame is one page, 256 bytes of headroom and
// room for skb_shared_info at the end; data_in starts with ctx.data bytes of
// metadata taken from the headroom. The program sees struct xdp_md with
// packet addresses in its u32 fields (the machine's low region); afterwards
// data_out is [data_meta, data_end) and ctx_out carries the new data and
// data_end offsets relative to data_meta, as xdp_convert_buff_to_md writes.
import { InvalidArgumentError } from "../../sys/errors.js";
import type { AddressSpace, Region } from "../memory.js";
import { ETH_HLEN, VmPacket } from "./packet.js";
import { XDP_FRAME_OVERHEAD, XDP_META_MAX } from "../kernel/xdp-helpers.js";

/** XDP_PACKET_HEADROOM. */
export const XDP_HEADROOM = 256;
/** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on 64-bit kernels. */
export const XDP_TAILROOM = 320;
/** The frame: one page. */
export const XDP_FRAME_SIZE = 4096;
/** sizeof(struct xdp_md). */
export const XDP_MD_SIZE = 24;
/** The loopback device's ifindex: test runs without a device run on it. */
export const LOOPBACK_IFINDEX = 1;

// struct xdp_md (include/uapi/linux/bpf.h): six u32 fields.
const DATA = 0, DATA_END = 4, DATA_META = 8, INGRESS_IFINDEX = 12, RX_QUEUE_INDEX = 16, EGRESS_IFINDEX = 20;

/** An XDP program's context for one test run. */
export interface XdpRun {
  readonly packet: VmPacket;
  readonly ctx: Region;
  /** data_out: the frame from data_meta to data_end. */
  dataOut(): Uint8Array;
  /** ctx_out: the input xdp_md (or zeros) with data and data_end rewritten. */
  ctxOut(): Uint8Array;
}

/** Builds the frame and xdp_md of a test run; throws InvalidArgumentError where the kernel says EINVAL. */
export function xdpRun(memory: AddressSpace, data: Uint8Array | undefined, ctxIn: Uint8Array | undefined): XdpRun {
  const input = data ?? new Uint8Array(0);
  const md = ctxIn ? readMd(ctxIn) : undefined;
  const metaLength = md?.data ?? 0;
  if (md) {
    if (md.dataMeta !== 0) fail("ctx.data_meta must be 0 (no data can precede the metadata)");
    if (md.dataEnd !== input.byteLength) fail(`ctx.data_end (${md.dataEnd}) must equal the data length (${input.byteLength})`);
    if (md.data > md.dataEnd) fail(`ctx.data (${md.data}) is past ctx.data_end (${md.dataEnd})`);
    // As xdp_metalen_invalid, and the metadata comes out of the headroom, which must keep room for struct xdp_frame.
    const metaMax = Math.min(XDP_META_MAX, XDP_HEADROOM - XDP_FRAME_OVERHEAD);
    if (metaLength > metaMax || metaLength % 4 !== 0) fail(`metadata length ${metaLength} (ctx.data) must be a multiple of 4 up to ${metaMax}`);
    if (md.egressIfindex !== 0) fail("ctx.egress_ifindex must be 0");
  }
  const packetLength = input.byteLength - metaLength;
  if (input.byteLength < ETH_HLEN) fail(`data is ${input.byteLength} bytes; an XDP test run needs at least an Ethernet header (${ETH_HLEN})`);
  const maxData = XDP_FRAME_SIZE - XDP_HEADROOM - XDP_TAILROOM;
  if (packetLength > maxData) fail(`data is ${packetLength} bytes; one XDP frame holds at most ${maxData} (multi-buffer frames are not emulated)`);
  const frame = new Uint8Array(XDP_FRAME_SIZE);
  const meta = XDP_HEADROOM - metaLength;
  frame.set(input, meta);
  const ctxBytes = new Uint8Array(XDP_MD_SIZE);
  const view = new DataView(ctxBytes.buffer);
  view.setUint32(INGRESS_IFINDEX, md && md.ingressIfindex !== 0 ? md.ingressIfindex : LOOPBACK_IFINDEX, true);
  view.setUint32(RX_QUEUE_INDEX, md?.rxQueueIndex ?? 0, true);
  view.setUint32(EGRESS_IFINDEX, 0, true);
  const publish = (p: VmPacket): void => {
    view.setUint32(DATA, p.address(p.data), true);
    view.setUint32(DATA_END, p.address(p.end), true);
    view.setUint32(DATA_META, p.address(p.meta), true);
  };
  const packet = new VmPacket("xdp", memory, frame, { meta, data: XDP_HEADROOM, end: XDP_HEADROOM + packetLength }, publish);
  // The verifier refuses stores to xdp_md: the machine maps it read-only.
  const ctx = memory.map("xdp_md", ctxBytes, { writable: false });
  return {
    packet,
    ctx,
    dataOut: () => frame.slice(packet.meta, packet.end),
    ctxOut: () => {
      const out = new Uint8Array(XDP_MD_SIZE);
      if (ctxIn) out.set(ctxIn.subarray(0, XDP_MD_SIZE));
      const o = new DataView(out.buffer);
      o.setUint32(DATA, packet.data - packet.meta, true);
      o.setUint32(DATA_END, packet.end - packet.meta, true);
      return out;
    },
  };
}

interface XdpMd {
  data: number; dataEnd: number; dataMeta: number; ingressIfindex: number; rxQueueIndex: number; egressIfindex: number;
}

function readMd(ctx: Uint8Array): XdpMd {
  if (ctx.byteLength > XDP_MD_SIZE && ctx.subarray(XDP_MD_SIZE).some((b) => b !== 0)) fail(`ctx is ${ctx.byteLength} bytes; struct xdp_md has ${XDP_MD_SIZE} (the rest must be zero)`);
  const padded = new Uint8Array(XDP_MD_SIZE);
  padded.set(ctx.subarray(0, XDP_MD_SIZE));
  const v = new DataView(padded.buffer);
  return {
    data: v.getUint32(DATA, true), dataEnd: v.getUint32(DATA_END, true), dataMeta: v.getUint32(DATA_META, true),
    ingressIfindex: v.getUint32(INGRESS_IFINDEX, true), rxQueueIndex: v.getUint32(RX_QUEUE_INDEX, true), egressIfindex: v.getUint32(EGRESS_IFINDEX, true),
  };
}

function fail(message: string): never {
  throw new InvalidArgumentError(`XDP test run: ${message}`, "ctx");
}
