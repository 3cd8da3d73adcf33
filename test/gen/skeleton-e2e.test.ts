// A generated skeleton, end to end: generated into a temporary directory
// with a small program that uses it, both type-checked and compiled by tsc
// under --strict (and the stricter flags users turn on), then run as root:
// set the .rodata configuration, load, attach, close(2) a magic fd, receive
// the ring buffer event and the perf sample, read the typed hash map and the
// live .bss/.data views — and every field is compared with what the BPF
// program wrote (64-bit values, char arrays, nested structs, bitfields, enums).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generateSkeleton } from "../../src/gen/skeleton/index.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const OBJECT = path.join(ROOT, "test/fixtures/skeleton/skel.bpf.o");
const TSC = path.join(ROOT, "node_modules/.bin/tsc");
/** The compiled library, as a user's `import "tsbpf"` would find it (types from its .d.ts). */
const LIBRARY = path.join(ROOT, "dist/src/index.js");

/** Compiles `dir`'s .ts files with tsc under --strict and more; the output (errors) when it fails. */
function compile(dir: string, files: readonly string[]): string | undefined {
  const r = spawnSync(TSC, [
    "--strict", "--noUnusedLocals", "--noUnusedParameters", "--noImplicitReturns", "--noImplicitOverride",
    "--noUncheckedIndexedAccess", "--exactOptionalPropertyTypes", "--noEmitOnError",
    "--target", "ES2022", "--module", "NodeNext", "--moduleResolution", "NodeNext", "--lib", "ES2023,esnext.disposable",
    "--types", "node", "--typeRoots", path.join(ROOT, "node_modules/@types"), "--skipLibCheck", "--outDir", dir,
    ...files.map((f) => path.join(dir, f)),
  ], { encoding: "utf8" });
  return r.status === 0 ? undefined : `${r.stdout}${r.stderr}`;
}

// The program that uses the skeleton; it prints what it read as JSON (bigints and bytes tagged).
const DRIVER = `import { closeSync, readFileSync } from "node:fs";
import { InvalidArgumentError } from ${JSON.stringify(LIBRARY)};
import { Big, Color, SkelSkeleton, type Event, type Note, type Value } from "./skel.skel.js";

const MAGIC_FD = Number(process.argv[2]);
const report: Record<string, unknown> = {};
{
  using skel = SkelSkeleton.open();
  skel.rodata.target_pid = process.pid;
  skel.rodata.magic_fd = MAGIC_FD;
  skel.rodata.cookie = 0x1234_5678_9abc_def0n;
  skel.rodata.verbose = true;
  skel.rodata.label = "cfg-7";
  skel.rodata.favourite = Color.BLUE;
  skel.rodata.offsets = [1, -2, 300];
  skel.data.hits_limit = 5n;
  report.beforeLoad = { hits_limit: skel.data.hits_limit, greeting: skel.data.greeting, label: skel.rodata.label };
  skel.load();
  skel.attach();
  const ring = skel.events.events;
  const perf = skel.events.notes;
  report.sameReader = skel.events.events === ring;
  try {
    closeSync(MAGIC_FD);
  } catch {
    // EBADF: the fd was never open; the tracepoint saw the call.
  }
  const events: Event[] = ring.readAvailable();
  const notes: Note[] = [];
  perf.poll((n: Note) => notes.push(n));
  const comm = readFileSync("/proc/self/comm", "utf8").trim();
  const value: Value | undefined = skel.maps.counts.tryLookup({ pid: process.pid, comm });
  report.pid = process.pid;
  report.comm = comm;
  report.events = events;
  report.notes = notes;
  report.value = value;
  report.bss = { hits: skel.bss.hits, stats: skel.bss.stats, class: skel.bss.class };
  report.data = { hits_limit: skel.data.hits_limit, greeting: skel.data.greeting };
  report.rodata = {
    target_pid: skel.rodata.target_pid, magic_fd: skel.rodata.magic_fd, cookie: skel.rodata.cookie, verbose: skel.rodata.verbose,
    label: skel.rodata.label, favourite: skel.rodata.favourite, offsets: skel.rodata.offsets,
  };
  try {
    skel.rodata.cookie = 1n;
    report.rodataWrite = "accepted";
  } catch (e) {
    report.rodataWrite = e instanceof InvalidArgumentError ? e.message : String(e);
  }
  skel.data.greeting = "bye";
  report.greetingAfterWrite = skel.data.greeting;
  report.big = Big.BIG_TWO;
  report.programTag = skel.programs.handle_close.name;
  report.rawMapName = skel.maps.counts.map.name;
}
process.stdout.write(JSON.stringify(report, (_k, v: unknown) =>
  typeof v === "bigint" ? { bigint: String(v) } : v instanceof Uint8Array ? { bytes: [...v] } : v));
`;

function revive(text: string): Record<string, unknown> {
  return JSON.parse(text, (_k, v: unknown) => {
    if (v && typeof v === "object" && "bigint" in v) return BigInt((v as { bigint: string }).bigint);
    if (v && typeof v === "object" && "bytes" in v) return Uint8Array.from((v as { bytes: number[] }).bytes);
    return v;
  }) as Record<string, unknown>;
}

test("a generated skeleton type-checks under --strict and runs end to end: config, load, attach, typed events, maps and variables", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-skel-"));
  try {
    const { source, notes } = generateSkeleton(readFileSync(OBJECT), {
      name: "skel", eventTypes: { events: "event", notes: "struct note" }, importFrom: LIBRARY,
    });
    assert.deepEqual(notes, []);
    writeFileSync(path.join(dir, "skel.skel.ts"), source);
    writeFileSync(path.join(dir, "driver.ts"), DRIVER);
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
    const errors = compile(dir, ["skel.skel.ts", "driver.ts"]);
    assert.equal(errors, undefined, `tsc --strict rejected the generated module:\n${errors}`);

    const magicFd = 1_000_003;
    const report = revive(execFileSync(process.execPath, [path.join(dir, "driver.js"), String(magicFd)], { encoding: "utf8" }));
    const pid = report.pid as number;
    const comm = report.comm as string;
    assert.ok(comm.length > 0);
    const cookie = 0x1234_5678_9abc_def0n;
    assert.deepEqual(report.beforeLoad, { hits_limit: 5n, greeting: "hello", label: "cfg-7" });
    assert.equal(report.sameReader, true, "a reader is opened once");
    assert.deepEqual(report.events, [{
      ts: (cookie * 3n) & 0xffff_ffff_ffff_ffffn,
      neg: -cookie,
      pid,
      fd: magicFd,
      comm,
      label: "cfg-7",
      raw: Uint8Array.from([0xde, 0xad, 0xbe, 0xef]),
      inner: { port: 8080, proto: 17, delta: -5 },
      pair: [{ port: 1, proto: 2, delta: -3 }, { port: 65535, proto: 255, delta: 127 }],
      flag: 1, kind: 5, level: 4000, rest: 0xabcd,
      wide: 0xfe_dcba_9876n, narrow: 0x12_3456n,
      as_u32: 0xffff_fffe, as_s32: -2,
      color: 4,
      big: 0x2_0000_0000n,
      ok: true,
      verbose: true,
      ptr: 0xffff_8880_1234_5678n,
      temps: [1 - 100, -2 - 100, 300 - 100],
      hits: 1n,
    }]);
    assert.deepEqual(report.notes, [{ pid, seq: 1 }]);
    assert.deepEqual(report.value, { count: 1n, last_cookie: cookie, color: 4 });
    assert.deepEqual(report.bss, { hits: 1n, stats: { events: 1n, last_pid: pid, last_fd: magicFd }, class: 7 });
    assert.deepEqual(report.data, { hits_limit: 5n, greeting: "hello" });
    assert.deepEqual(report.rodata, {
      target_pid: pid, magic_fd: magicFd, cookie, verbose: true, label: "cfg-7", favourite: 4, offsets: [1, -2, 300],
    });
    assert.equal(report.rodataWrite, "cookie is .rodata configuration: set it before load(); it is frozen now");
    assert.equal(report.greetingAfterWrite, "bye");
    assert.equal(report.big, 0x2_0000_0000n);
    assert.equal(report.programTag, "handle_close");
    assert.equal(report.rawMapName, "counts");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the generated module does not type-check against a program that uses a field the C struct does not have", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-skel-"));
  try {
    const { source } = generateSkeleton(readFileSync(OBJECT), { name: "skel", eventTypes: { events: "event" }, importFrom: LIBRARY });
    writeFileSync(path.join(dir, "skel.skel.ts"), source);
    writeFileSync(path.join(dir, "wrong.ts"), `import { SkelSkeleton } from "./skel.skel.js";
using skel = SkelSkeleton.open();
skel.rodata.cookie = 1;
for (const e of skel.events.events.readAvailable()) console.log(e.filename);
`);
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
    const errors = compile(dir, ["skel.skel.ts", "wrong.ts"]) ?? "";
    assert.match(errors, /wrong\.ts\(3,1\): error TS2322: Type 'number' is not assignable to type 'bigint'/);
    assert.match(errors, /wrong\.ts\(4,\d+\): error TS2339: Property 'filename' does not exist on type 'Event'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("modules without events, without .rodata/.data (or any variable), with raw maps and variables, embedded or by path, type-check under --strict", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-skel-"));
  try {
    const fixtures = path.join(ROOT, "test/fixtures/skeleton");
    const modules = [
      generateSkeleton(readFileSync(path.join(fixtures, "clash.bpf.o")), { name: "clash", importFrom: LIBRARY }),
      generateSkeleton(readFileSync(path.join(fixtures, "plain.bpf.o")), { name: "plain", importFrom: LIBRARY, objectPath: "./plain.bpf.o" }),
      generateSkeleton(readFileSync(OBJECT), { name: "skel", importFrom: LIBRARY, types: ["struct inner", "__u64"] }),
      // No variables at all (no .rodata/.data/.bss): no variable plumbing left unused.
      generateSkeleton(readFileSync(path.join(ROOT, "examples/xdp-counter/xdp-counter.bpf.o")), { name: "xdp_counter", importFrom: LIBRARY }),
    ];
    const files = ["clash.skel.ts", "plain.skel.ts", "skel.skel.ts", "xdp_counter.skel.ts"];
    modules.forEach((m, i) => writeFileSync(path.join(dir, files[i]!), m.source));
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
    const errors = compile(dir, files);
    assert.equal(errors, undefined, `tsc --strict rejected a generated module:\n${errors}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
