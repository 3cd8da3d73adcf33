// `tsbpf link show|list|pin|detach` against bpftool on links of every type
// this kernel makes: byte for byte where the installed bpftool knows the
// type's details; for the details only newer bpftools print (Debian's 7.1
// predates them), bpftool's own output plus upstream's detail lines. Links
// come from test/fixtures/cli-link/links.bpf.o, network ones inside network
// namespaces the test makes, cgroup ones in a child cgroup it makes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, openSync, rmdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Collection } from "../../src/collection.js";
import { loadObjectSpec } from "../../src/object/object-spec.js";
import { linkCreate } from "../../src/sys/link.js";
import { linkInfo, LinkType, PerfEventLinkType, type LinkInfo } from "../../src/sys/link-info.js";
import { linkShowJson, linkShowPlain } from "../../src/cli/link-format.js";
import { PinnedPaths } from "../../src/cli/pinned-paths.js";
import { rawTracepointOpen } from "../../src/sys/raw-tracepoint.js";
import { perfEventOpen, PerfType } from "../../src/sys/perf-event.js";
import { FD } from "../../src/sys/fd.js";
import { AttachType } from "../../src/program.js";
import { attachTracepoint } from "../../src/link/index.js";
import { bpffsTempDir } from "../util/kernel.js";
import { CLI, bpftool, ok, tsbpf } from "../util/cli.js";
import { requireOracle } from "../util/environment.js";
import { inNetns, vethPair } from "../util/netns.js";

const OBJECT = fileURLToPath(new URL("../../../test/fixtures/cli-link/links.bpf.o", import.meta.url));
const CGROUP2 = "/sys/fs/cgroup/unified";

/** Slots of the fixture's `counts` map. */
const Slot = { RAW_TP: 0, TP_BTF: 1, TP: 2 } as const;

function count(c: Collection, slot: number): bigint {
  const key = new Uint8Array(4);
  new DataView(key.buffer).setUint32(0, slot, true);
  const v = c.map("counts").lookup(key);
  return new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true);
}

/** Our pids (bpftool 7.1 has no skeletons, so prints none): checked, then removed for the comparison. */
function withoutPids(text: string): string {
  return text.replace(/\n\tpids [^\n]*/g, "").replace(/,"pids":\[[^\]]*\]/g, "");
}

/** Runs a command inside network namespace `ns`. */
function inNs(ns: string, cmd: string, ...args: string[]): string {
  const r = spawnSync("ip", ["netns", "exec", ns, cmd, ...args], { encoding: "utf8" });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")} in ${ns}: ${r.stderr}`);
  return r.stdout;
}

const idOf = (fd: FD): number => linkInfo(fd).id;

/** After a test: no link of bpftool's listing runs one of the collection's programs. */
function assertNothingAttached(c: Collection): void {
  const progIds = new Set([...c.programs.values()].map((p) => p.id));
  const left = (JSON.parse(bpftool("-j", "link", "list")) as { id: number; prog_id: number }[]).filter((l) => progIds.has(l.prog_id));
  assert.deepEqual(left, [], "links left behind");
}

/**
 * `link show id ID` in plain, -j and -p: equal to bpftool's, or to bpftool's
 * with upstream's detail (`plainDetail` before the final newline, `jsonDetail`
 * members after bpftool's) where the installed bpftool predates it.
 */
function assertShowsLike(id: number, detail?: { plain: string; json: Record<string, unknown>; type?: string }, run?: (tool: string, ...args: string[]) => string): void {
  const theirs = (...a: string[]): string => (run ? run("bpftool", ...a) : bpftool(...a));
  const ours = (...a: string[]): string => (run ? run(process.execPath, CLI, ...a) : ok(...a));
  const args = ["link", "show", "id", String(id)];
  const plain = ours(...args);
  assert.match(plain, new RegExp(`\\n\\tpids node\\(${process.pid}\\)\\n$`), "the test process holds the link");
  let expectedPlain = theirs(...args);
  let expectedJson = JSON.parse(theirs("-j", ...args)) as Record<string, unknown>;
  if (detail) {
    // bpftool 7.1 names link types newer than libbpf 1.1 by number.
    if (detail.type) {
      expectedPlain = expectedPlain.replace(/^(\d+: )type \d+ /, `$1${detail.type} `);
      expectedJson = { ...expectedJson, type: detail.type };
    }
    expectedPlain = `${expectedPlain.slice(0, -1)}${detail.plain}\n`;
    expectedJson = { ...expectedJson, ...detail.json };
  }
  assert.equal(withoutPids(plain), expectedPlain, `plain, link ${id}`);
  assert.equal(withoutPids(ours("-j", ...args)), `${JSON.stringify(expectedJson)}\n`, `-j, link ${id}`);
  if (!detail) assert.equal(withoutPids(ours("-p", ...args)).replace(/,\n\s+"pids": \[[^\]]*\]/, ""), theirs("-p", ...args), `-p, link ${id}`);
}

test("link show: raw_tracepoint, tracing, cgroup and netns links as bpftool prints them; the programs run", (t) => {
  if (!requireOracle(t, "bpftool") || !requireOracle(t, "iproute2")) return;
  using c = Collection.load(loadObjectSpec(OBJECT));
  const cgroup = `${CGROUP2}/tsbpf-cli-link-${process.pid}`;
  mkdirSync(cgroup);
  const net = vethPair();
  const fds: FD[] = [];
  try {
    const cgFd = new FD(openSync(cgroup, "r"), "cgroup fd");
    const nsFd = new FD(openSync(`/run/netns/${net.a}`, "r"), "netns fd");
    fds.push(cgFd, nsFd);
    const rawTp = rawTracepointOpen(c.program("on_raw_tp").fd, "sys_enter");
    const tpBtf = rawTracepointOpen(c.program("on_tp_btf").fd, null);
    const cg = linkCreate({ progFd: c.program("on_cgroup_skb").fd, targetFd: cgFd, attachType: AttachType.CgroupInetIngress });
    const skLookup = linkCreate({ progFd: c.program("on_sk_lookup").fd, targetFd: nsFd, attachType: AttachType.SkLookup });
    const flow = linkCreate({ progFd: c.program("on_flow").fd, targetFd: nsFd, attachType: AttachType.FlowDissector });
    fds.push(rawTp, tpBtf, cg, skLookup, flow);
    void process.ppid;
    assert.ok(count(c, Slot.RAW_TP) > 0n && count(c, Slot.TP_BTF) > 0n, "raw_tp and tp_btf programs ran");
    for (const fd of [rawTp, tpBtf, cg, skLookup, flow]) assertShowsLike(idOf(fd));

    // `list` without a LINK: our links appear in the listing exactly as bpftool lists them.
    const ids = new Set([rawTp, tpBtf, cg].map(idOf));
    const mine = (list: Record<string, unknown>[]): string => JSON.stringify(list.filter((l) => ids.has(l.id as number)));
    const ourList = JSON.parse(withoutPids(ok("-j", "link", "list"))) as Record<string, unknown>[];
    assert.equal(mine(ourList), mine(JSON.parse(bpftool("-j", "link", "list")) as Record<string, unknown>[]));
    assert.equal(mine(ourList).length > 2, true);
  } finally {
    for (const fd of fds.reverse()) fd.close();
    net.cleanup();
    rmdirSync(cgroup);
  }
  assertNothingAttached(c);
});

test("link show: perf_event, xdp, tcx, netfilter, sockmap and uprobe_multi details in upstream's layout", (t) => {
  if (!requireOracle(t, "bpftool") || !requireOracle(t, "iproute2")) return;
  using c = Collection.load(loadObjectSpec(OBJECT));
  const net = vethPair();
  const fds: FD[] = [];
  try {
    using tp = attachTracepoint(c.program("on_tp"), "syscalls:sys_enter_getppid");
    void process.ppid;
    assert.ok(count(c, Slot.TP) > 0n, "the tracepoint program ran");
    assertShowsLike(tp.id, { plain: "\n\ttracepoint sys_enter_getppid  ", json: { tracepoint: "sys_enter_getppid", cookie: 0 } });

    const pe = perfEventOpen({ type: PerfType.SOFTWARE, config: 2 /* page-faults */, samplePeriod: 1_000_000, cpu: 0, pid: -1 });
    fds.push(pe);
    const perfLink = linkCreate({ progFd: c.program("on_perf").fd, targetFd: pe, attachType: AttachType.PerfEvent, perfEventCookie: 42n });
    fds.push(perfLink);
    assertShowsLike(idOf(perfLink), {
      plain: "\n\tevent software:page-faults  cookie 42  ", json: { event_type: "software", event_config: "page-faults", cookie: 42 },
    });

    const [xdp, tcx, nf] = inNetns(net.a, () => [
      linkCreate({ progFd: c.program("on_xdp").fd, targetIfindex: net.ifindex, attachType: AttachType.XDP }),
      linkCreate({ progFd: c.program("on_tc").fd, targetIfindex: net.ifindex, attachType: AttachType.TCXIngress }),
      linkCreate({ progFd: c.program("on_netfilter").fd, attachType: AttachType.Netfilter, netfilter: { pf: 2, hooknum: 1, priority: -128 } }),
    ]);
    fds.push(xdp!, tcx!, nf!);
    // Interface names are the caller's namespace's: run both tools inside it.
    const run = (tool: string, ...args: string[]): string => inNs(net.a, tool, ...args);
    const ifx = net.ifindex;
    assertShowsLike(idOf(xdp!), { plain: `\n\tifindex veth0(${ifx})  `, json: { devname: "veth0", ifindex: ifx } }, run);
    assertShowsLike(idOf(tcx!), {
      type: "tcx", plain: `\n\tifindex veth0(${ifx})  attach_type tcx_ingress  `,
      json: { devname: "veth0", ifindex: ifx, attach_type: "tcx_ingress" },
    }, run);
    // In a namespace without that index (a fresh one has only lo), the name is unknown, as if_indextoname says there.
    const fresh = spawnSync("unshare", ["-n", process.execPath, CLI, "link", "show", "id", String(idOf(xdp!))], { encoding: "utf8" });
    assert.equal(fresh.stdout.split("\n")[1], "\tifindex (unknown)  ", fresh.stderr);
    assertShowsLike(idOf(nf!), { type: "netfilter", plain: "\n\tip input prio -128", json: { pf: 2, hook: 1, prio: -128, flags: 0 } });

    const sockmap = linkCreate({ progFd: c.program("on_sk_msg").fd, targetFd: c.map("socks").fd, attachType: AttachType.SkMsgVerdict });
    fds.push(sockmap);
    const mapId = c.map("socks").info().id;
    assertShowsLike(idOf(sockmap), {
      type: "sockmap", plain: `\n\tmap_id ${mapId}  attach_type sk_msg_verdict  `, json: { map_id: mapId, attach_type: "sk_msg_verdict" },
    });

    const um = linkCreate({
      progFd: c.program("on_uprobe_multi").fd, attachType: AttachType.TraceUprobeMulti,
      uprobeMulti: { path: "/usr/bin/true", offsets: [0x2000, 0x2010], cookies: [5n, 7n] },
    });
    fds.push(um);
    assertShowsLike(idOf(um), {
      type: "uprobe_multi",
      plain: "\n\tuprobe.multi  path /usr/bin/true  func_cnt 2  \n\toffset             ref_ctr_offset     cookies         " +
        "\n\t0x2000             0x0                0x5               \n\t0x2010             0x0                0x7               ",
      json: {
        retprobe: false, path: "/usr/bin/true", func_cnt: 2, pid: 0,
        funcs: [{ offset: 8192, ref_ctr_offset: 0, cookie: 5 }, { offset: 8208, ref_ctr_offset: 0, cookie: 7 }],
      },
    });
  } finally {
    for (const fd of fds.reverse()) fd.close();
    net.cleanup();
  }
  assertNothingAttached(c);
});

test("link pin, show -f and detach: pins listed as bpftool lists them; detach ends the attachment; nothing stays", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  using c = Collection.load(loadObjectSpec(OBJECT));
  const dir = bpffsTempDir("tsbpf-cli-link-");
  const cgroup = `${CGROUP2}/tsbpf-cli-link-pin-${process.pid}`;
  mkdirSync(cgroup);
  let id = 0;
  try {
    {
      using cgFd = new FD(openSync(cgroup, "r"), "cgroup fd");
      using link = linkCreate({ progFd: c.program("on_cgroup_skb").fd, targetFd: cgFd, attachType: AttachType.CgroupInetIngress });
      id = idOf(link);
      assert.equal(ok("-j", "link", "pin", "id", String(id), `${dir.path}/a`), "null\n");
      mkdirSync(`${dir.path}/sub`);
      assert.equal(ok("link", "pin", "pinned", `${dir.path}/a`, `${dir.path}/sub/b`), "");
    }
    // The handles are closed: the pins alone keep the link.
    for (const args of [["-f", "link", "show", "id", String(id)], ["-f", "-j", "link", "show", "pinned", `${dir.path}/sub/b`], ["link", "show", "pinned", `${dir.path}/a`]]) {
      assert.equal(ok(...args), bpftool(...args), args.join(" "));
    }
    const pins = (JSON.parse(ok("-f", "-j", "link", "show", "id", String(id))) as { pinned: string[] }).pinned;
    assert.deepEqual([...pins].sort(), [`${dir.path}/a`, `${dir.path}/sub/b`]);
    // -f with a listing: every link gets "pinned", [] for unpinned ones (if any link at all is pinned).
    const listed = JSON.parse(ok("-f", "-j", "link", "list")) as { id: number; pinned?: string[] }[];
    assert.ok(listed.every((l) => Array.isArray(l.pinned)));

    assert.equal(bpftool("cgroup", "show", cgroup).includes("on_cgroup_skb"), true);
    assert.equal(ok("-j", "link", "detach", "pinned", `${dir.path}/a`), "null\n");
    assert.equal(bpftool("cgroup", "show", cgroup), "", "detached from the cgroup although still pinned");
    assert.equal(ok("link", "show", "id", String(id)), bpftool("link", "show", "id", String(id)));
  } finally {
    dir.cleanup();
    rmdirSync(cgroup);
  }
  assert.equal(tsbpf("link", "show", "id", String(id)).status, 1, "gone once unpinned");
  assertNothingAttached(c);
});

test("link errors: bad LINK words, absent links, pins of other objects, unsupported detach", () => {
  const failure = (args: string[], status: number, pattern: RegExp): void => {
    const r = tsbpf(...args);
    assert.equal(r.status, status, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  };
  failure(["link", "show", "id"], 2, /^Error: missing link id\n/);
  failure(["link", "show", "id", "x"], 2, /link id must be a non-negative integer/);
  failure(["link", "show", "name", "x"], 2, /expected 'id' or 'pinned' to select a link, got 'name'/);
  failure(["link", "show", "id", "1", "extra"], 2, /unexpected argument 'extra'/);
  failure(["link", "detach"], 2, /link specifier is invalid or missing/);
  failure(["link", "pin", "id", "1"], 2, /missing FILE/);
  failure(["link", "show", "id", "4294967295"], 1, /no link with id 4294967295 \[NOT_FOUND\]/);
  failure(["link", "show", "pinned", "/sys/fs/bpf/tsbpf-definitely-absent"], 1, /nothing is pinned at/);

  using c = Collection.load(loadObjectSpec(OBJECT));
  const dir = bpffsTempDir("tsbpf-cli-link-err-");
  try {
    c.program("on_raw_tp").pin(`${dir.path}/prog`);
    failure(["link", "show", "pinned", `${dir.path}/prog`], 1, /incorrect object type: .*prog is a BPF program, not a BPF link/);
    using rawTp = rawTracepointOpen(c.program("on_raw_tp").fd, "sys_enter");
    const id = String(idOf(rawTp));
    failure(["link", "detach", "id", id], 1, /BPF_LINK_DETACH/);
    failure(["link", "pin", "id", id, "/tmp/tsbpf-not-bpffs"], 1, /bpffs|not a BPF filesystem|not on bpffs/i);
    assert.equal(existsSync("/tmp/tsbpf-not-bpffs"), false);
    assert.match(ok("link", "show", "id", id), /raw_tracepoint {2}prog \d+ {2}\n\ttp 'sys_enter'/, "still attached after the refused detach");
  } finally {
    dir.cleanup();
  }
});

test("link show layouts of link types this kernel cannot make (kprobes, netkit, cgroup iterators) follow upstream bpftool", () => {
  const base = { id: 9, progId: 3 };
  const kprobe: LinkInfo = {
    ...base, type: LinkType.PERF_EVENT, typeName: "perf_event",
    perfEvent: { type: PerfEventLinkType.KRETPROBE, name: "do_sys_openat2", offset: 0x10, addr: 0xffffffff81000000n, missed: 2n, cookie: 7n },
  };
  assert.equal(linkShowPlain(kprobe), "9: perf_event  prog 3  \n\tkretprobe ffffffff81000000 do_sys_openat2+0x10  missed 2  cookie 7  ");
  assert.deepEqual(Object.keys(linkShowJson(kprobe)), ["id", "type", "prog_id", "retprobe", "addr", "func", "offset", "missed", "cookie"]);
  const uprobe: LinkInfo = { ...base, type: LinkType.PERF_EVENT, typeName: "perf_event", perfEvent: { type: PerfEventLinkType.UPROBE, name: "/bin/true", offset: 0x1234, cookie: 0n } };
  assert.equal(linkShowPlain(uprobe), "9: perf_event  prog 3  \n\tuprobe /bin/true+0x1234  ");
  const kmulti: LinkInfo = {
    ...base, type: LinkType.KPROBE_MULTI, typeName: "kprobe_multi",
    kprobeMulti: { count: 2, flags: 1, missed: 0n, addrs: [0xffffffff81000020n, 0xffffffff81000010n], cookies: [2n, 1n] },
  };
  const syms = new Map([[0xffffffff81000010n, "f1"], [0xffffffff81000020n, "f2"]]);
  assert.equal(linkShowPlain(kmulti, { ksym: (a) => syms.get(a) }),
    "9: kprobe_multi  prog 3  \n\tkretprobe.multi  func_cnt 2  \n\taddr             cookie           func [module]" +
    "\n\tffffffff81000010 1                f1  \n\tffffffff81000020 2                f2  ");
  const structOps: LinkInfo = { ...base, type: LinkType.STRUCT_OPS, typeName: "struct_ops", progId: 0, structOps: { mapId: 12 } };
  assert.equal(linkShowPlain(structOps), "9: struct_ops  map 12  ");
  assert.equal(JSON.stringify(linkShowJson(structOps)), '{"id":9,"type":"struct_ops","prog_id":0,"map_id":12}');
  const netkit: LinkInfo = { ...base, type: LinkType.NETKIT, typeName: "netkit", netkit: { ifindex: 0, attachType: AttachType.NetkitPeer } };
  assert.equal(linkShowPlain(netkit), "9: netkit  prog 3  \n\tifindex (detached)  attach_type netkit_peer  ");
  const cgIter: LinkInfo = { ...base, type: LinkType.ITER, typeName: "iter", iter: { targetName: "cgroup", mapId: 0, cgroupId: 77n, order: 2, tid: 0, pid: 0 } };
  assert.equal(linkShowPlain(cgIter), "9: iter  prog 3  target_name cgroup  cgroup_id 77  order descendants_pre  ");
  const nf: LinkInfo = { ...base, type: LinkType.NETFILTER, typeName: "netfilter", netfilter: { pf: 12, hooknum: 9, priority: 5, flags: 1 } };
  assert.equal(linkShowPlain(nf, { pinned: ["/sys/fs/bpf/x"] }), "9: netfilter  prog 3  \n\tpf: 12, hook 9, prio 5 flags 0x1\n\tpinned /sys/fs/bpf/x");
});

test("pinned paths of one object are listed in libbpf hashmap chain order, as bpftool -f prints them", () => {
  const table = new PinnedPaths();
  // Inserts 1-3 grow the map to 4, then 8 (before the 4th); each growth reverses the chains.
  for (const p of ["a", "b", "c", "d", "e"]) table.add(1, p);
  assert.deepEqual(table.of(1), ["e", "d", "a", "b", "c"]);
  assert.equal(new PinnedPaths().empty, true);
});

test("-f also lists the pins of programs and maps (prog show, map show) as bpftool does", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const dir = bpffsTempDir("tsbpf-cli-f-");
  // loaded_at is whole seconds of two clocks read at slightly different moments.
  const noTime = (s: string): string => s.replace(/loaded_at \S+/g, "loaded_at X").replace(/"loaded_at": ?\d+/g, '"loaded_at":0');
  try {
    ok("prog", "loadall", OBJECT, `${dir.path}/progs`, "pinmaps", `${dir.path}/maps`);
    for (const args of [["prog", "show", "pinned", `${dir.path}/progs/on_xdp`], ["map", "show", "pinned", `${dir.path}/maps/counts`]]) {
      for (const opts of [["-f"], ["-f", "-j"], ["-f", "-p"]]) {
        const ours = noTime(withoutPids(ok(...opts, ...args))).replace(/,\n\s+"pids": \[[^\]]*\]/, "");
        assert.equal(ours, noTime(bpftool(...opts, ...args)), [...opts, ...args].join(" "));
      }
      assert.match(ok("-f", ...args), new RegExp(`\\n\\tpinned ${dir.path}/(progs/on_xdp|maps/counts)\\n`));
    }
  } finally {
    dir.cleanup();
  }
});
