// SPDX-License-Identifier: MIT OR GPL-2.0
// usdt-tracer: the functions a Python interpreter runs, from its
// python:function__entry USDT probe (filename, funcname, lineno). Written
// with libbpf's <bpf/usdt.bpf.h> as any libbpf tool would; tsbpf fills the
// argument specs the BPF_USDT macro reads.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

#define COMM_LEN 16
#define FILE_LEN 128
#define FUNC_LEN 64

// Only this process when set (.rodata); 0 means "any".
const volatile __u32 target_tgid = 0;

// Events the ring buffer had no room for.
__u64 dropped = 0;

struct function_event {
	__u32 pid;
	__s32 line;
	char comm[COMM_LEN];
	char file[FILE_LEN];
	char function[FUNC_LEN];
};

// Only local variables have this type, which clang leaves out of the BTF;
// this pointer puts it there, so user space decodes records by its layout.
struct function_event *unused_function_event __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");

SEC("usdt")
int BPF_USDT(function_entry, const char *file, const char *function, int line)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct function_event *e;

	if (target_tgid && tgid != target_tgid)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&dropped, 1);
		return 0;
	}
	e->pid = tgid;
	e->line = line;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(e->file, sizeof(e->file), file);
	bpf_probe_read_user_str(e->function, sizeof(e->function), function);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
