// The context of an skb test run (tc, socket filter, cgroup skb, lwt), as
// BPF_PROG_TEST_RUN builds it (net/bpf/test_run.c): the packet is parsed as
// Ethernet on the loopback device (skb->protocol, pkt_type), the socket
// addresses come from the IP header, and the fields a test may set in ctx_in
// (mark, priority, ifindex, cb, tstamp, wire_len, gso_segs, gso_size,
// hwtstamp) are copied in; every other field of ctx_in must be zero. tc
// programs see the packet from its Ethernet header; the others from the
// network header, and their data_out gets a zeroed Ethernet header back.
import { InvalidArgumentError } from "../../sys/errors.js";
import type { AddressSpace, Region } from "../memory.js";
import { ETH_HLEN, VmPacket } from "./packet.js";
import { LOOPBACK_IFINDEX } from "./xdp.js";

/** sizeof(struct __sk_buff). */
export const SK_BUFF_SIZE = 192;
/** NET_SKB_PAD + NET_IP_ALIGN on x86-64: the headroom before the Ethernet header. */
export const SKB_HEADROOM = 64;
/** Room after the data for helpers that grow the packet (bpf_skb_change_tail). */
export const SKB_TAILROOM = 4096;

// struct __sk_buff (include/uapi/linux/bpf.h) field offsets.
const F = {
  len: 0, pktType: 4, mark: 8, queueMapping: 12, protocol: 16, vlanPresent: 20, vlanTci: 24, vlanProto: 28,
  priority: 32, ingressIfindex: 36, ifindex: 40, tcIndex: 44, cb: 48, hash: 68, tcClassid: 72, data: 76,
  dataEnd: 80, napiId: 84, family: 88, remoteIp4: 92, localIp4: 96, remoteIp6: 100, localIp6: 116,
  remotePort: 132, localPort: 136, dataMeta: 140, flowKeys: 144, tstamp: 152, wireLen: 160, gsoSegs: 164,
  sk: 168, gsoSize: 176, tstampType: 180, hwtstamp: 184,
} as const;

/** [offset, size] of the fields ctx_in may set (convert___skb_to_skb); the rest must be zero. */
const SETTABLE: readonly (readonly [number, number])[] = [
  [F.mark, 4], [F.priority, 4], [F.ifindex, 4], [F.cb, 20], [F.tstamp, 8], [F.wireLen, 4], [F.gsoSegs, 4],
  [F.gsoSize, 4], [F.hwtstamp, 8],
];
/** What ctx_out carries back (convert_skb_to___skb). */
const COPIED_OUT = SETTABLE;

const ETH_P_IP = 0x0800, ETH_P_IPV6 = 0x86dd;
const AF_INET = 2, AF_INET6 = 10;
const PACKET_HOST = 0, PACKET_BROADCAST = 1, PACKET_MULTICAST = 2, PACKET_OTHERHOST = 3;

/** An skb program's context for one test run. */
export interface SkbRun {
  readonly packet: VmPacket;
  readonly ctx: Region;
  dataOut(): Uint8Array;
  ctxOut(): Uint8Array;
}

/**
 * Builds the skb of a test run. `l2`: the program sees the Ethernet header
 * (tc); otherwise the packet starts at the network header.
 */
export function skbRun(memory: AddressSpace, data: Uint8Array | undefined, ctxIn: Uint8Array | undefined, l2: boolean): SkbRun {
  const input = data ?? new Uint8Array(0);
  if (input.byteLength < ETH_HLEN) fail(`data is ${input.byteLength} bytes; an skb test run needs at least an Ethernet header (${ETH_HLEN})`);
  const given = new Uint8Array(SK_BUFF_SIZE);
  if (ctxIn) {
    if (ctxIn.byteLength > SK_BUFF_SIZE && ctxIn.subarray(SK_BUFF_SIZE).some((b) => b !== 0)) fail(`ctx is ${ctxIn.byteLength} bytes; struct __sk_buff has ${SK_BUFF_SIZE} (the rest must be zero)`);
    given.set(ctxIn.subarray(0, SK_BUFF_SIZE));
    checkOnlySettable(given);
  }
  const gv = new DataView(given.buffer);
  const frame = new Uint8Array(SKB_HEADROOM + input.byteLength + SKB_TAILROOM);
  frame.set(input, SKB_HEADROOM);
  const start = l2 ? SKB_HEADROOM : SKB_HEADROOM + ETH_HLEN;
  const end = SKB_HEADROOM + input.byteLength;
  const ctxBytes = new Uint8Array(SK_BUFF_SIZE);
  const view = new DataView(ctxBytes.buffer);
  const ethType = (input[12] as number) << 8 | (input[13] as number);
  // The kernel reads the IP header to fill the test socket, and refuses a packet too short to hold it.
  const l3Minimum = ethType === ETH_P_IP ? 20 : ethType === ETH_P_IPV6 ? 40 : 0;
  if (input.byteLength < ETH_HLEN + l3Minimum) fail(`data is ${input.byteLength} bytes; an ${ethType === ETH_P_IP ? "IPv4" : "IPv6"} packet needs ${ETH_HLEN + l3Minimum} (Ethernet and IP headers)`);
  // skb->protocol is big-endian in memory; a u32 load of the field sees those two bytes.
  view.setUint32(F.protocol, (input[12] as number) | ((input[13] as number) << 8), true);
  view.setUint32(F.pktType, packetType(input), true);
  view.setUint32(F.mark, gv.getUint32(F.mark, true), true);
  view.setUint32(F.priority, gv.getUint32(F.priority, true), true);
  const ifindex = gv.getUint32(F.ifindex, true);
  view.setUint32(F.ifindex, ifindex > LOOPBACK_IFINDEX ? ifindex : LOOPBACK_IFINDEX, true);
  ctxBytes.set(given.subarray(F.cb, F.cb + 20), F.cb);
  view.setBigUint64(F.tstamp, gv.getBigUint64(F.tstamp, true), true);
  view.setUint32(F.gsoSegs, gv.getUint32(F.gsoSegs, true), true);
  view.setUint32(F.gsoSize, gv.getUint32(F.gsoSize, true), true);
  view.setBigUint64(F.hwtstamp, gv.getBigUint64(F.hwtstamp, true), true);
  socketAddresses(view, input.subarray(ETH_HLEN), ethType);
  const publish = (p: VmPacket): void => {
    view.setUint32(F.len, p.end - p.data, true);
    view.setUint32(F.data, p.address(p.data), true);
    view.setUint32(F.dataEnd, p.address(p.end), true);
    view.setUint32(F.dataMeta, p.address(p.meta), true);
  };
  const packet = new VmPacket("skb", memory, frame, { meta: start, data: start, end }, publish);
  const wireLen = gv.getUint32(F.wireLen, true);
  if (wireLen !== 0 && wireLen < packet.end - packet.data) fail(`ctx.wire_len (${wireLen}) is less than the packet length (${packet.end - packet.data})`);
  view.setUint32(F.wireLen, wireLen === 0 ? packet.end - packet.data : wireLen, true);
  const ctx = memory.map("__sk_buff", ctxBytes);
  return {
    packet,
    ctx,
    dataOut: () => {
      if (l2) return frame.slice(packet.data, packet.end);
      // Programs that see the network header get a zeroed Ethernet header pushed back in front.
      const out = new Uint8Array(ETH_HLEN + packet.end - packet.data);
      out.set(frame.subarray(packet.data, packet.end), ETH_HLEN);
      return out;
    },
    ctxOut: () => {
      const out = given.slice();
      for (const [offset, size] of COPIED_OUT) out.set(ctxBytes.subarray(offset, offset + size), offset);
      return out;
    },
  };
}

function checkOnlySettable(ctx: Uint8Array): void {
  const settable = new Uint8Array(SK_BUFF_SIZE);
  for (const [offset, size] of SETTABLE) settable.fill(1, offset, offset + size);
  const bad = ctx.findIndex((b, i) => b !== 0 && settable[i] === 0);
  if (bad >= 0) fail(`ctx byte ${bad} is set; a test run takes only mark, priority, ifindex, cb, tstamp, wire_len, gso_segs, gso_size and hwtstamp from struct __sk_buff`);
}

/** eth_type_trans's pkt_type on the loopback device (address 00:00:00:00:00:00). */
function packetType(frame: Uint8Array): number {
  const dest = frame.subarray(0, 6);
  if ((dest[0] as number) & 1) return dest.every((b) => b === 0xff) ? PACKET_BROADCAST : PACKET_MULTICAST;
  return dest.every((b) => b === 0) ? PACKET_HOST : PACKET_OTHERHOST;
}

/** The test run's socket: family and addresses from the IP header (source = local, destination = remote, as the kernel fills them). */
function socketAddresses(view: DataView, l3: Uint8Array, ethType: number): void {
  if (ethType === ETH_P_IP && l3.byteLength >= 20) {
    view.setUint32(F.family, AF_INET, true);
    view.setUint32(F.localIp4, readRaw32(l3, 12), true);
    view.setUint32(F.remoteIp4, readRaw32(l3, 16), true);
  } else if (ethType === ETH_P_IPV6 && l3.byteLength >= 40) {
    view.setUint32(F.family, AF_INET6, true);
    for (let i = 0; i < 4; i++) {
      view.setUint32(F.localIp6 + 4 * i, readRaw32(l3, 8 + 4 * i), true);
      view.setUint32(F.remoteIp6 + 4 * i, readRaw32(l3, 24 + 4 * i), true);
    }
  }
}

/** Four bytes as a little-endian u32: network-order fields keep their memory bytes, as the kernel's loads do. */
function readRaw32(b: Uint8Array, at: number): number {
  return ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)) >>> 0;
}

function fail(message: string): never {
  throw new InvalidArgumentError(`skb test run: ${message}`, "ctx");
}
