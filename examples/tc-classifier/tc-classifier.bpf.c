// SPDX-License-Identifier: MIT OR GPL-2.0
// tc-classifier: a tc ingress program that drops TCP and UDP traffic to one
// destination port (set before load, in .rodata) and counts every transport
// packet per destination port and verdict. Everything else goes on untouched.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

// Configuration, set by user space before load (0: drop nothing).
const volatile __u16 blocked_port = 0;

// The record user space reads (examples/tc-classifier/main.ts decodes it).
struct port_key {
	__u16 port;      /* destination port, host byte order */
	__u8 ipproto;    /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 dropped;    /* 1 when this program dropped the packet */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct port_key);
	__type(value, __u64);
} packets SEC(".maps");

/* TC_ACT_UNSPEC: no verdict of ours; the next program or filter (or the stack) decides. */
#define NO_VERDICT (-1)

SEC("tc/ingress")
int classify(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct port_key key = {};
	__u64 one = 1, *n;
	void *l4;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return NO_VERDICT;
	l4 = (void *)ip + ip->ihl * 4;
	if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = l4;
		if ((void *)(udp + 1) > end)
			return NO_VERDICT;
		key.port = bpf_ntohs(udp->dest);
	} else if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;
		if ((void *)(tcp + 1) > end)
			return NO_VERDICT;
		key.port = bpf_ntohs(tcp->dest);
	} else {
		return NO_VERDICT;
	}
	key.ipproto = ip->protocol;
	key.dropped = blocked_port != 0 && key.port == blocked_port;
	n = bpf_map_lookup_elem(&packets, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&packets, &key, &one, BPF_NOEXIST);
	return key.dropped ? TC_ACT_SHOT : NO_VERDICT;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
