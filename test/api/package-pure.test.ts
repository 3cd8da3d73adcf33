// The pure subpaths (tsbpf/btf, /elf, /asm, /object, /core, /vm) work where the
// native addon was never built, and so does the CLI's `btf dump`; a kernel
// call there fails with the typed "build the addon" error. The package is
// copied (package.json + the bundled dist/lib, nothing else) into a temp project's
// node_modules, so the addon file is really absent and the imports go
// through package.json's "exports" as a user's would.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { dumpCText, loadBtfFile } from "../../src/btf/index.js";
import { dumpXlated } from "../../src/asm/index.js";
import { loadObjectSpec } from "../../src/object/index.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const FIXTURE = path.join(ROOT, "test/fixtures/btf/core.bpf.o");
const VMLINUX = "/sys/kernel/btf/vmlinux";
const VM_OBJECT = path.join(ROOT, "test/fixtures/vm/packets.bpf.o");

/** A temp project with tsbpf installed as package.json + its bundled runtime, dist/lib, only (no build/, no prebuilds/). */
function projectWithoutAddon(): { dir: string; pkg: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-pure-"));
  const pkg = path.join(dir, "node_modules", "tsbpf");
  mkdirSync(pkg, { recursive: true });
  cpSync(path.join(ROOT, "package.json"), path.join(pkg, "package.json"));
  cpSync(path.join(ROOT, "dist/lib"), path.join(pkg, "dist/lib"), { recursive: true });
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "pure-user", type: "module", private: true }));
  return { dir, pkg };
}

// Runs in the temp project: only the package's public subpaths, no addon.
const CHILD = `
import { readFileSync } from "node:fs";
import { Btf, dumpCText, kernelBtf } from "tsbpf/btf";
import { ElfFile } from "tsbpf/elf";
import { dumpXlated } from "tsbpf/asm";
import { loadObjectSpec } from "tsbpf/object";
import { resolveCoreRelocations } from "tsbpf/core";
import { Machine, VmCollection, VmProgram } from "tsbpf/vm";

const [fixture, vmlinuxPath, vmObject] = process.argv.slice(2);
const vmlinux = new Btf(new Uint8Array(readFileSync(vmlinuxPath)));
const spec = loadObjectSpec(fixture);
const program = [...spec.programs.values()][0];
const fixups = resolveCoreRelocations(spec.btf, spec.btfExt, { vmlinux });
const out = {
  vmlinuxTypes: vmlinux.lastId,
  taskStruct: vmlinux.idsByName("task_struct").length,
  kernelBtfTypes: kernelBtf().lastId,
  elfSections: new ElfFile(new Uint8Array(readFileSync(fixture))).sections.length,
  dumpC: dumpCText(spec.btf),
  disasm: dumpXlated(program.instructions),
  fixups: fixups.length,
  vm: String(new Machine().run(VmProgram.fromBytes(Uint8Array.from([0xb7, 0, 0, 0, 42, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]))).r0),
};
// An object's XDP program test-run in the machine: maps, CO-RE against the given BTF, no kernel.
const vmSpec = loadObjectSpec(vmObject);
const vmColl = VmCollection.load(vmSpec, { btf: vmlinux });
const frame = new Uint8Array(64);
frame.set([0x08, 0x00, 0x45], 12);
out.vmXdp = vmColl.program("xdp_parse").testRun({ data: frame }).retval;
const bss = vmColl.map(".bss").lookup(new Uint8Array(4));
out.vmPackets = String(new DataView(bss.buffer, bss.byteOffset).getBigUint64(vmSpec.variable("packets_seen").offset, true));

// Imported outside the try: importing the whole API must not need the addon.
const { Map, MapType } = await import("tsbpf");
let kernelCall;
try {
  Map.create({ type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 1 });
  kernelCall = { created: true };
} catch (e) {
  kernelCall = { name: e.name, code: e.code, message: e.message };
}
out.kernelCall = kernelCall;
process.stdout.write(JSON.stringify(out));
`;

test("pure subpaths import and run without the native addon; a kernel call says how to build it", (t) => {
  const { dir, pkg } = projectWithoutAddon();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.ok(!existsSync(path.join(pkg, "build")) && !existsSync(path.join(pkg, "prebuilds")));
  writeFileSync(path.join(dir, "child.mjs"), CHILD);

  const env = { ...process.env };
  delete env.TSBPF_NATIVE_ADDON;
  const r = spawnSync(process.execPath, ["child.mjs", FIXTURE, VMLINUX, VM_OBJECT], { cwd: dir, env, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    vmlinuxTypes: number; taskStruct: number; kernelBtfTypes: number; elfSections: number; dumpC: string; disasm: string;
    fixups: number; vm: string; vmXdp: number; vmPackets: string; kernelCall: { name?: string; code?: string; message?: string; created?: boolean };
  };

  // The same answers as this process, which has the addon.
  const vmlinux = loadBtfFile(VMLINUX);
  const spec = loadObjectSpec(FIXTURE);
  assert.equal(out.vmlinuxTypes, vmlinux.lastId);
  assert.equal(out.kernelBtfTypes, vmlinux.lastId);
  assert.ok(out.taskStruct >= 1);
  assert.ok(out.elfSections > 5);
  assert.match(out.dumpC, /^struct /m);
  assert.equal(out.dumpC, dumpCText(spec.btf!));
  assert.match(out.disasm, /exit/);
  assert.equal(out.disasm, dumpXlated([...spec.programs.values()][0]!.instructions));
  assert.ok(out.fixups > 0);
  assert.equal(out.vm, "42");
  assert.equal(out.vmXdp, 2 /* XDP_PASS: an IPv4 frame that is neither UDP nor TCP */);
  assert.equal(out.vmPackets, "1");

  assert.equal(out.kernelCall.name, "NativeAddonError");
  assert.equal(out.kernelCall.code, "NATIVE_ADDON");
  assert.match(out.kernelCall.message ?? "", /npm rebuild tsbpf/);
  assert.match(out.kernelCall.message ?? "", /C compiler, python3 and make/);
});

test("the CLI's btf dump works without the native addon; a kernel command says how to build it", (t) => {
  const { dir, pkg } = projectWithoutAddon();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cli = path.join(pkg, "dist/lib/cli.js");
  const env = { ...process.env };
  delete env.TSBPF_NATIVE_ADDON;

  const dump = spawnSync(process.execPath, [cli, "btf", "dump", "file", FIXTURE, "format", "c"], { env, encoding: "utf8" });
  assert.equal(dump.status, 0, dump.stderr);
  assert.equal(dump.stdout, dumpCText(loadObjectSpec(FIXTURE).btf!));

  const show = spawnSync(process.execPath, [cli, "map", "show"], { env, encoding: "utf8" });
  assert.notEqual(show.status, 0);
  assert.match(show.stderr, /npm rebuild tsbpf/);
  assert.match(show.stderr, /NATIVE_ADDON/);
});
