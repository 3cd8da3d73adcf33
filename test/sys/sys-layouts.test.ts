// Checks every attr/info layout in src/sys/layouts.ts against the running
// kernel's own description of its uapi (union bpf_attr and the info structs
// in /sys/kernel/btf/vmlinux, printed by bpftool).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as L from "../../src/sys/layouts.js";
import type { Layout } from "../../src/sys/attr.js";
import { RawBtf } from "../util/btf-raw.js";
import { requireOracle } from "../util/environment.js";

/** Where each layout lives in the uapi: root type, member prefix, renamed fields. */
const where: Array<[Layout, string, string, Record<string, string>]> = [
  [L.MapCreateAttr, "bpf_attr", "", {}],
  [L.MapElemAttr, "bpf_attr", "", { map_fd: "map_fd" }],
  [L.MapBatchAttr, "bpf_attr", "batch.", {}],
  [L.ProgLoadAttr, "bpf_attr", "", {}],
  [L.ObjAttr, "bpf_attr", "", {}],
  [L.ProgTestRunAttr, "bpf_attr", "test.", {}],
  [L.GetIdAttr, "bpf_attr", "", { id: "prog_id" }],
  [L.InfoByFdAttr, "bpf_attr", "info.", {}],
  [L.ProgAttachAttr, "bpf_attr", "", {}],
  [L.ProgQueryAttr, "bpf_attr", "query.", {}],
  [L.RawTracepointOpenAttr, "bpf_attr", "raw_tracepoint.", {}],
  [L.BtfLoadAttr, "bpf_attr", "", {}],
  [L.LinkCreateAttr, "bpf_attr", "link_create.", {
    perf_event_bpf_cookie: "perf_event.bpf_cookie", tracing_cookie: "tracing.cookie", tracing_target_btf_id: "tracing.target_btf_id",
    ...Object.fromEntries(["flags", "cnt", "syms", "addrs", "cookies"].map((f) => [`kprobe_multi_${f}`, `kprobe_multi.${f}`])),
    ...Object.fromEntries(["relative_fd", "relative_id", "expected_revision"].map((f) => [`tcx_${f}`, `tcx.${f}`])),
    ...Object.fromEntries(["path", "offsets", "ref_ctr_offsets", "cookies", "cnt", "flags", "pid"].map((f) => [`uprobe_multi_${f}`, `uprobe_multi.${f}`])),
    ...Object.fromEntries(["pf", "hooknum", "priority", "flags"].map((f) => [`netfilter_${f}`, `netfilter.${f}`])),
  }],
  [L.LinkUpdateAttr, "bpf_attr", "link_update.", {}],
  [L.LinkDetachAttr, "bpf_attr", "link_detach.", {}],
  [L.IterCreateAttr, "bpf_attr", "iter_create.", {}],
  [L.TaskFdQueryAttr, "bpf_attr", "task_fd_query.", {}],
  [L.EnableStatsAttr, "bpf_attr", "enable_stats.", {}],
  [L.ProgBindMapAttr, "bpf_attr", "prog_bind_map.", {}],
  [L.MapInfo, "bpf_map_info", "", {}],
  [L.ProgInfo, "bpf_prog_info", "", {}],
  [L.BtfInfo, "bpf_btf_info", "", {}],
  [L.LinkInfoDetail, "bpf_link_info", "", linkInfoDetailPaths()],
  [L.PerfEventAttr, "perf_event_attr", "", { flags: "disabled" }],
];

/** LinkInfoDetail names `<member>_<field>`; the uapi path is `<member>.<field>` (iter's inner unions spelled out). */
function linkInfoDetailPaths(): Record<string, string> {
  const iter: Record<string, string> = { iter_map_id: "iter.map.map_id", iter_cgroup_id: "iter.cgroup.cgroup_id", iter_order: "iter.cgroup.order", iter_tid: "iter.task.tid", iter_pid: "iter.task.pid" };
  const members = ["perf_event_uprobe", "perf_event_kprobe", "perf_event_tracepoint", "perf_event_event", "raw_tracepoint", "tracing", "cgroup", "iter", "netns", "xdp", "struct_ops", "netfilter", "kprobe_multi", "uprobe_multi", "perf_event", "tcx", "netkit", "sockmap"];
  return Object.fromEntries(Object.keys(L.LinkInfoDetail.fields).map((f) => {
    const m = members.find((p) => f.startsWith(`${p}_`));
    return [f, iter[f] ?? (m ? `${m.replace(/^perf_event_/, "perf_event.")}.${f.slice(m.length + 1)}` : f)];
  }));
}

/** Fields of LinkInfo are positional views of its unions, not uapi names. */
const positional = new Set(["bpf_link_info"]);

test("attr and info layouts match the running kernel's uapi (BTF)", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const btf = RawBtf.fromBpftool();
  let checked = 0;
  for (const [layout, root, prefix, renames] of where) {
    if (positional.has(layout.name)) continue;
    for (const [field, def] of Object.entries(layout.fields)) {
      const path = prefix + (renames[field] ?? field);
      const m = btf.member(root, path);
      assert.ok(m, `${layout.name}.${field}: ${root}.${path} not found in kernel BTF`);
      assert.equal(def.offset, m.offset, `${layout.name}.${field} offset (kernel: ${m.offset})`);
      // gpl_compatible is a bitfield; tags and names are arrays.
      if (field !== "gpl_compatible") assert.equal(def.size, m.size, `${layout.name}.${field} size (kernel: ${m.size})`);
      checked++;
    }
  }
  assert.ok(checked > 150, `checked ${checked} fields`);
});
