// The guide's workflow end to end (docs/guides/gen-build.md): a CO-RE
// .bpf.c → `tsbpf gen build … event rb=TYPE` → a program using the generated
// skeleton, type-checked by tsc under --strict → run: the .rodata value set
// from TypeScript, a record from the ring buffer decoded into the BTF-typed
// interface, the live .bss counter — every value compared with what the BPF
// program wrote.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { requireOracle } from "../util/environment.js";
import { CLI } from "../util/cli.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const TSC = path.join(ROOT, "node_modules/.bin/tsc");
/** The compiled library, as a user's `import "tsbpf"` would find it. */
const LIBRARY = path.join(ROOT, "dist/src/index.js");

const SOURCE = `#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

const volatile __u32 tag = 0;

struct exec_event {
	__u32 pid;
	__u32 tag;
	__u64 start_time;
	char comm[16];
};
struct exec_event *unused_exec_event __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

__u64 events_sent = 0;

SEC("syscall")
int report(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct exec_event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);

	if (!e)
		return 1;
	e->pid = BPF_CORE_READ(task, tgid);
	e->tag = tag;
	e->start_time = BPF_CORE_READ(task, start_boottime);
	BPF_CORE_READ_STR_INTO(&e->comm, task, comm);
	bpf_ringbuf_submit(e, 0);
	__sync_fetch_and_add(&events_sent, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
`;

const DRIVER = `import { readFileSync } from "node:fs";
import { ExecwatchSkeleton, type ExecEvent } from "./bpf/execwatch.skel.js";

using skel = ExecwatchSkeleton.open();
skel.rodata.tag = 0xc0ffee;
skel.load();
const retval: number = skel.programs.report.testRun().retval;
const events: ExecEvent[] = skel.events.rb.readAvailable();
const sent: bigint = skel.bss.events_sent;
const stat = readFileSync("/proc/self/stat", "utf8");
console.log(JSON.stringify({
  retval, sent: String(sent), pid: process.pid, comm: readFileSync("/proc/self/comm", "utf8").trim(),
  events: events.map((e) => ({ pid: e.pid, tag: e.tag, comm: e.comm, start_time: String(e.start_time) })),
  starttimeTicks: stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19],
}));
`;

test("gen build → skeleton → a strict TypeScript program: config set, event decoded, counter read", (t) => {
  if (!requireOracle(t, "clang-19")) return;
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-gen-build-e2e-"));
  try {
    mkdirSync(path.join(dir, "src", "bpf"), { recursive: true });
    writeFileSync(path.join(dir, "src", "bpf", "execwatch.bpf.c"), SOURCE);
    writeFileSync(path.join(dir, "src", "main.ts"), DRIVER);
    const env = { ...process.env, XDG_CACHE_HOME: path.join(dir, "cache") };
    const build = spawnSync(process.execPath, [CLI, "gen", "build", "src/bpf/execwatch.bpf.c", "-o", "src/bpf", "event", "rb=exec_event", "import", LIBRARY],
      { cwd: dir, env, encoding: "utf8" });
    assert.equal(build.status, 0, build.stderr);

    const tsc = spawnSync(TSC, [
      "--strict", "--noUncheckedIndexedAccess", "--exactOptionalPropertyTypes", "--noEmitOnError",
      "--target", "ES2022", "--module", "NodeNext", "--moduleResolution", "NodeNext", "--lib", "ES2023,esnext.disposable",
      "--types", "node", "--typeRoots", path.join(ROOT, "node_modules/@types"), "--skipLibCheck",
      "--outDir", path.join(dir, "dist"), "--rootDir", path.join(dir, "src"),
      path.join(dir, "src", "main.ts"), path.join(dir, "src", "bpf", "execwatch.skel.ts"),
    ], { encoding: "utf8" });
    assert.equal(tsc.status, 0, `${tsc.stdout}${tsc.stderr}`);

    const run = spawnSync(process.execPath, [path.join(dir, "dist", "main.js")], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as {
      retval: number; sent: string; pid: number; comm: string; starttimeTicks: string;
      events: { pid: number; tag: number; comm: string; start_time: string }[];
    };
    assert.equal(report.retval, 0);
    assert.equal(report.sent, "1");
    assert.equal(report.events.length, 1);
    const [event] = report.events;
    assert.deepEqual({ pid: event!.pid, tag: event!.tag, comm: event!.comm }, { pid: report.pid, tag: 0xc0ffee, comm: report.comm });
    // task->start_boottime (ns) is /proc/PID/stat's starttime in clock ticks (USER_HZ 100): the same value, coarser.
    assert.equal(BigInt(event!.start_time) / 10_000_000n, BigInt(report.starttimeTicks));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
