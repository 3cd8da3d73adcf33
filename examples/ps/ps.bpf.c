// SPDX-License-Identifier: MIT OR GPL-2.0
// ps from the kernel: a task iterator that prints one line per process (or
// per thread) straight from the kernel's task list — no /proc walk. Each line
// is "TGID TID PPID UID STATE COMM"; user space formats the columns.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

// Set before load (.rodata): list every thread, not only thread-group leaders.
const volatile bool show_threads = false;

SEC("iter/task")
int ps_tasks(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	__u32 ppid, uid;

	if (!task)
		return 0;
	if (!show_threads && task->pid != task->tgid)
		return 0;
	ppid = BPF_CORE_READ(task, real_parent, tgid);
	uid = BPF_CORE_READ(task, cred, uid.val);
	BPF_SEQ_PRINTF(seq, "%d %d %u %u %u %s\n", task->tgid, task->pid, ppid, uid, task->__state, task->comm);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
