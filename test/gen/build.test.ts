// `tsbpf gen build` (src/gen/build) on the real toolchain: a CO-RE source
// (vmlinux.h + bpf_core_read.h) compiled by clang-19 into an object that loads
// and runs, its skeleton written, vmlinux.h generated once and cached, no
// compile when nothing changed, a rebuild when a header or the flags change,
// clang's diagnostics and nothing half-written on a compile error.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, existsSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildObject, CompileError, ToolchainError, type BuildOptions } from "../../src/gen/build/index.js";
import { generateSkeleton } from "../../src/gen/skeleton/index.js";
import { loadObjectSpec } from "../../src/object/index.js";
import { Collection } from "../../src/collection.js";
import { ElfFile } from "../../src/elf/index.js";
import { findClang } from "../../src/gen/build/clang.js";
import { findStrip } from "../../src/gen/build/strip.js";
import { haveOracle, requireOracle } from "../util/environment.js";
import { CLI, tsbpf } from "../util/cli.js";

const CO_RE_SOURCE = `#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "config.h"

int seen_tgid = 0;
int magic = 0;
__u64 runs = 0;

SEC("syscall")
int probe(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	seen_tgid = BPF_CORE_READ(task, tgid);
	magic = CONFIG_MAGIC;
	runs++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
`;

let root: string;
let cacheDir: string;
/** A wrapper around clang-19 that logs every run, so "clang did not run" is observed, not inferred. */
let loggingClang: string;
let clangLog: string;

before(() => {
  root = mkdtempSync(path.join(tmpdir(), "tsbpf-gen-build-"));
  cacheDir = path.join(root, "cache");
  clangLog = path.join(root, "clang.log");
  loggingClang = path.join(root, "bin", "clang");
  mkdirSync(path.dirname(loggingClang));
  writeFileSync(loggingClang, `#!/bin/sh\necho "$*" >> ${clangLog}\nexec clang-19 "$@"\n`);
  chmodSync(loggingClang, 0o755);
});

after(() => rmSync(root, { recursive: true, force: true }));

/** A fresh project directory holding the CO-RE source and its config.h. */
function project(name: string, magic = 42): string {
  const dir = path.join(root, name);
  mkdirSync(dir);
  writeFileSync(path.join(dir, "probe.bpf.c"), CO_RE_SOURCE);
  writeFileSync(path.join(dir, "config.h"), `#define CONFIG_MAGIC ${magic}\n`);
  return dir;
}

function options(extra: BuildOptions = {}): BuildOptions {
  return { cacheDir, clang: loggingClang, onDiagnostics: () => {}, ...extra };
}

/** The compiles (not --version / -print-targets probes) the logging clang saw. */
function compiles(): number {
  if (!existsSync(clangLog)) return 0;
  return readFileSync(clangLog, "utf8").split("\n").filter((l) => / -c /.test(l)).length;
}

/** Loads the object, runs its program once with BPF_PROG_TEST_RUN, returns what it wrote. */
function runObject(objectPath: string): { tgid: number; magic: number; runs: bigint } {
  const collection = Collection.load(loadObjectSpec(objectPath));
  try {
    assert.equal(collection.program("probe").testRun().retval, 0);
    return {
      tgid: collection.variable("seen_tgid").getNumber(),
      magic: collection.variable("magic").getNumber(),
      runs: collection.variable("runs").getBigInt(),
    };
  } finally {
    collection.close();
  }
}

test("gen build compiles a CO-RE source into an object that loads and runs, and writes its skeleton", async (t) => {
  if (!requireOracle(t, "clang-19")) return;
  const dir = project("first");
  const out = path.join(dir, "out");
  const result = await buildObject(path.join(dir, "probe.bpf.c"), options({ outputDir: out }));
  assert.equal(result.upToDate, false);
  assert.equal(result.objectPath, path.join(out, "probe.bpf.o"));
  assert.equal(result.skeletonPath, path.join(out, "probe.skel.ts"));
  assert.deepEqual(readdirSync(out).sort(), ["probe.bpf.o", "probe.bpf.stamp", "probe.skel.ts"]);
  for (const flag of ["-g", "-O2", "-target", "bpf", `-D__TARGET_ARCH_${process.arch === "x64" ? "x86" : process.arch}`]) {
    assert.ok(result.flags.includes(flag), `${flag} in ${result.flags.join(" ")}`);
  }
  // The depfile named every header read: the user's, vmlinux.h, libbpf's.
  for (const header of ["config.h", "vmlinux.h", "bpf_helpers.h", "bpf_core_read.h"]) {
    assert.ok(result.inputs.some((f) => path.basename(f) === header), `${header} in ${result.inputs.join(", ")}`);
  }
  // CO-RE: task_struct's tgid relocated against this kernel reads our own pid.
  assert.deepEqual(runObject(result.objectPath), { tgid: process.pid, magic: 42, runs: 1n });
  // The skeleton is generateSkeleton's module for this object.
  const object = readFileSync(result.objectPath);
  assert.equal(readFileSync(result.skeletonPath, "utf8"), generateSkeleton(object, { name: "probe" }).source);
  // `path` (referenceObject): the skeleton names ./probe.bpf.o instead of embedding it; a skeleton option change rebuilds.
  const referencing = await buildObject(path.join(dir, "probe.bpf.c"), options({ outputDir: out, referenceObject: true }));
  assert.equal(referencing.reason, "the flags, paths or options changed");
  assert.equal(readFileSync(result.skeletonPath, "utf8"),
    generateSkeleton(readFileSync(result.objectPath), { name: "probe", objectPath: "./probe.bpf.o" }).source);
  // DWARF is stripped by the LLVM's llvm-strip (bpf2go does too), BTF stays; without llvm-strip a note says so.
  const sections = new ElfFile(readFileSync(result.objectPath)).sections.map((s) => s.name);
  assert.ok(sections.includes(".BTF") && sections.includes(".BTF.ext"), sections.join(" "));
  const strip = findStrip(findClang({ clang: loggingClang }));
  if (strip !== undefined) {
    assert.deepEqual(sections.filter((s) => s.includes(".debug_")), [], `stripped by ${strip}`);
    assert.deepEqual(result.notes.filter((n) => n.includes("DWARF")), []);
  } else {
    assert.ok(sections.includes(".debug_info"));
    assert.match(result.notes.join("\n"), /the object keeps its DWARF: no llvm-strip was found for this clang \(Debian package llvm-19\)/);
  }
});

test("vmlinux.h is generated once per BTF, cached, and is what bpftool dumps", async (t) => {
  if (!requireOracle(t, "clang-19")) return;
  const dir = project("vmlinux-cache");
  const cache = path.join(root, "cache-own");
  const first = await buildObject(path.join(dir, "probe.bpf.c"), options({ cacheDir: cache }));
  assert.equal(first.vmlinux.generated, true);
  assert.ok(first.vmlinux.path.startsWith(path.join(cache, "vmlinux") + path.sep));
  const second = await buildObject(path.join(dir, "probe.bpf.c"), options({ cacheDir: cache, force: true }));
  assert.equal(second.vmlinux.generated, false);
  assert.equal(second.vmlinux.path, first.vmlinux.path);
  if (!requireOracle(t, "bpftool")) return;
  const bpftool = execFileSync("bpftool", ["btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "c"], { maxBuffer: 1 << 28 });
  assert.ok(readFileSync(first.vmlinux.path).equals(bpftool), "the cached vmlinux.h differs from bpftool's dump");
});

test("an unchanged rebuild does not run clang; a changed header, source or flag does", async (t) => {
  if (!requireOracle(t, "clang-19")) return;
  const dir = project("incremental");
  const source = path.join(dir, "probe.bpf.c");
  const first = await buildObject(source, options());
  const mtime = statSync(first.objectPath).mtimeMs;
  const before = compiles();

  const again = await buildObject(source, options());
  assert.equal(again.upToDate, true);
  assert.equal(again.reason, undefined);
  assert.equal(compiles(), before, "clang compiled although nothing changed");
  assert.equal(statSync(first.objectPath).mtimeMs, mtime, "the object was rewritten");

  // Only the content counts: a touched but identical header does not rebuild.
  const header = path.join(dir, "config.h");
  utimesSync(header, new Date(), new Date(Date.now() + 5000));
  assert.equal((await buildObject(source, options())).upToDate, true);

  writeFileSync(header, "#define CONFIG_MAGIC 7\n");
  const changed = await buildObject(source, options());
  assert.equal(changed.upToDate, false);
  assert.equal(changed.reason, `${header} changed`);
  assert.equal(compiles(), before + 1);
  assert.equal(runObject(changed.objectPath).magic, 7);

  const flagged = await buildObject(source, options({ cflags: ["-DTSBPF_TEST_FLAG=1"] }));
  assert.equal(flagged.upToDate, false);
  assert.equal(flagged.reason, "the flags, paths or options changed");
  assert.equal((await buildObject(source, options({ cflags: ["-DTSBPF_TEST_FLAG=1"] }))).upToDate, true);

  // An output edited or deleted behind the build's back is rebuilt.
  rmSync(first.skeletonPath);
  const restored = await buildObject(source, options({ cflags: ["-DTSBPF_TEST_FLAG=1"] }));
  assert.equal(restored.upToDate, false);
  assert.ok(existsSync(first.skeletonPath));
  assert.equal(compiles(), before + 3);
});

test("a compile error passes clang's diagnostics through, throws CompileError and leaves no output", async (t) => {
  if (!requireOracle(t, "clang-19")) return;
  const dir = project("broken");
  const source = path.join(dir, "probe.bpf.c");
  writeFileSync(source, CO_RE_SOURCE.replace("runs++;", "runs++ oops;"));
  const out = path.join(dir, "out");
  let diagnostics = "";
  const error = await buildObject(source, options({ outputDir: out, onDiagnostics: (text) => { diagnostics += text; } })).then(
    () => assert.fail("the build succeeded"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof CompileError, String(error));
  assert.equal(error.code, "COMPILE_FAILED");
  assert.equal(error.exitStatus, 1);
  assert.match(diagnostics, /probe\.bpf\.c:\d+:\d+: error: expected ';' after expression/);
  assert.equal(error.diagnostics, diagnostics);
  assert.match(error.message, /clang failed to compile probe\.bpf\.c \(exit status 1\): probe\.bpf\.c:\d+:\d+: error: expected ';'/);
  assert.deepEqual(readdirSync(out), [], "the failed build left files behind");

  // The CLI: clang's message on stderr, a non-zero exit, nothing on stdout.
  const cli = tsbpf("gen", "build", source, "-o", out);
  assert.equal(cli.status, 1, cli.stderr);
  assert.equal(cli.stdout, "");
  assert.match(cli.stderr, /probe\.bpf\.c:\d+:\d+: error: expected ';' after expression/);
  assert.match(cli.stderr, /Error: clang failed to compile probe\.bpf\.c \(exit status 1\).*\[COMPILE_FAILED\]/);
  assert.deepEqual(readdirSync(out), []);
});

test("without clang the error names the package that provides it", async (t) => {
  const dir = project("noclang");
  const env = { PATH: path.join(root, "empty-bin"), HOME: root };
  const error = await buildObject(path.join(dir, "probe.bpf.c"), { cacheDir, env }).then(
    () => assert.fail("the build succeeded without clang"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ToolchainError, String(error));
  assert.equal(error.code, "TOOLCHAIN_MISSING");
  assert.equal(error.debianPackage, "clang-19");
  assert.match(error.message, /apt-get install clang-19/);
  assert.match(error.message, /there is no npm package that provides clang/);

  const named = await buildObject(path.join(dir, "probe.bpf.c"), { cacheDir, env: { ...env, BPF_CLANG: "clang-404" } }).catch((e: unknown) => e);
  assert.ok(named instanceof ToolchainError);
  assert.match(named.message, /\$BPF_CLANG names 'clang-404'/);
  assert.ok(!existsSync(path.join(dir, "probe.bpf.o")));

  // The CLI with a PATH that has no clang.
  if (!haveOracle("clang-19")) return void requireOracle(t, "clang-19");
  const r = execFileSync("sh", ["-c", `env -u BPF_CLANG -u CLANG PATH=${env.PATH} "${process.execPath}" "$0" gen build "$1" 2>&1; echo "status=$?"`,
    CLI, path.join(dir, "probe.bpf.c")], { encoding: "utf8" });
  assert.match(r, /Error: clang was not found .*apt-get install clang-19.*\[TOOLCHAIN_MISSING\]\nstatus=1\n$/s);
});

test("the highest clang-N on PATH is found when there is no plain clang", async (t) => {
  if (!requireOracle(t, "clang-19")) return;
  const { findClang } = await import("../../src/gen/build/clang.js");
  const bin = path.join(root, "versioned-bin");
  mkdirSync(bin);
  for (const name of ["clang-9", "clang-19", "clang-format-30", "clang-tidy-31"]) {
    writeFileSync(path.join(bin, name), "#!/bin/sh\n");
    chmodSync(path.join(bin, name), 0o755);
  }
  assert.equal(findClang({ env: { PATH: bin } }).path, path.join(bin, "clang-19"));
  assert.equal(findClang({ env: { PATH: bin, CLANG: "clang-9" } }).path, path.join(bin, "clang-9"));
});

test("btf FILE builds against another kernel's BTF, cached under its own key", async (t) => {
  if (!requireOracle(t, "clang-19")) return;
  const { cachedKernelBtfs } = await import("../util/kernel-btf-corpus.js");
  const other = cachedKernelBtfs()[0];
  if (!other) return void requireOracle(t, "other kernels' BTF");
  const dir = project("otherbtf");
  const own = await buildObject(path.join(dir, "probe.bpf.c"), options({ name: "own" }));
  const result = await buildObject(path.join(dir, "probe.bpf.c"), options({ btf: other.path, name: "other" }));
  assert.notEqual(path.dirname(result.vmlinux.path), path.dirname(own.vmlinux.path));
  assert.equal(path.basename(result.objectPath), "other.bpf.o");
  // CO-RE: built against 6.1's or 6.12's task_struct, relocated to this kernel's, it still reads our pid.
  assert.equal(runObject(result.objectPath).tgid, process.pid);
});

test("tsbpf gen build: builds, then reports 'up to date' without touching the object; -j says why", (t) => {
  if (!requireOracle(t, "clang-19")) return;
  const dir = project("cli");
  const out = path.join(dir, "out");
  const env = { ...process.env, XDG_CACHE_HOME: cacheDir, BPF_CLANG: loggingClang };
  const run = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [CLI, ...args], { env, encoding: "utf8" });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const first = run("gen", "build", "-o", out, path.join(dir, "probe.bpf.c"), "name", "tool", "--", "-DTSBPF_TEST_FLAG=2", "-Wall");
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, new RegExp(`^(generated .*/vmlinux\\.h\\n)?built ${out}/tool\\.bpf\\.o and ${out}/tool\\.skel\\.ts \\(no previous build\\)\\n$`));
  assert.deepEqual(readdirSync(out).sort(), ["tool.bpf.o", "tool.bpf.stamp", "tool.skel.ts"]);
  const mtime = statSync(path.join(out, "tool.bpf.o")).mtimeMs;
  const before = compiles();

  const second = run("gen", "build", path.join(dir, "probe.bpf.c"), "-o", out, "name", "tool", "--", "-DTSBPF_TEST_FLAG=2", "-Wall");
  assert.equal(second.status, 0, second.stderr);
  assert.equal(second.stdout, `${out}/tool.bpf.o is up to date\n`);
  assert.equal(statSync(path.join(out, "tool.bpf.o")).mtimeMs, mtime);
  assert.equal(compiles(), before);

  const json = JSON.parse(run("-j", "gen", "build", path.join(dir, "probe.bpf.c"), "-o", out, "name", "tool", "--", "-DTSBPF_TEST_FLAG=3").stdout) as Record<string, unknown>;
  assert.equal(json.up_to_date, false);
  assert.equal(json.reason, "the flags, paths or options changed");
  assert.deepEqual((json.flags as string[]).slice(-1), ["-DTSBPF_TEST_FLAG=3"]);
  assert.equal(compiles(), before + 1);

  const usage = run("gen", "build", path.join(dir, "probe.bpf.c"), "bogus");
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /unexpected argument 'bogus' \(compiler flags go after --\)/);
});

test("without libbpf's headers the error names libbpf-dev (headers hidden in a private mount namespace)", (t) => {
  if (!requireOracle(t, "unshare")) return;
  const dir = project("nolibbpf");
  const empty = path.join(root, "empty-include");
  mkdirSync(empty, { recursive: true });
  // Mounts made inside `unshare -m` are private to it: the host's /usr/include/bpf is untouched.
  const script = `mount --bind "$1" /usr/include/bpf && exec "$2" "$3" gen build "$4"`;
  const r = spawnSync("unshare", ["-m", "sh", "-c", script, "sh", empty, process.execPath, CLI, path.join(dir, "probe.bpf.c")],
    { env: { ...process.env, XDG_CACHE_HOME: cacheDir, PKG_CONFIG_PATH: empty, PKG_CONFIG_LIBDIR: empty }, encoding: "utf8" });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^Error: libbpf's BPF headers \(bpf\/bpf_helpers\.h\) were not found .*`apt-get install libbpf-dev`.*\[TOOLCHAIN_MISSING\]\n$/);
  assert.ok(!existsSync(path.join(dir, "probe.bpf.o")));
  assert.ok(existsSync("/usr/include/bpf/bpf_helpers.h"), "the host's headers are still there");
});
