// attachUsdt on the real kernel: a C program with <sys/sdt.h> probes built
// at test time (test/fixtures/usdt/usdt-target.c), and the stock
// <bpf/usdt.bpf.h> programs of test/fixtures/usdt/usdt-args.bpf.c reading
// constants, registers of several widths and stack memory, signed and
// unsigned, through bpf_usdt_arg/BPF_USDT — by bpf cookie and by address,
// through one uprobe.multi link and through a uprobe per site. The kernel
// bumps semaphores while attached. Debian's python3.11 reports the functions
// it runs. `readelf -n` is the oracle of the note parser; kernel BTF of
// struct pt_regs the oracle of the register offsets; bpftool shows nothing
// left attached after close.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { Collection, loadObjectSpec, RingBuffer, type Program } from "../../src/index.js";
import { loadCollectionWith } from "../../src/collection/load-with.js";
import { runningKernelKconfig } from "../../src/collection/kconfig.js";
import { kernelBtf } from "../../src/btf/discovery.js";
import { AttachType, ProgramType } from "../../src/program.js";
import { loadSpecFor } from "../../src/collection/programs.js";
import { haveUprobeMultiLink, probeUprobeMultiLink, UPROBE_MULTI_LINK_MIN_KERNEL } from "../../src/features/index.js";
import { ElfFile } from "../../src/elf/index.js";
import { ElfError } from "../../src/elf/errors.js";
import { BpfError, InvalidArgumentError, NotFoundError } from "../../src/sys/errors.js";
import { LinkType } from "../../src/sys/link-info.js";
import { attachUsdt, usdtOfSection } from "../../src/link/index.js";
import { usdtNotes, parseUsdtNote } from "../../src/link/usdt/notes.js";
import { usdtSites } from "../../src/link/usdt/sites.js";
import { parseUsdtArguments, splitUsdtArguments } from "../../src/link/usdt/arguments.js";
import { UsdtArgumentError } from "../../src/link/usdt/errors.js";
import { encodeUsdtSpec, USDT_SPEC_SIZE } from "../../src/link/usdt/spec-layout.js";
import { ptRegsOffset, X64_PT_REGS_MEMBERS } from "../../src/link/usdt/pt-regs.js";
import { TargetProcess } from "./uprobe-target.js";
import { missingOracle, requireOracle, skipFor } from "../util/environment.js";

const FIXTURES = fileURLToPath(new URL("../../../test/fixtures/usdt/", import.meta.url));
const OBJECT = path.join(FIXTURES, "usdt-args.bpf.o");
const PYTHON = "/usr/bin/python3.11";
/** Python that defines and calls `name` (at line 3) with a trace function set. */
const PYTHON_TRACED = (name: string): string => `import sys\nsys.settrace(lambda *a: None)\ndef ${name}():\n  return 1\n${name}()`;

let dir: string | undefined;
/** The target, as a PIE (the default) and as a fixed-address executable. */
let pie: string | undefined;
let fixed: string | undefined;
before(() => {
  if (spawnSync("cc", ["-E", "-include", "sys/sdt.h", "-x", "c", "/dev/null"]).status !== 0) return;
  dir = mkdtempSync(path.join(tmpdir(), "tsbpf-usdt-"));
  const sources = ["usdt-target.c", "usdt-semaphore.c"].map((f) => path.join(FIXTURES, f));
  for (const [out, flags] of [["usdt-target", ["-pie", "-fPIE"]], ["usdt-target-fixed", ["-no-pie"]]] as const) {
    const r = spawnSync("cc", ["-O2", ...flags, "-o", path.join(dir, out), ...sources], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`cc failed: ${r.stderr}`);
  }
  pie = path.join(dir, "usdt-target");
  fixed = path.join(dir, "usdt-target-fixed");
});
after(() => dir && rmSync(dir, { recursive: true, force: true }));

function needTarget(t: { skip(m?: string): void }): boolean {
  if (pie) return true;
  missingOracle(t, "systemtap-sdt-dev", "to build the USDT target program");
  return false;
}

/** struct usdt_event of usdt-args.bpf.c. */
interface UsdtEvent {
  kind: number;
  pid: number;
  count: bigint;
  cookie: bigint;
  args: bigint[];
  results: number[];
  text: string;
}

function decode(record: Uint8Array): UsdtEvent {
  const v = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const text = record.subarray(96, 160);
  const nul = text.indexOf(0);
  return {
    kind: v.getUint32(0, true), pid: v.getUint32(4, true), count: v.getBigInt64(8, true), cookie: v.getBigUint64(16, true),
    args: Array.from({ length: 6 }, (_, i) => v.getBigInt64(24 + i * 8, true)),
    results: Array.from({ length: 6 }, (_, i) => v.getInt32(72 + i * 4, true)),
    text: new TextDecoder().decode(nul >= 0 ? text.subarray(0, nul) : text),
  };
}

function drain(ring: RingBuffer): UsdtEvent[] {
  return ring.readAvailable().map(decode);
}

/** The links bpftool lists for a program. */
function bpftoolLinks(prog: Program): Array<{ id: number; type: number | string }> {
  const r = spawnSync("bpftool", ["-j", "link", "show"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as Array<{ id: number; type: number | string; prog_id: number }>).filter((l) => l.prog_id === prog.id);
}

function bpftoolLinkIds(prog: Program): number[] {
  return bpftoolLinks(prog).map((l) => l.id);
}

/** A uprobe_multi link as bpftool shows it: by name, or by BPF_LINK_TYPE_UPROBE_MULTI's number where bpftool predates it (v7.1). */
function isUprobeMultiType(type: number | string): boolean {
  return type === "uprobe_multi" || type === LinkType.UPROBE_MULTI;
}

/** Perf events (uprobes) bpftool lists for a program. */
function bpftoolPerfCount(prog: Program): number {
  const r = spawnSync("bpftool", ["-j", "perf", "show"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout || "[]") as Array<{ prog_id: number }>).filter((p) => p.prog_id === prog.id).length;
}

/** Notes as `readelf -n` prints them. */
function readelfNotes(binary: string): Array<{ provider: string; name: string; pc: bigint; base: bigint; semaphore: bigint; args: string }> {
  const r = spawnSync("readelf", ["-nW", binary], { encoding: "utf8", maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  const out = [];
  const re = /Provider: (.*)\n\s+Name: (.*)\n\s+Location: 0x([0-9a-f]+), Base: 0x([0-9a-f]+), Semaphore: 0x([0-9a-f]+)\n\s+Arguments: ?(.*)/g;
  for (const m of r.stdout.matchAll(re)) {
    out.push({ provider: m[1]!, name: m[2]!, pc: BigInt(`0x${m[3]}`), base: BigInt(`0x${m[4]}`), semaphore: BigInt(`0x${m[5]}`), args: m[6]!.trim() });
  }
  return out;
}

test("the note parser agrees with readelf -n (PIE, fixed-address executable, python3.11)", (t) => {
  if (!requireOracle(t, "readelf")) return;
  const binaries = [pie, fixed, PYTHON].filter((b): b is string => b !== undefined && readdirSync(path.dirname(b)).includes(path.basename(b)));
  if (!pie) missingOracle(t, "systemtap-sdt-dev", "to build the USDT target program");
  for (const binary of binaries) {
    const ours = usdtNotes(new ElfFile(readFileSync(binary)));
    const theirs = readelfNotes(binary);
    assert.ok(theirs.length > 0, `readelf shows notes in ${binary}`);
    assert.deepEqual(ours, theirs, binary);
  }
  assert.deepEqual(usdtNotes(new ElfFile(readFileSync("/bin/true"))), [], "no .note.stapsdt: no probes");
});

test("file offsets: executables and PIEs alike, .stapsdt.base applied, semaphores in data", (t) => {
  if (!needTarget(t) || !requireOracle(t, "readelf")) return;
  for (const binary of [pie!, fixed!]) {
    const elf = new ElfFile(readFileSync(binary));
    const notes = usdtNotes(elf);
    const sites = usdtSites(elf, binary, notes);
    const text = elf.section(".text")!;
    for (const s of sites) {
      // .text's own vaddr → offset mapping is the oracle for code addresses.
      assert.equal(s.fileOffset, Number(s.address - text.addr) + text.offset, `${s.note.name} in ${binary}`);
    }
    const sema = sites.find((s) => s.note.name === "sema")!;
    const probes = elf.section(".probes")!;
    assert.equal(sema.semaphoreOffset, Number(sema.note.semaphore - probes.addr) + probes.offset);
    assert.ok(sites.filter((s) => s.note.name !== "sema").every((s) => s.semaphoreOffset === 0));
  }
  // Prelink moved the sections, not the notes: the difference of .stapsdt.base shifts the pc.
  const elf = new ElfFile(readFileSync(pie!));
  const note = usdtNotes(elf).find((n) => n.name === "args")!;
  const moved = { ...note, pc: note.pc - 0x10n, base: note.base - 0x10n };
  assert.equal(usdtSites(elf, pie!, [moved])[0]!.address, note.pc);
});

test("argument specs: x86-64 and arm64 syntax into struct __bpf_usdt_spec; pt_regs offsets match kernel BTF", (t) => {
  const x64 = parseUsdtArguments("-4@$42 -4@%edi -1@%dl 8@%rax -8@-1204(%rbp) 2@(%rsp) 1@%sil 8@%r15 -2@%r9w", "x64");
  assert.deepEqual(x64.map((a) => [a.size, a.signed, a.location]), [
    [4, true, { kind: "const", value: 42n }],
    [4, true, { kind: "reg", reg: "edi", regOffset: 112 }],
    [1, true, { kind: "reg", reg: "dl", regOffset: 96 }],
    [8, false, { kind: "reg", reg: "rax", regOffset: 80 }],
    [8, true, { kind: "deref", reg: "rbp", regOffset: 32, offset: -1204n }],
    [2, false, { kind: "deref", reg: "rsp", regOffset: 152, offset: 0n }],
    [1, false, { kind: "reg", reg: "sil", regOffset: 104 }],
    [8, false, { kind: "reg", reg: "r15", regOffset: 0 }],
    [2, true, { kind: "reg", reg: "r9w", regOffset: 64 }],
  ]);
  const arm = parseUsdtArguments("-4@x0 8@[sp, 16] -4@5 8@[x29] -8@[x1, -8] 4@w3 -4@#-9", "arm64");
  assert.deepEqual(arm.map((a) => [a.size, a.signed, a.location]), [
    [4, true, { kind: "reg", reg: "x0", regOffset: 0 }],
    [8, false, { kind: "deref", reg: "sp", regOffset: 248, offset: 16n }],
    [4, true, { kind: "const", value: 5n }],
    [8, false, { kind: "deref", reg: "x29", regOffset: 232, offset: 0n }],
    [8, true, { kind: "deref", reg: "x1", regOffset: 8, offset: -8n }],
    [4, false, { kind: "reg", reg: "w3", regOffset: 24 }],
    [4, true, { kind: "const", value: -9n }],
  ]);
  assert.deepEqual(splitUsdtArguments("  8@[sp, 16]   -4@x0 "), ["8@[sp, 16]", "-4@x0"]);
  assert.deepEqual(parseUsdtArguments("", "x64"), []);

  // struct __bpf_usdt_spec bytes: val_off, arg_type, reg_off, arg_signed, arg_bitshift per arg; cookie; arg_cnt.
  const spec = encodeUsdtSpec(parseUsdtArguments("-4@$-7 -1@%dl 8@-16(%rbp)", "x64"), 0x1122334455667788n);
  assert.equal(spec.byteLength, USDT_SPEC_SIZE);
  assert.equal(USDT_SPEC_SIZE, 208);
  const v = new DataView(spec.buffer);
  assert.deepEqual([v.getBigInt64(0, true), v.getUint32(8, true), v.getInt16(12, true), v.getUint8(14), v.getInt8(15)], [-7n, 0, 0, 1, 32]);
  assert.deepEqual([v.getBigInt64(16, true), v.getUint32(24, true), v.getInt16(28, true), v.getUint8(30), v.getInt8(31)], [0n, 1, 96, 1, 56]);
  assert.deepEqual([v.getBigInt64(32, true), v.getUint32(40, true), v.getInt16(44, true), v.getUint8(46), v.getInt8(47)], [-16n, 2, 32, 0, 0]);
  assert.equal(v.getBigUint64(192, true), 0x1122334455667788n);
  assert.equal(v.getInt16(200, true), 3);

  for (const [bad, why] of [
    ["4%edi", /no '@'/], ["3@%edi", /not 1, 2, 4 or 8/], ["4@%xmm0", /register 'xmm0'/], ["4@%ah", /register 'ah'/],
    ["8@-96(%rbp,%rax,8)", /index/], ["8@tsbpf_global(%rip)", /global variable/], ["4@$0x10", /decimal/], ["4@", /not a constant/],
  ] as const) {
    assert.throws(() => parseUsdtArguments(bad, "x64"), (e) => e instanceof UsdtArgumentError && why.test(e.message), bad);
  }
  assert.throws(() => parseUsdtArguments("4@x31", "arm64"), UsdtArgumentError);
  assert.throws(() => parseUsdtArguments(Array(13).fill("4@$1").join(" "), "x64"), (e) => e instanceof UsdtArgumentError && /at most 12/.test(e.message));

  if (process.arch !== "x64") return skipFor(t, "unsupported architecture", "the kernel BTF check reads x86-64's struct pt_regs");
  const ptRegs = kernelBtf().typesByName("pt_regs", "STRUCT")[0];
  assert.ok(ptRegs, "kernel BTF has struct pt_regs");
  const members = new Map(ptRegs.members.map((m) => [m.name, m.bitOffset / 8]));
  for (const [name, offset] of X64_PT_REGS_MEMBERS) assert.equal(members.get(name), offset, `pt_regs.${name}`);
  assert.equal(ptRegsOffset("x64", "eax"), members.get("ax"));
});

/**
 * Loads the fixture. By default the loader loads SEC("usdt") programs for
 * uprobe_multi links (as libbpf does on 6.6+); `multi: false` opts out
 * (usdtUprobeMulti = false) to attach a uprobe per site.
 */
function loadFixture(options: { multi?: boolean; cookies?: boolean } = {}): Collection {
  const spec = loadObjectSpec(OBJECT);
  if (options.multi === false) {
    for (const name of ["usdt_args", "usdt_macro"]) spec.program(name).usdtUprobeMulti = false;
  }
  const programs = ["usdt_args", "usdt_macro"];
  if (options.cookies === false) {
    return loadCollectionWith(spec, { programs }, { kconfig: { ...runningKernelKconfig(kernelBtf), hasBpfCookie: false } });
  }
  return Collection.load(spec, { programs });
}

/** Waits until at least `n` events are in the ring (uprobe handlers run synchronously; this only covers the read). */
async function events(ring: RingBuffer, n: number): Promise<UsdtEvent[]> {
  const out: UsdtEvent[] = [];
  for (let i = 0; i < 50 && out.length < n; i++) {
    out.push(...drain(ring));
    if (out.length < n) await sleep(10);
  }
  return out;
}

for (const mode of [
  { title: "the default load: one uprobe.multi link, spec ids by bpf cookie", multi: true, cookies: true },
  { title: "usdtUprobeMulti = false: a uprobe per site grouped in one Link, spec ids by bpf cookie", multi: false, cookies: true },
  { title: "usdtUprobeMulti = false: a uprobe per site, spec ids by address (a kernel without bpf cookies)", multi: false, cookies: false },
] as const) {
  test(`stock <bpf/usdt.bpf.h> programs read constants, registers and memory: ${mode.title}`, async (t) => {
    if (!needTarget(t) || !requireOracle(t, "bpftool")) return;
    if (mode.multi && !haveUprobeMultiLink()) {
      return skipFor(t, "kernel older than", { linux: UPROBE_MULTI_LINK_MIN_KERNEL, feature: "uprobe_multi links", detail: probeUprobeMultiLink().reason });
    }
    using objects = loadFixture(mode);
    using ring = new RingBuffer(objects.map("events"));
    const generic = objects.program("usdt_args");
    const macro = objects.program("usdt_macro");
    const target = new TargetProcess(pie!);
    const lookup = mode.cookies ? "cookie" : "ip";
    try {
      // One round trip: the process has exec'd the target (its maps show where the PIE is), before the attach reads them.
      assert.equal(await target.semaphore(), 0);
      const links = [
        attachUsdt(generic, { binary: pie!, provider: "tsbpf", name: "args", cookie: 0xabcdef_01n, pid: target.pid, specLookup: lookup }),
        attachUsdt(generic, { binary: pie!, provider: "tsbpf", name: "memory", cookie: 2n, pid: target.pid, specLookup: lookup }),
        attachUsdt(generic, { binary: pie!, provider: "tsbpf", name: "twice", cookie: 3n, pid: target.pid, specLookup: lookup }),
        attachUsdt(generic, { binary: pie!, provider: "tsbpf", name: "none", cookie: 4n, pid: target.pid, specLookup: lookup }),
        // Without cookies one object cannot have two attachments at one address (libbpf's "IP collision" too).
        ...(mode.cookies ? [attachUsdt(macro, { binary: pie!, provider: "tsbpf", name: "args", pid: target.pid, specLookup: lookup })] : []),
      ];
      try {
        assert.equal(links[2]!.target, `usdt tsbpf:twice in ${pie} (2 sites) pid ${target.pid}`);
        for (const link of links) {
          assert.equal(link.isBpfLink, mode.multi, link.target);
          if (mode.multi) assert.equal(link.info().type, LinkType.UPROBE_MULTI);
        }
        // uprobe.multi: one link per attachment; otherwise one uprobe (a perf_event link) per site: args, memory, twice ×2, none.
        const shown = bpftoolLinks(generic);
        assert.equal(shown.length, mode.multi ? 4 : 5);
        assert.equal(shown.every((l) => isUprobeMultiType(l.type)), mode.multi, JSON.stringify(shown));
        assert.equal(bpftoolPerfCount(generic), mode.multi ? 0 : 5);
        // One link for both sites of tsbpf:twice (bpftool v7.1 prints no count; the kernel's link info has it).
        if (mode.multi) assert.equal(links[2]!.info().uprobeMulti?.count, 2);
        await target.call(5);
        const seen = await events(ring, 7);
        const byCookie = (c: bigint): UsdtEvent[] => seen.filter((e) => e.kind === 1 && e.cookie === c);
        assert.ok(seen.every((e) => e.pid === target.pid));

        const [args] = byCookie(0xabcdef_01n);
        assert.ok(args, JSON.stringify(seen, (_k, x: unknown) => (typeof x === "bigint" ? String(x) : x)));
        assert.equal(args.count, 5n);
        // -4@$42 -4@%edi -1@%dl 8@%rax -4@$-7 for n = 5: a constant, an int, a signed char, an unsigned long, a negative constant.
        assert.deepEqual(args.args, [42n, 5n, -5n, 5_000_000_000_000n, -7n, 0n]);
        assert.deepEqual(args.results.slice(0, 6), [0, 0, 0, 0, 0, -2 /* -ENOENT: no 6th argument */]);

        const [memory] = byCookie(2n);
        assert.equal(memory?.count, 3n);
        // -4@-4(%rbp) -8@-16(%rbp) 2@-18(%rbp): stack memory, the unsigned short read without sign extension.
        assert.deepEqual(memory.args.slice(0, 3), [-5n, 15n, 60005n]);

        const twice = byCookie(3n).map((e) => e.args[0]).sort();
        assert.deepEqual(twice, [10n, 5n].sort(), "both sites of tsbpf:twice, a register and stack memory");

        const [none] = byCookie(4n);
        assert.equal(none?.count, 0n);
        assert.equal(none.results[0], -2);

        const macroEvents = seen.filter((e) => e.kind === 2);
        assert.equal(macroEvents.length, mode.cookies ? 1 : 0);
        if (mode.cookies) assert.deepEqual(macroEvents[0]!.args.slice(0, 5), [42n, 5n, -5n, 5_000_000_000_000n, -7n]);
      } finally {
        for (const link of links) link.close();
      }
      await target.call(6);
      assert.deepEqual(drain(ring), [], "nothing fires after close");
      assert.deepEqual(bpftoolLinkIds(generic), [], "bpftool: no link left");
      assert.equal(bpftoolPerfCount(generic), 0, "bpftool: no uprobe left");
      if (!mode.cookies) assert.equal([...objects.map("__bpf_usdt_ip_to_spec_id").keys()].length, 0, "addresses removed on close");
    } finally {
      await target.stop();
    }
  });
}

test("semaphores: the kernel bumps tsbpf:sema while attached, and the probe fires only then", async (t) => {
  if (!needTarget(t)) return;
  using objects = loadFixture();
  using ring = new RingBuffer(objects.map("events"));
  for (const binary of [pie!, fixed!]) {
    const target = new TargetProcess(binary);
    try {
      assert.equal(await target.call(1), 0);
      assert.deepEqual(drain(ring), []);
      {
        using _link = attachUsdt(objects.program("usdt_args"), { binary, provider: "tsbpf", name: "sema", pid: target.pid, cookie: 9n });
        assert.equal(await target.semaphore(), 1);
        assert.equal(await target.call(3), 1);
        const seen = await events(ring, 1);
        assert.deepEqual(seen.map((e) => [e.cookie, e.args[0]]), [[9n, 10n]]);
      }
      assert.equal(await target.semaphore(), 0, "released on close");
    } finally {
      await target.stop();
    }
  }
});

test("python3.11: SEC(\"usdt//usr/bin/python3.11:python:function__entry\") names the functions python runs", async (t) => {
  if (!requireOracle(t, "python3 with USDT")) return;
  const spec = loadObjectSpec(OBJECT);
  using objects = Collection.load(spec, { programs: ["python_entry"] });
  using ring = new RingBuffer(objects.map("events"));
  const prog = objects.program("python_entry");
  assert.deepEqual(usdtOfSection(prog.sectionName!), { binary: PYTHON, provider: "python", name: "function__entry" });
  {
    using link = attachUsdt(prog);
    assert.match(link.target, /^usdt python:function__entry in \/usr\/bin\/python3\.11 \(\d+ sites?\)$/);
    // CPython 3.11 fires function__entry for frames it enters with a trace function set (and for generators
    // thrown into), not for every call: sys.settrace makes every call count.
    const r = spawnSync(PYTHON, ["-S", "-I", "-c", PYTHON_TRACED("tsbpf_marker_function")], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const seen = await events(ring, 1);
    const ours = seen.filter((e) => e.kind === 3 && e.pid === r.pid);
    assert.ok(ours.some((e) => e.text === "tsbpf_marker_function" && e.args[0] === 3n), ours.map((e) => `${e.text}:${e.args[0]}`).join(" "));
  }
  spawnSync(PYTHON, ["-S", "-I", "-c", PYTHON_TRACED("after_close")]);
  assert.ok(!drain(ring).some((e) => e.text === "after_close"), "nothing after close");
});

test("Collection.attach(): SEC(\"usdt/BINARY:PROVIDER:NAME\") is auto-attached, plain SEC(\"usdt\") skipped with the call to make", async (t) => {
  if (!requireOracle(t, "python3 with USDT")) return;
  using objects = Collection.load(loadObjectSpec(OBJECT), { programs: ["python_entry", "usdt_args"] });
  using ring = new RingBuffer(objects.map("events"));
  const attached = objects.attach();
  try {
    assert.deepEqual([...attached.byName.keys()], ["python_entry"]);
    assert.deepEqual(attached.skipped.map((s) => s.program), ["usdt_args"]);
    assert.match(attached.skipped[0]!.reason, /SEC\("usdt"\).*gives no target/);
    const r = spawnSync(PYTHON, ["-S", "-I", "-c", PYTHON_TRACED("tsbpf_auto_attached")], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.ok((await events(ring, 1)).some((e) => e.pid === r.pid && e.text === "tsbpf_auto_attached"));
  } finally {
    attached.close();
  }
});

test("bad input: typed errors that name the target; nothing attached, open or written", async (t) => {
  if (!needTarget(t)) return;
  using objects = loadFixture({ multi: false });
  const prog = objects.program("usdt_args");
  const specs = objects.map("__bpf_usdt_specs");
  using other = Collection.load(loadObjectSpec(OBJECT), { programs: ["usdt_args"] });
  using filter = (await import("../../src/program.js")).Program.load({
    type: ProgramType.SocketFilter, instructions: new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]), license: "GPL",
  });
  const fds = readdirSync("/proc/self/fd").length;
  const target = { binary: pie!, provider: "tsbpf", name: "args" };
  assert.throws(() => attachUsdt(filter, target), (e) => e instanceof InvalidArgumentError && /socket_filter/.test(e.message));
  assert.throws(() => attachUsdt(prog, { ...target, binary: "/nonexistent/tsbpf" }), (e) => e instanceof NotFoundError && /\/nonexistent\/tsbpf/.test(e.message));
  assert.throws(() => attachUsdt(prog, { ...target, name: "nope" }),
    (e) => e instanceof NotFoundError && e.message.includes(`no USDT tsbpf:nope in ${pie}`) && /it has tsbpf:args, tsbpf:memory, tsbpf:none, tsbpf:sema, tsbpf:twice/.test(e.message));
  assert.throws(() => attachUsdt(prog, { ...target, binary: "/bin/true" }), (e) => e instanceof NotFoundError && /\/bin\/true has no USDT probes/.test(e.message));
  assert.throws(() => attachUsdt(prog, { ...target, binary: path.join(FIXTURES, "usdt-target.c") }), ElfError);
  assert.throws(() => attachUsdt(prog, { ...target, provider: "" }), (e) => e instanceof InvalidArgumentError && e.field === "provider");
  assert.throws(() => attachUsdt(prog, { ...target, pid: -2 }), (e) => e instanceof InvalidArgumentError && e.field === "pid");
  assert.throws(() => attachUsdt(prog), (e) => e instanceof InvalidArgumentError && /give the binary, provider and name/.test(e.message));
  // Without bpf cookies a PIE needs a pid: the address differs per process.
  assert.throws(() => attachUsdt(prog, { ...target, specLookup: "ip" }), (e) => e instanceof InvalidArgumentError && /needs a pid/.test(e.message));
  // Maps of another collection: not the ones the program reads; a wrong-sized specs map is refused.
  assert.throws(() => attachUsdt(prog, { ...target, maps: { specs: other.map("events") } }), (e) => e instanceof InvalidArgumentError && /208-byte/.test(e.message));
  assert.throws(() => attachUsdt(prog, { ...target, method: "multi" }), BpfError, "the program was not loaded for uprobe.multi");
  assert.equal(readdirSync("/proc/self/fd").length, fds, "no fd left open");
  // The failed attaches gave their spec slots back: the next attach gets slot 0.
  {
    using _link = attachUsdt(prog, target);
    const slot0 = specs.lookup(new Uint8Array(4));
    assert.equal(new DataView(slot0.buffer, slot0.byteOffset).getInt16(200, true), 5, "slot 0 holds tsbpf:args' 5 arguments");
  }
  assert.deepEqual(bpftoolLinkIds(prog), []);
});

test("malformed notes are ElfErrors and bad argument strings UsdtArgumentErrors, never anything else (fuzzed)", (t) => {
  if (!needTarget(t)) return;
  const bytes = readFileSync(pie!);
  const elf = new ElfFile(bytes);
  const section = elf.section(".note.stapsdt")!;
  let seed = 12345;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let round = 0; round < 400; round++) {
    const copy = new Uint8Array(bytes);
    for (let k = 0; k <= random(6); k++) copy[section.offset + random(section.size)] = random(4) === 0 ? 0 : random(256);
    try {
      const notes = usdtNotes(new ElfFile(copy));
      for (const n of notes) {
        try {
          parseUsdtArguments(n.args, "x64");
        } catch (e) {
          assert.ok(e instanceof UsdtArgumentError, String(e));
        }
      }
    } catch (e) {
      assert.ok(e instanceof ElfError, `round ${round}: ${String(e)}`);
    }
  }
  // Argument strings made of the characters specs use: parsed or refused with UsdtArgumentError, quickly.
  const alphabet = "-+@%$()[], #0123456789abcdeilmprsxwz";
  for (let round = 0; round < 2000; round++) {
    const text = Array.from({ length: random(40) }, () => alphabet[random(alphabet.length)]).join("");
    for (const arch of ["x64", "arm64"] as const) {
      try {
        parseUsdtArguments(text, arch);
      } catch (e) {
        assert.ok(e instanceof UsdtArgumentError, `${JSON.stringify(text)} on ${arch}: ${String(e)}`);
      }
    }
  }
  // Short and unterminated descriptors.
  assert.throws(() => parseUsdtNote(new Uint8Array(10), true), ElfError);
  const unterminated = new Uint8Array(30).fill(0x41);
  assert.throws(() => parseUsdtNote(unterminated, true), (e) => e instanceof ElfError && /not NUL-terminated/.test(e.message));
  const emptyName = new Uint8Array([...new Uint8Array(24), 0x70, 0, 0, 0]);
  assert.throws(() => parseUsdtNote(emptyName, true), (e) => e instanceof ElfError && /empty name/.test(e.message));
});

test("the loader gives SEC(\"usdt\") programs TraceUprobeMulti where the kernel has uprobe_multi links, unless told otherwise", (t) => {
  if (!haveUprobeMultiLink()) {
    return skipFor(t, "kernel older than", { linux: UPROBE_MULTI_LINK_MIN_KERNEL, feature: "uprobe_multi links", detail: probeUprobeMultiLink().reason });
  }
  const spec = loadObjectSpec(OBJECT);
  const program = spec.program("usdt_args");
  const code = new Uint8Array(0);
  assert.equal(program.expectedAttachType, 0, "SEC(\"usdt\") itself names no attach type");
  assert.equal(loadSpecFor(program, code, undefined, undefined, undefined).expectedAttachType, AttachType.TraceUprobeMulti);
  program.usdtUprobeMulti = false;
  assert.equal(loadSpecFor(program, code, undefined, undefined, undefined).expectedAttachType, undefined, "opted out: a uprobe per site");
  program.usdtUprobeMulti = true;
  program.setType(ProgramType.Kprobe, AttachType.TraceKprobeMulti);
  assert.equal(loadSpecFor(program, code, undefined, undefined, undefined).expectedAttachType, AttachType.TraceKprobeMulti, "an explicit attach type wins");
  // Retyped away from kprobe: no longer a USDT program, so none.
  const uprobe = loadObjectSpec(OBJECT);
  uprobe.program("usdt_args").setType(ProgramType.Tracepoint);
  assert.equal(loadSpecFor(uprobe.program("usdt_args"), code, undefined, undefined, undefined).expectedAttachType, undefined);
});
