// SPDX-License-Identifier: MIT OR GPL-2.0
// uprobe-tracer: one event per call of a user-space function — its first
// three arguments, its return value and how long it ran. The uprobe on the
// function's entry remembers the arguments and the time per thread; the
// uretprobe on its return adds the result and pushes the event into a ring
// buffer. The function is chosen at attach time, not here.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define COMM_LEN 16
#define MAX_THREADS 10240

// Configuration, set by user space before load (.rodata). 0 means "any".
const volatile __u32 target_tgid = 0;
// The tracer's own process: tracing malloc in it would feed back into itself.
const volatile __u32 exclude_tgid = 0;

// Events the ring buffer had no room for, and returns whose entry was not seen.
__u64 dropped = 0;

struct call_start {
	__u64 start_ns;
	__u64 args[3];
};

struct call_event {
	__u32 pid;
	__u32 tid;
	__u64 args[3];
	__u64 ret;
	__u64 duration_ns;
	char comm[COMM_LEN];
};

// Only local variables have this type, which clang leaves out of the BTF;
// this pointer puts it there, so user space decodes records by its layout.
struct call_event *unused_call_event __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_THREADS);
	__type(key, __u64);
	__type(value, struct call_start);
} calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");

static bool wanted(__u32 tgid)
{
	return tgid != exclude_tgid && (!target_tgid || tgid == target_tgid);
}

SEC("uprobe")
int BPF_KPROBE(enter, __u64 a0, __u64 a1, __u64 a2)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct call_start start = { .start_ns = bpf_ktime_get_ns(), .args = { a0, a1, a2 } };

	if (!wanted(id >> 32))
		return 0;
	bpf_map_update_elem(&calls, &id, &start, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(leave, __u64 ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct call_start *start = bpf_map_lookup_elem(&calls, &id);
	struct call_event *e;

	if (!start)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&dropped, 1);
		bpf_map_delete_elem(&calls, &id);
		return 0;
	}
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->args[0] = start->args[0];
	e->args[1] = start->args[1];
	e->args[2] = start->args[2];
	e->ret = ret;
	e->duration_ns = bpf_ktime_get_ns() - start->start_ns;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	bpf_map_delete_elem(&calls, &id);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
