// Packets the machine and the kernel both run programs on: Ethernet frames
// with IPv4 (UDP, TCP SYN/ACK, ICMP echo, options), IPv6 (UDP, a chain of
// extension headers), ARP, truncated headers and the extremes of size. IPv4
// header checksums are valid, so checksum helpers have real input.

/** A named test packet. */
export interface TestPacket {
  readonly name: string;
  readonly bytes: Uint8Array;
}

const MAC_A = [0x02, 0, 0, 0, 0, 0xa];
const MAC_B = [0x02, 0, 0, 0, 0, 0xb];

function ether(type: number, payload: number[], dest = MAC_B): number[] {
  return [...dest, ...MAC_A, type >> 8, type & 0xff, ...payload];
}

function checksum(bytes: number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ipv4(protocol: number, payload: number[], options: number[] = [], ttl = 64): number[] {
  const ihl = 5 + options.length / 4;
  const total = ihl * 4 + payload.length;
  const h = [0x40 | ihl, 0, total >> 8, total & 0xff, 0x12, 0x34, 0x40, 0, ttl, protocol, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, ...options];
  const c = checksum(h);
  h[10] = c >> 8;
  h[11] = c & 0xff;
  return [...h, ...payload];
}

function udp(sport: number, dport: number, data: number[]): number[] {
  const len = 8 + data.length;
  return [sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, len >> 8, len & 0xff, 0xab, 0xcd, ...data];
}

function tcp(sport: number, dport: number, flags: number): number[] {
  return [sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0x12, 0x34, 0, 0];
}

function icmpEcho(type: number): number[] {
  const h = [type, 0, 0, 0, 0x11, 0x22, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8];
  const c = checksum(h);
  h[2] = c >> 8;
  h[3] = c & 0xff;
  return h;
}

function ipv6(nexthdr: number, payload: number[]): number[] {
  const len = payload.length;
  const addr = (last: number): number[] => [0xfd, 0, ...new Array<number>(13).fill(0), last];
  return [0x60, 0, 0, 0, len >> 8, len & 0xff, nexthdr, 64, ...addr(1), ...addr(2), ...payload];
}

/** An IPv6 extension header of `next`, 8 bytes. */
function ext(next: number): number[] {
  return [next, 0, 1, 4, 0, 0, 0, 0];
}

const seq = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => (from + i * 7) & 0xff);

/** The corpus. */
export const PACKETS: readonly TestPacket[] = [
  { name: "ipv4-udp-53", bytes: ether(0x0800, ipv4(17, udp(40000, 53, seq(24)))) },
  { name: "ipv4-udp-blocked", bytes: ether(0x0800, ipv4(17, udp(40001, 9, seq(8)))) },
  { name: "ipv4-udp-options", bytes: ether(0x0800, ipv4(17, udp(1234, 5678, seq(16)), [1, 1, 1, 0])) },
  { name: "ipv4-tcp-syn", bytes: ether(0x0800, ipv4(6, tcp(50000, 443, 0x02))) },
  { name: "ipv4-tcp-ack", bytes: ether(0x0800, ipv4(6, tcp(50000, 443, 0x10))) },
  { name: "ipv4-icmp-echo", bytes: ether(0x0800, ipv4(1, icmpEcho(8))) },
  { name: "ipv4-icmp-reply", bytes: ether(0x0800, ipv4(1, icmpEcho(0))) },
  { name: "ipv4-udp-1500", bytes: ether(0x0800, ipv4(17, udp(7, 7, seq(1500 - 28, 3)))) },
  { name: "ipv6-udp", bytes: ether(0x86dd, ipv6(17, udp(5353, 5353, seq(12)))) },
  { name: "ipv6-ext-tcp", bytes: ether(0x86dd, ipv6(0, [...ext(60), ...ext(43), ...ext(6), ...tcp(1, 80, 0x02)])) },
  { name: "ipv6-truncated-ext", bytes: ether(0x86dd, ipv6(0, [0])) },
  { name: "arp-broadcast", bytes: ether(0x0806, seq(28), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) },
  { name: "ipv4-truncated", bytes: ether(0x0800, [0x45, 0, 0, 20]) },
  { name: "ethernet-only", bytes: ether(0x88b5, []) },
].map((p) => ({ name: p.name, bytes: Uint8Array.from(p.bytes) }));
