// The trace_pipe reader: bpf_printk()/bpf_trace_printk() output (and any
// other trace event text) from tracefs, as an async iterator of parsed lines.
//
// Why a non-blocking fd watched on the event loop, and no output of ours:
// trace_pipe is where the programs we read print, so anything this reader
// does in the kernel may be traced by them. A blocking read would park a
// libuv pool thread for as long as the pipe is empty; writing each line to
// the console would make a program that prints on write(2) print again for
// every line it printed — a storm that never ends. So the fd is opened with
// O_NONBLOCK, read only when epoll says it is readable (64 KiB per read, no
// read that is sure to find nothing), and lines are handed to the caller,
// never written anywhere by the library. The only system calls per batch of
// lines are one epoll wake-up and one or two reads.
import { closeSync, constants, openSync, readSync } from "node:fs";
import { optionsArgument } from "../sys/arguments.js";
import { FD } from "../sys/fd.js";
import { NotFoundError, PermissionError, errorFromErrno } from "../sys/errors.js";
import { ensureTracefs } from "../sys/filesystems.js";
import { TRACEFS_DIRS } from "../sys/perf-event.js";
import { watchReadable, type Watch } from "./readiness.js";

/** One line of trace_pipe, split into its fields (the default trace format with `irq-info`). */
export interface TraceLine {
  /** The task's comm ("<...>" when the kernel no longer knows it). */
  task: string;
  /** Its thread id. */
  pid: number;
  /** The thread group id, when the `record-tgid` trace option is on. */
  tgid: number | undefined;
  /** The CPU it ran on. */
  cpu: number;
  /** The irq/preempt flags column (e.g. "d..31"), "" when the `irq-info` option is off. */
  flags: string;
  /** The time stamp in seconds, as printed (microsecond precision). */
  timestamp: number;
  /** The event that printed it: "bpf_trace_printk" for bpf_printk(). */
  event: string;
  /** The message (for bpf_printk, the formatted string without its trailing newline). */
  message: string;
  /** The whole line as read. */
  raw: string;
}

/** Options of {@link readTracePipe}. */
export interface TracePipeOptions {
  /** Ends the iterator (it returns; a line already read but not yet yielded is dropped). */
  signal?: AbortSignal;
  /** The trace_pipe file to read (default: the one in the mounted tracefs, mounting it if needed and allowed). */
  path?: string;
}

// TASK-PID [(TGID)] [CPU] [FLAGS] SECONDS.MICROS: EVENT: MESSAGE
const LINE = /^\s*(.*?)-(\d+)\s+(?:\(\s*(\d+|-+)\)\s+)?\[(\d+)\]\s+(?:(\S+)\s+)?(\d+\.\d+):\s+([^:\s]+):\s?(.*)$/;

/** Splits one trace_pipe line into its fields; undefined when it does not have the trace format. */
export function parseTraceLine(raw: string): TraceLine | undefined {
  const m = LINE.exec(raw);
  if (!m) return undefined;
  const tgid = m[3] !== undefined && /^\d+$/.test(m[3]) ? Number(m[3]) : undefined;
  return {
    task: m[1]!,
    pid: Number(m[2]),
    tgid,
    cpu: Number(m[4]),
    flags: m[5] ?? "",
    timestamp: Number(m[6]),
    event: m[7]!,
    message: m[8]!,
    raw,
  };
}

/** The trace_pipe of the mounted tracefs (mounted first if it is nowhere and this process may). */
export function tracePipePath(): string {
  for (const mayMount of [true, false]) {
    for (const dir of TRACEFS_DIRS) {
      try {
        closeSync(openSync(`${dir}/trace`, constants.O_RDONLY));
        return `${dir}/trace_pipe`;
      } catch {
        // not there: try the next place
      }
    }
    if (!mayMount || !ensureTracefs()) break;
  }
  throw new NotFoundError(
    `trace_pipe: tracefs is not mounted (looked in ${TRACEFS_DIRS.join(" and ")}); mount it with 'mount -t tracefs tracefs /sys/kernel/tracing'`,
  );
}

function openPipe(path: string): FD {
  try {
    return new FD(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK), "trace_pipe");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM") throw new PermissionError(`cannot open ${path}: reading the trace needs root`, { operation: "open" });
    if (code === "ENOENT") throw new NotFoundError(`${path} does not exist (is tracefs mounted there?)`);
    throw e;
  }
}

/** Result of one non-blocking read: the bytes read, 0 at end of file, or -1 when nothing is there now. */
function readSome(fd: FD, buffer: Uint8Array): number {
  try {
    return readSync(fd.raw, buffer, 0, buffer.byteLength, null);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "EAGAIN" || err.code === "EWOULDBLOCK") return -1;
    if (err.code === "EINTR") return -1;
    throw errorFromErrno(-(err.errno ?? 0) || 5, "read", "trace_pipe");
  }
}

/**
 * Reads trace_pipe (bpf_printk output) as parsed lines, waiting on the event
 * loop while it is empty, until `signal` aborts (the iterator returns) or the
 * consumer stops iterating; the fd is closed either way. Reading trace_pipe
 * consumes what it reads: two readers (this and `tsbpf prog tracelog`, or
 * `cat trace_pipe`) share the lines between them. Lines that do not have the
 * trace format (e.g. "CPU:1 [LOST 12 EVENTS]") come with event "" and the
 * whole line as the message. The library never writes them anywhere (see the
 * top of this file).
 */
export async function* readTracePipe(options: TracePipeOptions = {}): AsyncGenerator<TraceLine, void, undefined> {
  const { signal, path } = optionsArgument(options, "readTracePipe");
  if (signal?.aborted) return;
  const fd = openPipe(path ?? tracePipePath());
  const buffer = new Uint8Array(64 * 1024);
  const decoder = new TextDecoder();
  let partial = "";
  try {
    while (!signal?.aborted) {
      const n = readSome(fd, buffer);
      if (n === 0) return; // not a pipe that ends, but a file given as `path` does
      if (n < 0) {
        if (!(await waitReadable(fd, signal))) return;
        continue;
      }
      const text = partial + decoder.decode(buffer.subarray(0, n), { stream: true });
      const lines = text.split("\n");
      partial = lines.pop()!;
      for (const raw of lines) {
        if (signal?.aborted) return;
        if (raw === "") continue;
        yield parseTraceLine(raw) ?? { task: "", pid: 0, tgid: undefined, cpu: -1, flags: "", timestamp: 0, event: "", message: raw, raw };
      }
      // A short read emptied the pipe: wait for epoll rather than read once more to hear EAGAIN.
      if (n < buffer.byteLength && !(await waitReadable(fd, signal))) return;
    }
  } finally {
    fd.close();
  }
}

/** Resolves true once `fd` is readable, false if `signal` aborts first. */
function waitReadable(fd: FD, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    let watch: Watch | undefined;
    let done = false;
    const finish = (ready: boolean, error?: Error): void => {
      if (done) return;
      done = true;
      watch?.stop();
      watch = undefined;
      signal?.removeEventListener("abort", cancel);
      if (error) reject(error);
      else resolve(ready);
    };
    const cancel = (): void => finish(false);
    if (signal?.aborted) return resolve(false);
    try {
      watch = watchReadable(fd, "trace_pipe", () => finish(true), (e) => finish(false, e));
    } catch (e) {
      reject(e);
      return;
    }
    signal?.addEventListener("abort", cancel, { once: true });
  });
}
