// Output of opensnoop: libbpf-tools' columns, or one JSON object per line.
import type { OpenEvent } from "./opensnoop.skel.js";

/** The column header. */
export const HEADER = `${"PID".padEnd(6)} ${"COMM".padEnd(16)} ${"FD".padStart(3)} ${"ERR".padStart(3)} PATH`;

/** fd and errno of a syscall result as opensnoop shows them (-1 / errno on failure). */
function fdAndErr(ret: number): [number, number] {
  return ret >= 0 ? [ret, 0] : [-1, -ret];
}

/** One column line. */
export function formatLine(e: OpenEvent): string {
  const [fd, err] = fdAndErr(e.ret);
  return `${String(e.tgid).padEnd(6)} ${e.comm.padEnd(16)} ${String(fd).padStart(3)} ${String(err).padStart(3)} ${e.path}`;
}

/** One JSON line. */
export function formatJson(e: OpenEvent): string {
  const [fd, err] = fdAndErr(e.ret);
  return JSON.stringify({ pid: e.tgid, tid: e.tid, uid: e.uid, comm: e.comm, fd, err, flags: e.flags, path: e.path });
}
