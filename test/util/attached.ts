// "Nothing stays attached", asked of bpftool (the oracle): the BPF links and
// the perf-event attachments (kprobes, tracepoints, perf_event samplers)
// that name a program.
import { bpftool } from "./cli.js";

interface BpftoolLink { id: number; prog_id: number; type: string }
interface BpftoolPerf { pid: number; fd: number; prog_id: number }

/** `bpftool link show -j` entries of program `progId`. */
export function bpftoolLinksOf(progId: number): BpftoolLink[] {
  return (JSON.parse(bpftool("link", "show", "-j")) as BpftoolLink[]).filter((l) => l.prog_id === progId);
}

/** `bpftool perf show -j` entries of program `progId` (perf events of any process that carry it). */
export function bpftoolPerfOf(progId: number): BpftoolPerf[] {
  return (JSON.parse(bpftool("perf", "show", "-j") || "[]") as BpftoolPerf[]).filter((p) => p.prog_id === progId);
}

/** Both at once: every attachment bpftool can see of the program. */
export function attachmentsOf(progId: number): { links: BpftoolLink[]; perf: BpftoolPerf[] } {
  return { links: bpftoolLinksOf(progId), perf: bpftoolPerfOf(progId) };
}
