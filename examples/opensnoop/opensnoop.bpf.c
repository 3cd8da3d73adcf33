// SPDX-License-Identifier: MIT OR GPL-2.0
// opensnoop: reports open(2)/openat(2)/openat2(2) calls. The entry
// tracepoints remember the path pointer and flags of the calling thread; the
// exit tracepoints read the path (now that the call is done with it), add the
// result and push one event into a ring buffer.
//
// Compiled once against a vmlinux.h of any kernel; tsbpf relocates the
// tracepoint context accesses (CO-RE) against the running kernel's BTF.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define COMM_LEN 16
#define PATH_LEN 256

// Configuration, set by user space before load (.rodata: frozen afterwards,
// so the verifier prunes the filters that are off). 0 / -1 means "any".
const volatile __u32 target_tgid = 0;
const volatile __u32 target_tid = 0;
const volatile __u32 target_uid = (__u32)-1;
const volatile bool failed_only = false;

// Events the ring buffer had no room for.
__u64 dropped = 0;

// What an open call's entry saw, until its exit.
struct open_call {
	const char *path;
	__s32 flags;
};

// The record user space reads (opensnoop.skel.ts declares it as OpenEvent).
struct open_event {
	__u32 tgid;
	__u32 tid;
	__u32 uid;
	__s32 ret;
	__s32 flags;
	char comm[COMM_LEN];
	char path[PATH_LEN];
};

// Only local variables have this type, which clang leaves out of the BTF;
// this pointer puts it there, so user space decodes records by its layout.
struct open_event *unused_open_event __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct open_call);
} open_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

static __always_inline bool selected(__u64 pid_tgid)
{
	if (target_tgid && (__u32)(pid_tgid >> 32) != target_tgid)
		return false;
	if (target_tid && (__u32)pid_tgid != target_tid)
		return false;
	if (target_uid != (__u32)-1 && (__u32)bpf_get_current_uid_gid() != target_uid)
		return false;
	return true;
}

static __always_inline int on_enter(const char *path, __s32 flags)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct open_call call = { .path = path, .flags = flags };

	if (!selected(pid_tgid))
		return 0;
	bpf_map_update_elem(&open_calls, &tid, &call, BPF_ANY);
	return 0;
}

static __always_inline int on_exit(long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct open_call *call;
	struct open_event *event;

	call = bpf_map_lookup_elem(&open_calls, &tid);
	if (!call)
		return 0;
	if (failed_only && ret >= 0)
		goto done;
	event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);
	if (!event) {
		__sync_fetch_and_add(&dropped, 1);
		goto done;
	}
	event->tgid = pid_tgid >> 32;
	event->tid = tid;
	event->uid = (__u32)bpf_get_current_uid_gid();
	event->ret = ret;
	event->flags = call->flags;
	bpf_get_current_comm(event->comm, sizeof(event->comm));
	bpf_probe_read_user_str(event->path, sizeof(event->path), call->path);
	bpf_ringbuf_submit(event, 0);
done:
	bpf_map_delete_elem(&open_calls, &tid);
	return 0;
}

// open(path, flags, mode): not on every architecture (arm64 has only openat);
// user space turns these two off when the tracepoints are missing.
SEC("tracepoint/syscalls/sys_enter_open")
int enter_open(struct trace_event_raw_sys_enter *ctx)
{
	return on_enter((const char *)ctx->args[0], (__s32)ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_open")
int exit_open(struct trace_event_raw_sys_exit *ctx)
{
	return on_exit(ctx->ret);
}

// openat(dfd, path, flags, mode)
SEC("tracepoint/syscalls/sys_enter_openat")
int enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	return on_enter((const char *)ctx->args[1], (__s32)ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	return on_exit(ctx->ret);
}

// openat2(dfd, path, how, size): the flags live in user memory.
SEC("tracepoint/syscalls/sys_enter_openat2")
int enter_openat2(struct trace_event_raw_sys_enter *ctx)
{
	struct open_how *how = (struct open_how *)ctx->args[2];

	return on_enter((const char *)ctx->args[1], (__s32)BPF_CORE_READ_USER(how, flags));
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int exit_openat2(struct trace_event_raw_sys_exit *ctx)
{
	return on_exit(ctx->ret);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
