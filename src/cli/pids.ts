// Which processes hold a BPF object open — bpftool's "pids" in `prog show`
// and `map show`. bpftool walks tasks with a BPF iterator; we read procfs
// (/proc/PID/fd links and fdinfo ids), which gives the same answer without
// loading a program: one entry per process (thread group), in pid order,
// this process excluded.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { bpfKindOfTarget, type BpfFdKind } from "../sys/fd-kind.js";

/** A process holding an object. */
export interface ObjectRef {
  readonly pid: number;
  readonly comm: string;
}

const ID_FIELD = { prog: "prog_id", map: "map_id", link: "link_id" } as const;

/** Object id → holders, for one kind, scanned once per command. */
export class ObjectRefs {
  readonly #byId = new Map<number, ObjectRef[]>();

  /** Scans every process for fds of `kind`. */
  constructor(kind: BpfFdKind) {
    const self = process.pid;
    let pids: number[];
    try {
      pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number).sort((a, b) => a - b);
    } catch {
      return; // no procfs: no pids, as bpftool prints none without its iterator
    }
    for (const pid of pids) {
      if (pid === self) continue;
      let fds: string[];
      try {
        fds = readdirSync(`/proc/${pid}/fd`);
      } catch {
        continue; // exited, or not ours to look at
      }
      let comm: string | undefined;
      for (const fd of fds) {
        let target: string;
        try {
          target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          continue;
        }
        if (bpfKindOfTarget(target) !== kind) continue;
        const id = readFdinfoId(pid, fd, ID_FIELD[kind]);
        if (id === undefined) continue;
        comm ??= readComm(pid);
        const list = this.#byId.get(id) ?? [];
        if (!list.some((r) => r.pid === pid)) list.push({ pid, comm });
        this.#byId.set(id, list);
      }
    }
  }

  /** The processes holding object `id` (empty when none). */
  holders(id: number): readonly ObjectRef[] {
    return this.#byId.get(id) ?? [];
  }
}

function readFdinfoId(pid: number, fd: string, field: string): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s*(\\d+)`, "m").exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function readComm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trimEnd();
  } catch {
    return "";
  }
}

/** bpftool's JSON form: [{"pid":…,"comm":"…"}]. */
export function pidsJson(refs: readonly ObjectRef[]): { pid: number; comm: string }[] {
  return refs.map((r) => ({ pid: r.pid, comm: r.comm }));
}

/** bpftool's plain form, appended to the show text: "\n\tpids comm(pid), …". */
export function pidsPlain(refs: readonly ObjectRef[]): string {
  return refs.length ? `\n\tpids ${refs.map((r) => `${r.comm}(${r.pid})`).join(", ")}` : "";
}
