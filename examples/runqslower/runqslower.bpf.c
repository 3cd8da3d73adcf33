// SPDX-License-Identifier: MIT OR GPL-2.0
// runqslower: tasks that waited on a run queue longer than a threshold,
// from the scheduler's BTF tracepoints (tp_btf: typed task_struct pointers,
// no perf event). Wakeups stamp the time a task became runnable; the switch
// to it measures how long it waited.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#define TASK_RUNNING 0
#define COMM_LEN 16

// Set before load (.rodata): report waits longer than this (0: every switch), only this process / thread.
const volatile __u64 min_us = 0;
const volatile __u32 target_tgid = 0;
const volatile __u32 target_tid = 0;

struct runq_event {
	__u32 pid;
	__u32 prev_pid;
	__u64 delta_us;
	char task[COMM_LEN];
	char prev_task[COMM_LEN];
};

struct runq_event *unused_runq_event __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

static __always_inline void enqueued(__u32 tgid, __u32 pid)
{
	__u64 ts;

	if (!pid)
		return;
	if (target_tgid && target_tgid != tgid)
		return;
	if (target_tid && target_tid != pid)
		return;
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &pid, &ts, BPF_ANY);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(on_wakeup, struct task_struct *p)
{
	enqueued(p->tgid, p->pid);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(on_wakeup_new, struct task_struct *p)
{
	enqueued(p->tgid, p->pid);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct runq_event *e;
	__u32 pid = next->pid;
	__u64 *ts, delta_us;

	// A task preempted while runnable goes straight back on the queue.
	if (prev->__state == TASK_RUNNING)
		enqueued(prev->tgid, prev->pid);
	ts = bpf_map_lookup_elem(&start, &pid);
	if (!ts)
		return 0;
	delta_us = (bpf_ktime_get_ns() - *ts) / 1000;
	bpf_map_delete_elem(&start, &pid);
	if (min_us && delta_us <= min_us)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = pid;
	e->prev_pid = prev->pid;
	e->delta_us = delta_us;
	bpf_probe_read_kernel_str(&e->task, sizeof(e->task), next->comm);
	bpf_probe_read_kernel_str(&e->prev_task, sizeof(e->prev_task), prev->comm);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
