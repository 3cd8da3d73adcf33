// libbpf's SEC() conventions (libbpf's section_defs table): program type, expected
// attach type, sleepable/frags flags and attach target for each form of name.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProgramType as T, AttachType as A } from "../../src/index.js";
import { sectionType } from "../../src/object/index.js";

test("section names map to libbpf's program and attach types", () => {
  const cases: [string, T, number, Partial<{ sleepable: boolean; frags: boolean; attachTo: string }>][] = [
    ["socket", T.SocketFilter, 0, {}],
    ["sk_reuseport/migrate", T.SkReuseport, A.SkReuseportSelectOrMigrate, {}],
    ["kprobe/do_sys_open", T.Kprobe, 0, { attachTo: "do_sys_open" }],
    ["kretprobe.multi/vfs_*", T.Kprobe, A.TraceKprobeMulti, { attachTo: "vfs_*" }],
    ["ksyscall/openat", T.Kprobe, 0, { attachTo: "openat" }],
    ["uprobe.s/bin:fn", T.Kprobe, 0, { sleepable: true, attachTo: "bin:fn" }],
    ["uretprobe.multi.s/x:y", T.Kprobe, A.TraceUprobeMulti, { sleepable: true }],
    ["usdt/libc:probe", T.Kprobe, 0, {}],
    ["tp/sched/sched_switch", T.Tracepoint, 0, { attachTo: "sched/sched_switch" }],
    ["raw_tp.w/x", T.RawTracepointWritable, 0, {}],
    ["tp_btf/sched_switch", T.Tracing, A.TraceRawTp, {}],
    ["fmod_ret.s/f", T.Tracing, A.ModifyReturn, { sleepable: true }],
    ["freplace/f", T.Ext, 0, {}],
    ["lsm.s/bprm", T.LSM, A.LSMMac, { sleepable: true }],
    ["lsm_cgroup/socket_bind", T.LSM, A.LSMCgroup, {}],
    ["iter.s/task", T.Tracing, A.TraceIter, { sleepable: true }],
    ["syscall", T.Syscall, 0, { sleepable: true }],
    ["xdp.frags/devmap", T.XDP, A.XDPDevmap, { frags: true }],
    ["xdp/cpumap", T.XDP, A.XDPCpumap, {}],
    ["xdp", T.XDP, A.XDP, {}],
    ["tcx/egress", T.SchedCls, A.TCXEgress, {}],
    ["netkit/peer", T.SchedCls, A.NetkitPeer, {}],
    ["action", T.SchedAct, 0, {}],
    ["lwt_seg6local", T.LwtSeg6Local, 0, {}],
    ["sockops", T.SockOps, A.CgroupSockOps, {}],
    ["sk_skb/verdict", T.SkSKB, A.SkSKBVerdict, {}],
    ["flow_dissector", T.FlowDissector, A.FlowDissector, {}],
    ["cgroup_skb/egress", T.CgroupSKB, A.CgroupInetEgress, {}],
    ["cgroup/sock_release", T.CgroupSock, A.CgroupInetSockRelease, {}],
    ["cgroup/getsockname_unix", T.CgroupSockAddr, A.CgroupUnixGetsockname, {}],
    ["cgroup/setsockopt", T.CgroupSockopt, A.CgroupSetsockopt, {}],
    ["cgroup/dev", T.CgroupDevice, A.CgroupDevice, {}],
    ["struct_ops.s/init", T.StructOps, 0, { sleepable: true }],
    ["sk_lookup", T.SkLookup, A.SkLookup, {}],
    ["netfilter", T.Netfilter, A.Netfilter, {}],
  ];
  for (const [name, type, attach, extra] of cases) {
    const s = sectionType(name);
    assert.ok(s, name);
    assert.equal(s.type, type, `${name}: type`);
    assert.equal(s.expectedAttachType, attach, `${name}: attach type`);
    if (extra.sleepable !== undefined) assert.equal(s.sleepable, extra.sleepable, `${name}: sleepable`);
    if (extra.frags !== undefined) assert.equal(s.frags, extra.frags, `${name}: frags`);
    if (extra.attachTo !== undefined) assert.equal(s.attachTo, extra.attachTo, `${name}: attachTo`);
  }
  for (const bad of ["kprobex", "xdp/other", "socket2", "tc/other", "fentryfoo/x", ""]) assert.equal(sectionType(bad), undefined, bad);
});
