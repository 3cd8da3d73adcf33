// The one Link type on the real kernel: opened again by id and from a pin,
// listed, detached while open, and closed — with a tracepoint program that
// counts this process's getppid() calls as the proof the attachment runs.
// And Collection.attach(): programs whose SEC() names their target are
// attached (the counter moves), the others are skipped with the call that
// attaches them, a failing attach undoes the others.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Program, ProgramType } from "../../src/program.js";
import { Collection } from "../../src/collection.js";
import { loadObjectSpec } from "../../src/object/index.js";
import { ClosedError, InvalidArgumentError, NotFoundError } from "../../src/sys/errors.js";
import { attachTracepoint, IterLink, Link, LinkGroup } from "../../src/link/index.js";
import { counterMap, countingProgram, readCounter } from "../sys/sys-attach-helpers.js";
import { bpffsTempDir, openFdCount } from "../util/kernel.js";
import { requireOracle } from "../util/environment.js";

const TARGET = "syscalls:sys_enter_getppid";
const AUTO = fileURLToPath(new URL("../../../test/fixtures/link-core/auto.bpf.o", import.meta.url));

function getppidCalls(n: number): void {
  for (let i = 0; i < n; i++) void process.ppid;
}

function bpftoolLinkIds(): number[] {
  const out = JSON.parse(execFileSync("bpftool", ["-j", "link", "show"], { encoding: "utf8" })) as { id: number }[];
  return out.map((l) => l.id);
}

test("Link.fromId, openPinned, list and infoById see the same link; a pinned link outlives its handle", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  using map = counterMap();
  using prog = Program.load({ type: ProgramType.Tracepoint, instructions: countingProgram(map, { onlyPid: process.pid }), license: "GPL" });
  const dir = bpffsTempDir("tsbpf-link-core-");
  try {
    const link = attachTracepoint(prog, TARGET);
    const id = link.id;
    assert.ok(Link.ids().includes(id));
    assert.ok(bpftoolLinkIds().includes(id));
    assert.equal(Link.list().find((l) => l.id === id)?.progId, prog.id);
    assert.equal(Link.infoById(id).progId, prog.id);

    using again = Link.fromId(id);
    assert.equal(again.target, "tracepoint sys_enter_getppid");
    assert.equal(again.info().progId, prog.id);

    link.pin(`${dir.path}/tp`);
    assert.equal(link.pinnedPath, `${dir.path}/tp`);
    assert.throws(() => IterLink.openPinned(`${dir.path}/tp`), /is a perf_event link, not an iterator/);
    link.close();
    again.close();
    getppidCalls(7);
    assert.equal(readCounter(map), 7n, "the pin keeps the program attached after every handle closed");

    using pinned = Link.openPinned(`${dir.path}/tp`);
    assert.equal(pinned.id, id);
    assert.equal(pinned.pinnedPath, `${dir.path}/tp`);
    assert.throws(() => pinned.detach(), /a perf_event link cannot be detached while open/);
    pinned.unpin();
    pinned.close();
    assert.ok(!bpftoolLinkIds().includes(id), "gone once the pin and the last fd are");
    getppidCalls(5);
    assert.equal(readCounter(map), 7n, "and the program no longer runs");
    assert.throws(() => pinned.info(), ClosedError);
  } finally {
    dir.cleanup();
  }
});

test("links refuse what their kind cannot do, with typed errors; bad handles are refused", () => {
  using map = counterMap();
  using prog = Program.load({ type: ProgramType.Tracepoint, instructions: countingProgram(map, { onlyPid: process.pid }), license: "GPL" });
  using other = Program.load({ type: ProgramType.Tracepoint, instructions: countingProgram(map, { onlyPid: process.pid }), license: "GPL" });
  using viaLink = attachTracepoint(prog, TARGET);
  assert.throws(() => viaLink.update(other), /a perf_event link cannot swap its program/);

  // A program sits on a tracepoint once: the legacy attachment uses the second program.
  const legacy = attachTracepoint(other, TARGET, { method: "ioctl" });
  assert.equal(legacy.isBpfLink, false);
  assert.throws(() => legacy.pin("/sys/fs/bpf/tsbpf-never"), InvalidArgumentError);
  assert.throws(() => legacy.update(prog), InvalidArgumentError);
  getppidCalls(3);
  assert.equal(readCounter(map), 6n, "two attachments, both running");
  legacy.detach();
  getppidCalls(2);
  assert.equal(readCounter(map), 8n, "the detached legacy attachment no longer runs");
  legacy.close();
  assert.equal(legacy.closed, true);

  const before = openFdCount();
  assert.throws(() => Link.fromFd(map.fd.dup()), InvalidArgumentError);
  assert.throws(() => Link.fromId(0x7fff_fff0), NotFoundError);
  assert.throws(() => Link.openPinned("/sys/fs/bpf/tsbpf-no-such-link"), NotFoundError);
  assert.throws(() => Link.fromFd(-1 as number));
  assert.equal(openFdCount(), before + 1, "only the dup handed to fromFd stays the caller's");
});

test("Collection.attach() attaches SEC()-named targets, skips the rest with the call to make, closes with the collection", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const spec = loadObjectSpec(AUTO);
  spec.variable("target_tgid").set(process.pid);
  using coll = Collection.load(spec);
  const attached = coll.attach();
  assert.deepEqual([...attached.byName.keys()].sort(), ["count_getpid", "count_getppid", "count_raw_enter", "list_maps"]);
  assert.deepEqual(attached.skipped.map((s) => s.program), ["pass_packets"]);
  assert.match(attached.skipped[0]!.reason, /SEC\("xdp"\).*attachXdp/);
  const ids = attached.links.map((l) => l.id);
  for (const id of ids) assert.ok(bpftoolLinkIds().includes(id));
  getppidCalls(4);
  assert.equal(readSlot(coll, 0), 4n);
  attached.close();
  for (const id of ids) assert.ok(!bpftoolLinkIds().includes(id), "closing the result detaches");

  const again = coll.attach({ skip: ["count_getpid", "count_raw_enter", "list_maps"] });
  assert.deepEqual([...again.byName.keys()], ["count_getppid"]);
  const id = again.links[0]!.id;
  coll.close();
  assert.ok(!bpftoolLinkIds().includes(id), "closing the collection detaches what it attached");
});

function readSlot(coll: Collection, slot: number): bigint {
  const v = coll.map("counts").lookup(new Uint32Array([slot]));
  return v ? Buffer.from(v).readBigUInt64LE(0) : -1n;
}

test("a failing auto-attach names the program and undoes what it attached", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const spec = loadObjectSpec(AUTO);
  spec.program("missing_tracepoint").autoload = true;
  using coll = Collection.load(spec);
  const before = bpftoolLinkIds();
  assert.throws(() => coll.attach(), (e: unknown) => e instanceof NotFoundError && /missing_tracepoint/.test(e.message) && /tsbpf_nosuch/.test(e.message));
  assert.deepEqual(bpftoolLinkIds(), before, "nothing stays attached");
  const group = new LinkGroup([]);
  assert.equal(group.size, 0);
  group.close();
});
