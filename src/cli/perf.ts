// `tsbpf perf show|list`: bpftool's listing of perf-event based attachments
// of every process — each (pid, fd) that BPF_TASK_FD_QUERY says runs a BPF
// program (tracepoint, kprobe, uprobe perf events and raw tracepoints), in
// /proc's directory order, as bpftool walks it.
import { opendirSync } from "node:fs";
import type { Args } from "./args.js";
import type { Context, ObjectCommands } from "./command.js";
import { TaskFdType, checkTaskFdQuery, taskFdQuery, type TaskFdInfo } from "../sys/task-fd-query.js";

/** One attachment found. */
interface PerfAttachment extends TaskFdInfo {
  pid: number;
  fd: number;
}

/** Numeric entries of a /proc directory, in the order the directory lists them (bpftool's readdir order). */
function numericEntries(dir: string): number[] {
  let handle;
  try {
    handle = opendirSync(dir);
  } catch {
    return []; // the process exited, or its fds are not ours to see
  }
  const out: number[] = [];
  try {
    for (let e = handle.readSync(); e !== null; e = handle.readSync()) if (/^\d+$/.test(e.name)) out.push(Number(e.name));
  } catch {
    // the process exited while we listed its fds
  } finally {
    handle.closeSync();
  }
  return out;
}

/** Every attachment of every process (this one included, as bpftool includes itself). */
export function perfAttachments(): PerfAttachment[] {
  checkTaskFdQuery();
  const found: PerfAttachment[] = [];
  for (const pid of numericEntries("/proc")) {
    for (const fd of numericEntries(`/proc/${pid}/fd`)) {
      const q = taskFdQuery(pid, fd);
      if (q) found.push({ pid, fd, ...q });
    }
  }
  return found;
}

/** bpftool's JSON object for one attachment. */
export function perfJson(a: PerfAttachment): Record<string, unknown> {
  const o: Record<string, unknown> = { pid: a.pid, fd: a.fd, prog_id: a.progId };
  switch (a.fdType) {
    case TaskFdType.RAW_TRACEPOINT: return { ...o, fd_type: "raw_tracepoint", tracepoint: a.name };
    case TaskFdType.TRACEPOINT: return { ...o, fd_type: "tracepoint", tracepoint: a.name };
    case TaskFdType.KPROBE:
    case TaskFdType.KRETPROBE: {
      const kind = a.fdType === TaskFdType.KPROBE ? "kprobe" : "kretprobe";
      return a.name ? { ...o, fd_type: kind, func: a.name, offset: a.probeOffset } : { ...o, fd_type: kind, addr: a.probeAddr };
    }
    case TaskFdType.UPROBE: return { ...o, fd_type: "uprobe", filename: a.name, offset: a.probeOffset };
    case TaskFdType.URETPROBE: return { ...o, fd_type: "uretprobe", filename: a.name, offset: a.probeOffset };
    default: return o;
  }
}

/** bpftool's plain line for one attachment (without the newline; types it does not know print only the head, with no newline at all). */
export function perfPlain(a: PerfAttachment): { text: string; newline: boolean } {
  const head = `pid ${a.pid}  fd ${a.fd}: prog_id ${a.progId}  `;
  switch (a.fdType) {
    case TaskFdType.RAW_TRACEPOINT: return { text: `${head}raw_tracepoint  ${a.name}`, newline: true };
    case TaskFdType.TRACEPOINT: return { text: `${head}tracepoint  ${a.name}`, newline: true };
    case TaskFdType.KPROBE:
    case TaskFdType.KRETPROBE: {
      const kind = a.fdType === TaskFdType.KPROBE ? "kprobe" : "kretprobe";
      return { text: a.name ? `${head}${kind}  func ${a.name}  offset ${a.probeOffset}` : `${head}${kind}  addr ${a.probeAddr}`, newline: true };
    }
    case TaskFdType.UPROBE: return { text: `${head}uprobe  filename ${a.name}  offset ${a.probeOffset}`, newline: true };
    case TaskFdType.URETPROBE: return { text: `${head}uretprobe  filename ${a.name}  offset ${a.probeOffset}`, newline: true };
    default: return { text: head, newline: false };
  }
}

function show(args: Args, ctx: Context): void {
  args.end();
  const all = perfAttachments();
  if (ctx.out.json) {
    ctx.out.jsonValue(all.map(perfJson));
    return;
  }
  for (const a of all) {
    const { text, newline } = perfPlain(a);
    if (newline) ctx.out.line(text);
    else ctx.out.text(text);
  }
}

/** The `perf` object of the CLI. */
export const perfCommands: ObjectCommands = {
  name: "perf",
  summary: "list perf-event based attachments (tracepoints, kprobes, uprobes) of every process",
  grammar: "OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }",
  commands: [
    { name: "show", synopsis: "{ show | list }", examples: ["tsbpf perf show", "tsbpf -p perf list"], run: show },
    { name: "list", synopsis: "{ show | list }", examples: ["tsbpf perf list"], run: show },
  ],
};
