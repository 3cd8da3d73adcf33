// Kprobes, kretprobes, ksyscall and kprobe.multi. This machine's kernel has
// no kprobes, so the attr and section handling is tested without one (the
// perf_event_attr a PMU kprobe would get, the kprobe_events lines of a
// legacy probe written to a stand-in tracefs, SEC() parsing, the syscall
// prefix, glob matching), and every attach function is run against the real
// kernel: where kprobes exist it must count real calls, where they do not it
// must fail with the one "the kernel has no kprobes" error and leave nothing behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Collection, loadObjectSpec, type Program } from "../../src/index.js";
import { InvalidArgumentError, NotSupportedError } from "../../src/sys/errors.js";
import {
  attachKprobe, attachKprobeMulti, attachKsyscall, kprobeMultiOfSection, kprobeOfSection, ksyscallOfSection,
} from "../../src/link/index.js";
import { kprobePerfAttr, resolveKprobeTarget } from "../../src/link/kprobe.js";
import { addLegacyKprobe, legacyKprobeDefinition, legacyKprobeEventName, removeLegacyKprobe } from "../../src/link/kprobe-legacy.js";
import { matchFilterFunctions, matchKallsymsFunctions } from "../../src/link/kprobe-multi.js";
import { globMatch } from "../../src/link/glob.js";
import { syscallFunction, syscallPrefix } from "../../src/link/ksyscall.js";
import { haveKprobes } from "../../src/link/kprobe-support.js";
import { kallsymsHas, readKallsyms } from "../../src/link/kernel-symbols.js";
import { openFdCount } from "../util/kernel.js";
import { attachmentsOf } from "../util/attached.js";
import { requireOracle } from "../util/environment.js";

const OBJECT = fileURLToPath(new URL("../../../test/fixtures/tracing/kprobes.bpf.o", import.meta.url));

function loadKprobes(): Collection {
  const spec = loadObjectSpec(OBJECT);
  spec.variable("target_tgid").set(process.pid);
  return Collection.load(spec);
}

test("SEC() names: kprobe/FUNC[+OFF], kretprobe/FUNC, ksyscall/NAME, kretsyscall/NAME, k(ret)probe.multi/PATTERN", () => {
  assert.deepEqual(kprobeOfSection("kprobe/do_unlinkat"), { retprobe: false, symbol: "do_unlinkat", offset: 0 });
  assert.deepEqual(kprobeOfSection("kprobe/do_sys_openat2+0x8"), { retprobe: false, symbol: "do_sys_openat2", offset: 8 });
  assert.deepEqual(kprobeOfSection("kprobe/tcp_v4_connect+16"), { retprobe: false, symbol: "tcp_v4_connect", offset: 16 });
  assert.deepEqual(kprobeOfSection("kretprobe/do_unlinkat"), { retprobe: true, symbol: "do_unlinkat", offset: 0 });
  assert.deepEqual(kprobeOfSection("kprobe/some.isra.0"), { retprobe: false, symbol: "some.isra.0", offset: 0 });
  for (const none of ["kprobe", "kretprobe", "kprobe/", "kprobe/a b", "kprobe.multi/vfs_*", "uprobe/x:y", "kprobe/f+x"]) {
    assert.equal(kprobeOfSection(none), undefined, none);
  }
  assert.deepEqual(ksyscallOfSection("ksyscall/openat"), { retprobe: false, syscall: "openat" });
  assert.deepEqual(ksyscallOfSection("kretsyscall/getpid"), { retprobe: true, syscall: "getpid" });
  assert.equal(ksyscallOfSection("ksyscall"), undefined);
  assert.equal(ksyscallOfSection("ksyscall/a/b"), undefined);
  assert.deepEqual(kprobeMultiOfSection("kprobe.multi/vfs_*"), { retprobe: false, pattern: "vfs_*" });
  assert.deepEqual(kprobeMultiOfSection("kretprobe.multi/__x64_sys_getp?id"), { retprobe: true, pattern: "__x64_sys_getp?id" });
  assert.equal(kprobeMultiOfSection("kprobe.multi"), undefined);
});

test("the kprobe PMU attr: function in config1, offset (or address) in config2, retprobe at the format file's bit", () => {
  assert.deepEqual(kprobePerfAttr({ retprobe: false, symbol: "do_unlinkat", offset: 0x10 }, 9, 0), {
    type: 9, config: 0n, pid: -1, cpu: 0, kprobeFunc: "do_unlinkat", probeOffset: 0x10,
  });
  assert.deepEqual(kprobePerfAttr({ retprobe: true, symbol: "do_unlinkat", offset: 0 }, 9, 0).config, 1n);
  assert.deepEqual(kprobePerfAttr({ retprobe: true, symbol: "f", offset: 0 }, 9, 5).config, 32n);
  assert.deepEqual(kprobePerfAttr({ retprobe: false, address: 0xffffffff81000000n, offset: 4 }, 9, 0), {
    type: 9, config: 0n, pid: -1, cpu: 0, config1: 0n, probeOffset: 0xffffffff81000004n,
  });
});

test("targets resolve from options or the SEC() name; bad ones are typed errors", () => {
  using objects = loadKprobes();
  const p = (name: string): Program => objects.program(name);
  assert.deepEqual(resolveKprobeTarget(p("inside_openat"), {}), { retprobe: false, symbol: "do_sys_openat2", offset: 8 });
  assert.deepEqual(resolveKprobeTarget(p("inside_openat"), { offset: 4 }), { retprobe: false, symbol: "do_sys_openat2", offset: 12 });
  assert.deepEqual(resolveKprobeTarget(p("on_getpid_return"), {}), { retprobe: true, symbol: "__x64_sys_getpid", offset: 0 });
  assert.deepEqual(resolveKprobeTarget(p("bare"), { symbol: "vfs_read+0x4" }), { retprobe: false, symbol: "vfs_read", offset: 4 });
  assert.throws(() => resolveKprobeTarget(p("bare"), {}), (e: Error) => e instanceof InvalidArgumentError && /give the kernel function to probe.*SEC\("kprobe"\) names none/.test(e.message));
  assert.throws(() => resolveKprobeTarget(p("bare"), { symbol: "f", retprobe: true, offset: 1 }), /kretprobes fire on return and take no offset/);
  assert.throws(() => resolveKprobeTarget(p("bare"), { symbol: "f", address: 1n }), /a symbol or an address, not both/);
  assert.throws(() => resolveKprobeTarget(p("bare"), { symbol: "rm -rf" }), InvalidArgumentError);
  assert.throws(() => resolveKprobeTarget(p("bare"), { symbol: "f", offset: -1 }), InvalidArgumentError);
  // Wrong program type, before anything touches the kernel.
  using iterObjects = Collection.load(loadObjectSpec(fileURLToPath(new URL("../../../test/fixtures/tracing/task-iter.bpf.o", import.meta.url))), { programs: ["list_processes"] });
  assert.throws(() => attachKprobe(iterObjects.program("list_processes"), { symbol: "vfs_read" }),
    (e: Error) => e instanceof InvalidArgumentError && /'list_processes' is a tracing program; attachKprobe needs a kprobe program/.test(e.message));
});

test("legacy kprobe_events: unique names, definition lines, and the event removed again", () => {
  assert.equal(legacyKprobeEventName("do_unlinkat", 0x10, 42, 7), "tsbpf_42_do_unlinkat_0x10_7");
  assert.equal(legacyKprobeEventName("some.isra.0", 0, 1, 0), "tsbpf_1_some_isra_0_0x0_0");
  assert.notEqual(legacyKprobeEventName("f", 0), legacyKprobeEventName("f", 0));
  assert.equal(legacyKprobeDefinition({ name: "n", retprobe: false, symbol: "do_unlinkat", offset: 0 }), "p:kprobes/n do_unlinkat");
  assert.equal(legacyKprobeDefinition({ name: "n", retprobe: false, symbol: "do_unlinkat", offset: 16 }), "p:kprobes/n do_unlinkat+0x10");
  assert.equal(legacyKprobeDefinition({ name: "n", retprobe: true, symbol: "do_unlinkat", offset: 0 }), "r:kprobes/n do_unlinkat");
  assert.equal(legacyKprobeDefinition({ name: "n", retprobe: true, symbol: "f", offset: 0, maxActive: 64 }), "r64:kprobes/n f");
  assert.equal(legacyKprobeDefinition({ name: "n", retprobe: false, address: 0xffffffff81000000n, offset: 0 }), "p:kprobes/n 0xffffffff81000000");
  assert.throws(() => legacyKprobeDefinition({ name: "n", retprobe: true, symbol: "f", offset: 4 }), InvalidArgumentError);

  // A stand-in tracefs: the definition is appended, the id read from events/kprobes/NAME/id, the removal appended.
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-tracefs-"));
  try {
    const events = path.join(dir, "kprobe_events");
    writeFileSync(events, "");
    mkdirSync(path.join(dir, "events/kprobes/probe_a"), { recursive: true });
    writeFileSync(path.join(dir, "events/kprobes/probe_a/id"), "1234\n");
    assert.equal(addLegacyKprobe(events, { name: "probe_a", retprobe: false, symbol: "vfs_read", offset: 0 }, "kprobe vfs_read"), 1234);
    removeLegacyKprobe(events, "probe_a");
    assert.equal(readFileSync(events, "utf8"), "p:kprobes/probe_a vfs_read\n-:kprobes/probe_a\n");
    // No id: the definition is taken back before the error.
    assert.throws(() => addLegacyKprobe(events, { name: "probe_b", retprobe: true, symbol: "vfs_read", offset: 0 }, "kretprobe vfs_read"), /cannot be read/);
    assert.equal(readFileSync(events, "utf8").split("\n").slice(2).join("\n"), "r:kprobes/probe_b vfs_read\n-:kprobes/probe_b\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("ksyscall: the arch's wrapper prefix where the kernel has __<arch>_sys_bpf, __se_sys_ without wrappers", () => {
  assert.equal(syscallPrefix("x64"), "x64");
  assert.equal(syscallPrefix("arm64"), "arm64");
  assert.equal(syscallPrefix("s390x"), "s390x");
  assert.equal(syscallPrefix("ppc64"), "powerpc");
  assert.equal(syscallPrefix("wasm"), undefined);
  const has = (...names: string[]) => (s: string): boolean => names.includes(s);
  assert.equal(syscallFunction("openat", has("__x64_sys_bpf"), "x64"), "__x64_sys_openat");
  assert.equal(syscallFunction("openat", has("__arm64_sys_bpf"), "arm64"), "__arm64_sys_openat");
  assert.equal(syscallFunction("openat", has(), "x64"), "__se_sys_openat");
  assert.equal(syscallFunction("openat", has("sys_bpf"), "ppc64"), "sys_openat");
  // On this machine, against the real kallsyms: the function it picks exists.
  const kallsyms = readKallsyms();
  const picked = syscallFunction("getpid", (s) => kallsymsHas(kallsyms, s));
  assert.ok(kallsymsHas(kallsyms, picked), `${picked} is in /proc/kallsyms`);
  if (process.arch === "x64") assert.equal(picked, "__x64_sys_getpid");
});

test("kprobe.multi patterns: libbpf's glob over available_filter_functions (or kallsyms)", () => {
  assert.ok(globMatch("vfs_read", "vfs_*"));
  assert.ok(globMatch("vfs_read", "*read"));
  assert.ok(globMatch("vfs_read", "v?s_re*d"));
  assert.ok(globMatch("a", "*"));
  assert.ok(!globMatch("vfs_read", "vfs_"));
  assert.ok(!globMatch("vfs_read", "?vfs_read"));
  assert.ok(globMatch("a[b]", "a[b]"), "brackets are literal");
  assert.ok(!globMatch("a".repeat(60) + "b", "*a*a*a*a*a*a*a*a*a*a*c"), "no exponential backtracking");
  const available = "vfs_read\nvfs_write [ext4]\n__ftrace_invalid_address___123\nvfs_read\nksys_read\n";
  assert.deepEqual(matchFilterFunctions(available, "vfs_*"), ["vfs_read", "vfs_write"]);
  assert.deepEqual(matchFilterFunctions(available, "*"), ["vfs_read", "vfs_write", "ksys_read"]);
  const kallsyms = "ffffffff81000000 T vfs_read\nffffffff81000010 D vfs_data\nffffffff81000020 t vfs_local\t[mod]\n";
  assert.deepEqual(matchKallsymsFunctions(kallsyms, "vfs_*"), ["vfs_read", "vfs_local"]);
  // The real lists resolve the fixture's pattern to the getpid/getppid/getpgid/getpgrp wrappers (this kernel
  // refuses even root to read available_filter_functions, so attachKprobeMulti falls back to kallsyms).
  if (process.arch === "x64") {
    let available: string | undefined;
    try {
      available = readFileSync("/sys/kernel/tracing/available_filter_functions", "latin1");
    } catch {
      available = undefined;
    }
    const real = available !== undefined ? matchFilterFunctions(available, "__x64_sys_getp*") : matchKallsymsFunctions(readKallsyms(), "__x64_sys_getp*");
    assert.ok(real.includes("__x64_sys_getpid") && real.includes("__x64_sys_getppid"), real.join(","));
  }
});

function getpidCalls(n: number): void {
  for (let i = 0; i < n; i++) void process.pid; // cached by Node: no syscall
  for (let i = 0; i < n; i++) readFileSync("/proc/self/stat"); // openat via do_sys_openat2
}

test("on this kernel: every kprobe attach either counts real calls or says the kernel has no kprobes", { timeout: 30_000 }, (t) => {
  if (!requireOracle(t, "bpftool")) return;
  using objects = loadKprobes();
  const before = openFdCount();
  if (haveKprobes()) {
    // A kernel with kprobes: the probe inside do_sys_openat2 counts this process's opens, and stops at close.
    const program = objects.program("inside_openat");
    {
      using _link = attachKprobe(program);
      getpidCalls(5);
    }
    const hits = new DataView(objects.map("hits").lookup(Uint8Array.of(2, 0, 0, 0))!.buffer).getBigUint64(0, true);
    assert.ok(hits >= 5n, `${hits} hits`);
    assert.deepEqual(attachmentsOf(program.id), { links: [], perf: [] });
    return;
  }
  const expected = (what: string): string =>
    `${what} (the kernel has no kprobes: it was built without CONFIG_KPROBES / CONFIG_KPROBE_EVENTS — ` +
    "/sys/bus/event_source/devices/kprobe is missing and /sys/kernel/tracing/kprobe_events does not exist; " +
    "tracepoints and raw_tp/tp_btf programs need neither) is not supported by the running kernel";
  const cases: Array<[() => unknown, string]> = [
    [() => attachKprobe(objects.program("on_getpid")), "kprobe __x64_sys_getpid"],
    [() => attachKprobe(objects.program("on_getpid_return")), "kretprobe __x64_sys_getpid"],
    [() => attachKprobe(objects.program("inside_openat")), "kprobe do_sys_openat2+0x8"],
    [() => attachKprobe(objects.program("bare"), { symbol: "vfs_read", interface: "legacy" }), "kprobe vfs_read"],
    [() => attachKsyscall(objects.program("ksys_getpid")), `kprobe ${syscallFunction("getpid", (s) => kallsymsHas(readKallsyms(), s))}`],
    [() => attachKsyscall(objects.program("kret_getpid")), `kretprobe ${syscallFunction("getpid", (s) => kallsymsHas(readKallsyms(), s))}`],
    [() => attachKprobeMulti(objects.program("multi_getp")), "kprobe.multi __x64_sys_getp*"],
    [() => attachKprobeMulti(objects.program("multi_getppid_return")), "kretprobe.multi __x64_sys_getppid"],
    [() => attachKprobeMulti(objects.program("multi_getp"), { symbols: ["vfs_read", "vfs_write"], cookies: [1n, 2n] }), "kprobe.multi vfs_read,vfs_write"],
  ];
  for (const [attach, what] of cases) {
    assert.throws(attach, (e: Error) => {
      assert.ok(e instanceof NotSupportedError, `${what}: ${e.constructor.name}: ${e.message}`);
      assert.equal(e.message, expected(what));
      assert.equal(e.minKernel, undefined, "no 'needs Linux x.y'");
      assert.doesNotMatch(e.message, /needs Linux/);
      return true;
    });
  }
  assert.equal(openFdCount(), before, "no fd left open");
  for (const program of objects.programs.values()) assert.deepEqual(attachmentsOf(program.id), { links: [], perf: [] });
  // Argument errors still come first: a kprobe.multi attach of a program loaded for single kprobes.
  assert.throws(() => attachKprobeMulti(objects.program("on_getpid"), { pattern: "vfs_*" }), /loaded from SEC\("kprobe\/__x64_sys_getpid"\) for single kprobes/);
  assert.throws(() => attachKprobeMulti(objects.program("multi_getp"), { pattern: "a", symbols: ["b"] }), /one of pattern, symbols and addresses/);
});
