// BPF_PROG_BIND_MAP: keep a map alive for as long as a program, even when the
// program's code does not reference it (e.g. metadata maps read by tools).
import { Attr } from "../sys/attr.js";
import { Cmd, ProgBindMapAttr } from "../sys/layouts.js";
import { bpfRaw } from "../sys/syscall.js";
import type { FD } from "../sys/fd.js";
import { errorFromErrno } from "../sys/errors.js";

/** Binds the map behind `mapFd` to the program behind `progFd` (Linux 5.10); binding twice is a no-op. */
export function bindMapToProgram(progFd: FD, mapFd: FD): void {
  const attr = new Attr(ProgBindMapAttr);
  attr.set("prog_fd", progFd.raw).set("map_fd", mapFd.raw).set("flags", 0);
  const r = bpfRaw(Cmd.PROG_BIND_MAP, attr.address, attr.size);
  if (r < 0) throw errorFromErrno(-r, "BPF_PROG_BIND_MAP", `program ${progFd}, map ${mapFd}`);
}
