// SPDX-License-Identifier: MIT OR GPL-2.0
// profile: a CPU profiler. A perf_event program runs at every sample of a
// clock event on every CPU, takes the kernel stack of whatever was running
// (bpf_get_stackid into a stack trace map) and counts samples per (process,
// command, stack). User space symbolises the stacks through /proc/kallsyms.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define MAX_DEPTH 127

// Set before load (.rodata): 0 = every process.
const volatile __u32 target_tgid = 0;
// Leave out samples of the idle task (pid 0).
const volatile bool skip_idle = true;

struct sample_key {
	__u32 tgid;
	__s32 kernel_stack;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 8192);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, MAX_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct sample_key);
	__type(value, __u64);
} counts SEC(".maps");

SEC("perf_event")
int profile_sample(struct bpf_perf_event_data *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct sample_key key = {};
	__u64 one = 1, *count;

	if (target_tgid && tgid != target_tgid)
		return 0;
	if (skip_idle && tgid == 0)
		return 0;
	key.tgid = tgid;
	// Negative (-EFAULT) when the sample hit user space: no kernel stack to walk.
	key.kernel_stack = bpf_get_stackid(ctx, &stacks, 0);
	bpf_get_current_comm(&key.comm, sizeof(key.comm));
	count = bpf_map_lookup_elem(&counts, &key);
	if (count)
		__sync_fetch_and_add(count, 1);
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
