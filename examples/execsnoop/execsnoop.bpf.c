// SPDX-License-Identifier: MIT OR GPL-2.0
// execsnoop: reports execve(2) calls. The entry tracepoint copies the
// filename and the first arguments of the calling thread into a per-thread
// slot (they live in the old image, gone after a successful exec); the exit
// tracepoint adds the result and the new command name and pushes the event.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define COMM_LEN 16
#define MAX_ARGS 8
#define ARG_LEN 64

// Set before load (.rodata): only this user ((u32)-1: any), only failed calls.
const volatile __u32 target_uid = (__u32)-1;
const volatile bool failed_only = false;

// One exec as user space reads it: args[i] is argument i (args[0] the filename).
struct exec_event {
	__u32 pid;
	__u32 ppid;
	__u32 uid;
	__s32 retval;
	__u32 args_count;
	char comm[COMM_LEN];
	char args[MAX_ARGS][ARG_LEN];
};

struct exec_event *unused_exec_event __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct exec_event);
} pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

// Staging for a new slot (too big for the 512-byte BPF stack).
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_event);
} scratch SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_execve")
int enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u32 uid = (__u32)bpf_get_current_uid_gid();
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	const char *const *argv = (const char *const *)ctx->args[1];
	struct exec_event *e;
	__u32 zero = 0;
	int i;

	if (target_uid != (__u32)-1 && uid != target_uid)
		return 0;
	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = uid;
	e->retval = 0;
	e->args_count = 0;
	bpf_probe_read_user_str(e->args[0], ARG_LEN, (const char *)ctx->args[0]);
	e->args_count = 1;
	// argv[0] repeats the filename: start at argv[1].
	for (i = 1; i < MAX_ARGS; i++) {
		const char *arg = NULL;

		bpf_probe_read_user(&arg, sizeof(arg), &argv[i]);
		if (!arg)
			break;
		bpf_probe_read_user_str(e->args[i], ARG_LEN, arg);
		e->args_count = i + 1;
	}
	bpf_map_update_elem(&pending, &tid, e, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct exec_event *e = bpf_map_lookup_elem(&pending, &tid);

	if (!e)
		return 0;
	e->retval = ctx->ret;
	if (!failed_only || e->retval < 0) {
		bpf_get_current_comm(&e->comm, sizeof(e->comm));
		bpf_ringbuf_output(&events, e, sizeof(*e), 0);
	}
	bpf_map_delete_elem(&pending, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
