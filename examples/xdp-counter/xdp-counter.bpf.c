// SPDX-License-Identifier: MIT OR GPL-2.0
// xdp-counter: counts the frames a device receives, per protocol, before
// the kernel's network stack sees them (XDP). The key is the EtherType and,
// for IPv4/IPv6, the transport protocol; the value is packets and bytes.
// Every frame is passed on (XDP_PASS): counting never changes the traffic.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

// The record user space reads (examples/xdp-counter/main.ts decodes it).
struct proto_key {
	__u16 ethertype;   /* host byte order: 0x0800 IPv4, 0x86dd IPv6, 0x0806 ARP … */
	__u8 ipproto;      /* IPPROTO_* for IPv4/IPv6, else 0 */
	__u8 pad;
};

struct proto_count {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct proto_key);
	__type(value, struct proto_count);
} counts SEC(".maps");

SEC("xdp")
int count_protocols(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct proto_key key = {};
	struct proto_count *c, fresh = {};

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	key.ethertype = bpf_ntohs(eth->h_proto);
	if (key.ethertype == ETH_P_IP) {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) <= end)
			key.ipproto = ip->protocol;
	} else if (key.ethertype == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) <= end)
			key.ipproto = ip6->nexthdr;
	}
	c = bpf_map_lookup_elem(&counts, &key);
	if (!c) {
		bpf_map_update_elem(&counts, &key, &fresh, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&counts, &key);
		if (!c)
			return XDP_PASS;
	}
	__sync_fetch_and_add(&c->packets, 1);
	__sync_fetch_and_add(&c->bytes, end - data);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
