// docs/getting-started.md, run as written: its C program built with its
// `gen build` command, then its three steps on the real kernel — the
// skeleton (config, load, attach, typed events and map), the same without a
// skeleton (Collection, typed ring buffer and map), and pinning (the pins
// reopened, typed, and removed). Each asserts what the program really wrote:
// an exec of /bin/true by this process, with its pid, parent and uid.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { BpfMap, Collection, Link, loadObjectSpec, type AutoAttachment, type TypedMap, type TypedRingBuffer } from "../../src/index.js";
import { buildPageProgram, pagePrograms, ROOT } from "./pages.js";

interface ExecEvent { pid: number; ppid: number; uid: number; comm: string }

/** What the generated ExeclogSkeleton offers that the page uses. */
interface Execlog extends Disposable {
  rodata: { min_uid: number };
  load(): void;
  attach(): AutoAttachment;
  events: { events: TypedRingBuffer<ExecEvent> };
  maps: { execs_by_uid: TypedMap<number, bigint> };
}

/** Runs /bin/true from this process; the exec event it causes. */
function execTrue(events: TypedRingBuffer<ExecEvent>): ExecEvent {
  const child = spawnSync("/bin/true");
  assert.equal(child.status, 0);
  const seen: ExecEvent[] = [];
  events.poll((e) => { seen.push(e); });
  const mine = seen.find((e) => e.pid === child.pid);
  assert.ok(mine, `an event for pid ${child.pid} among ${JSON.stringify(seen)}`);
  return mine;
}

function checkEvent(e: ExecEvent): void {
  assert.deepEqual({ ppid: e.ppid, uid: e.uid, comm: e.comm }, { ppid: process.pid, uid: process.getuid!(), comm: "true" });
}

test("getting started: build, load with the skeleton, read typed events and the map, pin and reopen", { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-getting-started-"));
  const pins = `/sys/fs/bpf/tsbpf-docs-${process.pid}`;
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(pins, { recursive: true, force: true });
  });
  const program = pagePrograms().get("execlog");
  assert.ok(program, "docs/getting-started.md builds execlog.bpf.c");
  assert.equal(program.page, "docs/getting-started.md");
  assert.deepEqual(program.skeleton.eventTypes, { events: "exec_event" });
  const lib = pathToFileURL(path.join(ROOT, "dist/src/index.js")).href;
  const built = await buildPageProgram(program, dir, lib);

  // The generated module, its types stripped, loaded as the page's main.ts would.
  const js = ts.transpileModule(readFileSync(built.skeletonPath, "utf8"), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  writeFileSync(path.join(dir, "bpf", "execlog.skel.mjs"), js);
  const { ExeclogSkeleton } = await import(pathToFileURL(path.join(dir, "bpf", "execlog.skel.mjs")).href) as
    { ExeclogSkeleton: { open(): Execlog } };

  let pinnedCount: bigint;
  {
    using skel = ExeclogSkeleton.open();
    skel.rodata.min_uid = 0;                   // the page sets 1000; this test runs as root
    skel.load();
    using links = skel.attach();
    assert.deepEqual([...links.byName.keys()], ["handle_exec"]);
    checkEvent(execTrue(skel.events.events));
    const count = skel.maps.execs_by_uid.lookup(process.getuid!());
    assert.ok(typeof count === "bigint" && count >= 1n, `execs_by_uid[uid] = ${count}`);

    // Step 5: pin the link and the map, then reopen both from their pins.
    mkdirSync(pins);
    links.byName.get("handle_exec")!.pin(`${pins}/handle_exec`);
    skel.maps.execs_by_uid.map.pin(`${pins}/execs_by_uid`);
    pinnedCount = skel.maps.execs_by_uid.lookup(process.getuid!());
  }
  // The skeleton is closed: the pins keep the program attached and the map alive.
  const before = spawnSync("/bin/true");
  assert.equal(before.status, 0);
  {
    using counts = BpfMap.openPinned(`${pins}/execs_by_uid`);
    const entries = new Map(counts.typed<number, bigint>().entries());
    assert.ok((entries.get(process.getuid!()) ?? 0n) > pinnedCount, `counting went on after close: ${[...entries]} (was ${pinnedCount})`);
    using link = Link.openPinned(`${pins}/handle_exec`);
    link.unpin();
  }
});

test("getting started without a skeleton: Collection, typed ring buffer and typed map", { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-getting-started-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const built = await buildPageProgram(pagePrograms().get("execlog")!, dir);

  const spec = loadObjectSpec(built.objectPath);
  spec.variable("min_uid").set(0);
  using objects = Collection.load(spec);
  using links = objects.attach();
  assert.deepEqual(links.skipped, []);
  using events = objects.ringBuffer<ExecEvent>("events", { type: "struct exec_event" });
  checkEvent(execTrue(events));
  const counts = objects.typedMap<number, bigint>("execs_by_uid");
  assert.ok((counts.tryLookup(process.getuid!()) ?? 0n) >= 1n);
});
