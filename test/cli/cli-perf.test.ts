// `tsbpf perf show|list` against `bpftool perf show` while this process holds
// a tracepoint (perf link and the older ioctl attachment), a uprobe and a
// raw tracepoint, each shown to run: this process's lines are compared byte
// for byte (other processes may attach and detach meanwhile). After close
// nothing of ours is listed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Collection } from "../../src/collection.js";
import { loadObjectSpec } from "../../src/object/object-spec.js";
import { attachTracepoint, attachUprobe, resolveUprobeBinary } from "../../src/link/index.js";
import { rawTracepointOpen } from "../../src/sys/raw-tracepoint.js";
import { perfPlain } from "../../src/cli/perf.js";
import { TaskFdType } from "../../src/sys/task-fd-query.js";
import { bpftool, ok } from "../util/cli.js";
import { requireOracle } from "../util/environment.js";

const OBJECT = fileURLToPath(new URL("../../../test/fixtures/cli-link/links.bpf.o", import.meta.url));
const Slot = { RAW_TP: 0, TP: 2, UPROBE: 3 } as const;

function count(c: Collection, slot: number): bigint {
  const key = new Uint8Array(4);
  new DataView(key.buffer).setUint32(0, slot, true);
  const v = c.map("counts").lookup(key);
  return new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true);
}

/** Only this process's lines (plain) or objects (JSON). */
const minePlain = (s: string): string => s.split("\n").filter((l) => l.startsWith(`pid ${process.pid}  `)).join("\n");
const mineJson = (s: string): string => JSON.stringify((JSON.parse(s) as { pid: number }[]).filter((o) => o.pid === process.pid));

test("perf show lists this process's tracepoint, uprobe and raw tracepoint attachments as bpftool does", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  using c = Collection.load(loadObjectSpec(OBJECT));
  const libc = resolveUprobeBinary("libc.so.6");
  {
    using tp = attachTracepoint(c.program("on_tp"), "syscalls:sys_enter_getppid");
    // The kernel refuses one program twice on one tracepoint: the older ioctl attachment goes to sched_process_exit.
    using legacy = attachTracepoint(c.program("on_tp"), "sched:sched_process_exit", { method: "ioctl" });
    using up = attachUprobe(c.program("on_uprobe"), { binary: libc, symbol: "exit", });
    using rawTp = rawTracepointOpen(c.program("on_raw_tp").fd, "sys_enter");
    void process.ppid;
    assert.equal(spawnSync("/usr/bin/true").status, 0);
    assert.ok(count(c, Slot.TP) >= 2n, "both tracepoint attachments ran (getppid, and the exit of /usr/bin/true)");
    assert.ok(count(c, Slot.UPROBE) > 0n, "the uprobe ran when /usr/bin/true exited");
    assert.ok(count(c, Slot.RAW_TP) > 0n, "the raw tracepoint ran");
    void tp; void legacy; void up; void rawTp;

    const ours = minePlain(ok("perf", "show"));
    assert.equal(ours, minePlain(bpftool("perf", "show")));
    const lines = ours.split("\n");
    assert.equal(lines.filter((l) => / tracepoint {2}(sys_enter_getppid|sched_process_exit)$/.test(l)).length, 2, ours);
    assert.equal(lines.filter((l) => new RegExp(` uprobe {2}filename ${libc.replace(/[.+]/g, "\\$&")} {2}offset \\d+$`).test(l)).length, 1, ours);
    assert.equal(lines.filter((l) => / raw_tracepoint {2}sys_enter$/.test(l)).length, 1, ours);
    assert.equal(mineJson(ok("-j", "perf", "list")), mineJson(bpftool("-j", "perf", "list")));
  }
  assert.equal(minePlain(ok("perf", "show")), "", "nothing of ours once the links are closed");
});

test("perf show layouts of kprobes (not on this kernel) follow bpftool", () => {
  const base = { pid: 7, fd: 3, progId: 9, probeOffset: 16n, probeAddr: 0xffffffff81000000n };
  assert.deepEqual(perfPlain({ ...base, fdType: TaskFdType.KPROBE, name: "do_sys_open" }), { text: "pid 7  fd 3: prog_id 9  kprobe  func do_sys_open  offset 16", newline: true });
  assert.deepEqual(perfPlain({ ...base, fdType: TaskFdType.KRETPROBE, name: "" }), { text: "pid 7  fd 3: prog_id 9  kretprobe  addr 18446744071578845184", newline: true });
  assert.deepEqual(perfPlain({ ...base, fdType: 99, name: "" }), { text: "pid 7  fd 3: prog_id 9  ", newline: false });
});
