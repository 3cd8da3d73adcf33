// Iterators on the real kernel: a task iterator's list of processes compared
// with /proc, the same output through readAll(), stream() and `for await`,
// a task iterator limited to this process, a bpf_map iterator that must list
// a map this test creates, and a bpf_map_elem iterator over a map it fills
// (where the kernel allows those programs). Nothing stays attached after close.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BpfMap, Collection, loadObjectSpec, MapType } from "../../src/index.js";
import { BpfError, InvalidArgumentError, NotFoundError } from "../../src/sys/errors.js";
import { EPERM } from "../../src/sys/errno.js";
import { attachIter, iterOfSection, IterLink } from "../../src/link/index.js";
import { openFdCount } from "../util/kernel.js";
import { bpftoolLinksOf } from "../util/attached.js";
import { bpftool } from "../util/cli.js";
import { requireOracle, skipFor } from "../util/environment.js";

const OBJECT = fileURLToPath(new URL("../../../test/fixtures/tracing/iter.bpf.o", import.meta.url));
const TASK_OBJECT = fileURLToPath(new URL("../../../test/fixtures/tracing/task-iter.bpf.o", import.meta.url));

function loadIters(programs: string[]): Collection {
  return Collection.load(loadObjectSpec(programs.includes("list_processes") ? TASK_OBJECT : OBJECT), { programs });
}

/** The pids bpftool's own pass of the same task iterator lists (libbpf loads it; `bpftool iter pin`, then read the pin). */
function bpftoolTaskPids(): Set<number> {
  const pin = `/sys/fs/bpf/tsbpf-iter-oracle-${process.pid}`;
  bpftool("iter", "pin", TASK_OBJECT, pin);
  try {
    return new Set(pidsOf(readFileSync(pin, "utf8")));
  } finally {
    rmSync(pin, { force: true });
  }
}

function procPids(): Set<number> {
  return new Set(readdirSync("/proc").filter((n) => /^\d+$/.test(n)).map(Number));
}

function pidsOf(text: string): number[] {
  return text.split("\n").filter(Boolean).map((l) => Number(l.split(" ")[0]));
}

test("SEC() names: iter/NAME and iter.s/NAME", () => {
  assert.deepEqual(iterOfSection("iter/task"), { target: "task", sleepable: false });
  assert.deepEqual(iterOfSection("iter.s/task_vma"), { target: "task_vma", sleepable: true });
  assert.equal(iterOfSection("iter"), undefined);
  assert.equal(iterOfSection("iter/a/b"), undefined);
});

test("a task iterator lists the processes /proc lists, through readAll, stream and for-await", { timeout: 20_000 }, async (t) => {
  if (!requireOracle(t, "bpftool")) return;
  using objects = loadIters(["list_processes"]);
  const program = objects.program("list_processes");
  const fdsBefore = openFdCount();
  {
    using link = attachIter(program);
    assert.equal(link.target, "iter task");
    const before = procPids();
    const text = link.readText();
    const after = procPids();
    const listed = new Set(pidsOf(text));
    // Every process alive before and after the pass was listed, except those the kernel's task iterator
    // leaves out for libbpf too (this kernel's skips pid 1, the VM's init).
    const missing = [...before].filter((p) => after.has(p) && !listed.has(p));
    const oracle = missing.length > 0 ? bpftoolTaskPids() : new Set<number>();
    assert.deepEqual(missing.filter((p) => oracle.has(p)), [], "every long-lived process bpftool's pass lists is listed");
    // … and every listed one was in /proc at some point, or has exited since (a short-lived child).
    const unknown = [...listed].filter((p) => !before.has(p) && !after.has(p) && existsSync(`/proc/${p}`));
    assert.deepEqual(unknown, []);
    assert.ok(text.includes(`\n${process.pid} node\n`) || text.startsWith(`${process.pid} node\n`), "this process, with its comm");

    // The same pass through the stream (small chunks: many reads) and the async iterator.
    const chunks: Buffer[] = [];
    for await (const chunk of link.stream(256)) chunks.push(chunk as Buffer);
    assert.ok(chunks.length > 1, "read in several chunks");
    const streamed = new Set(pidsOf(Buffer.concat(chunks).toString("utf8")));
    assert.ok(streamed.has(process.pid) && streamed.has(2), "this process and kthreadd");
    let viaIterator = "";
    for await (const chunk of link) viaIterator += chunk.toString("utf8");
    assert.ok(new Set(pidsOf(viaIterator)).has(process.pid));
    assert.deepEqual(bpftoolLinksOf(program.id).map((l) => l.type), ["iter"]);

    // A stream abandoned half-way releases its pass.
    const partial = link.stream(64);
    for await (const _ of partial) break;
    if (!partial.closed) await new Promise((resolve) => partial.once("close", resolve));
  }
  assert.deepEqual(bpftoolLinksOf(program.id), [], "nothing stays attached");
  assert.equal(openFdCount(), fdsBefore, "every pass's fd was closed");
});

test("task: { pid } limits the task iterator to this process", () => {
  using objects = loadIters(["list_processes"]);
  using link = attachIter(objects.program("list_processes"), { task: { pid: process.pid } });
  assert.equal(link.target, `iter task pid ${process.pid}`);
  assert.equal(link.readText(), `${process.pid} node\n`);
});

test("a pinned iterator link is a file: each read of the pin is a new pass", () => {
  using objects = loadIters(["list_processes"]);
  using link = attachIter(objects.program("list_processes"), { task: { pid: process.pid } });
  const pin = `/sys/fs/bpf/tsbpf-iter-pin-${process.pid}`;
  link.pin(pin);
  try {
    assert.equal(readFileSync(pin, "utf8"), `${process.pid} node\n`);
    assert.equal(readFileSync(pin, "utf8"), `${process.pid} node\n`, "a second pass");
    using reopened = IterLink.openPinned(pin);
    assert.equal(reopened.readText(), `${process.pid} node\n`, "reopened from its pin, with the reading methods");
    using byId = IterLink.fromId(link.id);
    assert.equal(byId.readText(), `${process.pid} node\n`);
    assert.throws(() => IterLink.fromId(0x7fff_fff0), NotFoundError);
  } finally {
    link.unpin();
  }
  assert.ok(!existsSync(pin));
});

test("a bpf_map iterator lists a map this test creates, by id and name", () => {
  using objects = loadIters(["list_maps"]);
  using map = BpfMap.create({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 4, name: "tsbpf_iter_seen" });
  using link = attachIter(objects.program("list_maps"));
  const lines = link.readText().split("\n");
  assert.ok(lines.includes(`${map.info().id} tsbpf_iter_seen`), "the new map is listed");
});

test("a bpf_map_elem iterator walks a map it is given", (t) => {
  let objects: Collection;
  try {
    objects = loadIters(["dump_numbers"]);
  } catch (e) {
    if (e instanceof BpfError && e.errno === EPERM) return skipFor(t, "map element iterators refused", e.message);
    throw e;
  }
  using _objects = objects;
  const numbers = objects.map("numbers");
  const expected: string[] = [];
  for (let k = 1; k <= 50; k++) {
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, k, true);
    const value = new Uint8Array(8);
    new DataView(value.buffer).setBigUint64(0, BigInt(k * k), true);
    numbers.update(key, value);
    expected.push(`${k} ${k * k}`);
  }
  using link = attachIter(objects.program("dump_numbers"), { map: numbers });
  assert.deepEqual(link.readText().split("\n").filter(Boolean).sort(), expected.sort());
});

test("bad input: conflicting limits, a non-iterator program", () => {
  using objects = loadIters(["list_processes"]);
  using raw = Collection.load(loadObjectSpec(fileURLToPath(new URL("../../../test/fixtures/tracing/raw-tp.bpf.o", import.meta.url))), { programs: ["btf_enter"] });
  const before = openFdCount();
  assert.throws(() => attachIter(objects.program("list_processes"), { task: { pid: 1, tid: 1 } }), InvalidArgumentError);
  assert.throws(() => attachIter(objects.program("list_processes"), { task: { pid: 1 }, cgroup: { id: 1n } }), /at most one of map, cgroup and task/);
  assert.throws(() => attachIter(raw.program("btf_enter")), /from SEC\("tp_btf\/sys_enter"\); attachIter needs an iterator program/);
  assert.equal(openFdCount(), before);
});
