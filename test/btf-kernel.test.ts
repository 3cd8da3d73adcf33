import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import {
  Btf, BtfLoadError, ElfFile, FD, btfFromElf, btfInfo, encodeBtf, kernelBtfIds, loadBtf, readKernelBtfById,
  kernelBtf, loadBtfFile, vmlinuxSearchPaths, type BtfType,
} from "../src/index.js";
import { openFdCount } from "./util/kernel.js";

const fixtures = new URL("../../test/fixtures/btf/", import.meta.url).pathname;

/**
 * Object BTF as clang emits it has DATASEC sizes and variable offsets of 0;
 * like a loader, fill them in from the ELF sections and symbols before
 * BPF_BTF_LOAD (the kernel rejects empty datasecs).
 */
function objectBtfForKernel(name: string): Uint8Array {
  const elf = new ElfFile(readFileSync(fixtures + name));
  const { btf } = btfFromElf(elf);
  assert.ok(btf);
  const symbols = elf.symbols();
  const types = [...btf].map((t): BtfType => {
    if (t.kind !== "DATASEC") return t;
    const section = elf.section(t.name);
    assert.ok(section, t.name);
    return {
      ...t, size: section.size,
      vars: t.vars.map((v) => {
        const sym = symbols.find((s) => s.name === btf.nameOf(v.type) && s.sectionIndex === section.index);
        assert.ok(sym);
        return { ...v, offset: Number(sym.value) };
      }),
    };
  });
  return encodeBtf(types);
}

test("program BTF loads into the kernel and reads back by id, byte for byte", () => {
  const fdsBefore = openFdCount();
  for (const name of ["kinds.bpf.o", "core.bpf.o"]) {
    const bytes = objectBtfForKernel(name);
    const fd = loadBtf(bytes);
    try {
      const info = btfInfo(fd);
      assert.ok(info.id > 0);
      assert.equal(info.kernelBtf, false);
      assert.equal(info.size, bytes.byteLength);
      assert.ok(kernelBtfIds().includes(info.id));
      const back = readKernelBtfById(info.id);
      assert.deepEqual(new Uint8Array(back.btf.bytes), new Uint8Array(bytes));
      assert.deepEqual([...back.btf], [...new Btf(bytes)]);
    } finally {
      fd.close();
    }
  }
  assert.equal(openFdCount(), fdsBefore, "no fd leaked");
});

test("rejected BTF gives BtfLoadError with the kernel's log, growing a too-small log buffer", () => {
  const bad = encodeBtf([
    { kind: "INT", name: "int", kindFlag: false, size: 4, signed: true, char: false, bool: false, bitOffset: 0, bits: 32 },
    { kind: "PTR", name: "", kindFlag: false, type: 99 },
  ]);
  const fdObjects = FD.openCount;
  const fds = openFdCount();
  for (const logSize of [undefined, 8]) {
    assert.throws(() => loadBtf(bad, { logSize }), (e: unknown) => {
      assert.ok(e instanceof BtfLoadError);
      assert.equal(e.code, "BTF_LOAD");
      assert.equal(e.errno, 22);
      assert.match(e.log, /\[2\] PTR/);
      assert.match(e.log, /Invalid type_id/);
      assert.match(e.message, /Invalid type_id/);
      return true;
    });
  }
  assert.equal(FD.openCount, fdObjects);
  assert.equal(openFdCount(), fds);
});

test("vmlinux BTF read by id equals /sys/kernel/btf/vmlinux", (t) => {
  if (!existsSync("/sys/kernel/btf/vmlinux")) return t.skip("kernel has no BTF in sysfs");
  const sysfs = readFileSync("/sys/kernel/btf/vmlinux");
  let found = false;
  for (const id of kernelBtfIds()) {
    let btf: Btf;
    let info;
    try {
      ({ btf, info } = readKernelBtfById(id));
    } catch (e) {
      // BTF objects can disappear between listing and opening.
      if ((e as { code?: string }).code === "NOT_FOUND") continue;
      throw e;
    }
    if (info.name !== "vmlinux") continue;
    assert.equal(info.kernelBtf, true);
    assert.equal(Buffer.compare(Buffer.from(btf.bytes), sysfs), 0);
    assert.equal(btf.count, kernelBtf().count);
    found = true;
    break;
  }
  assert.ok(found, "the kernel lists its own BTF");
});

test("kernel BTF discovery: sysfs, fallback paths, explicit files", () => {
  const paths = vmlinuxSearchPaths("6.1.0-test");
  assert.ok(paths.includes("/boot/vmlinux-6.1.0-test"));
  assert.ok(paths.includes("/usr/lib/debug/lib/modules/6.1.0-test/vmlinux"));
  assert.ok(paths.includes("/lib/modules/6.1.0-test/build/vmlinux"));
  const viaElf = loadBtfFile(fixtures + "kinds.bpf.o");
  assert.equal(viaElf.count, btfFromElf(readFileSync(fixtures + "kinds.bpf.o")).btf?.count);
  if (existsSync("/sys/kernel/btf/vmlinux")) {
    const raw = loadBtfFile("/sys/kernel/btf/vmlinux");
    assert.equal(raw.count, kernelBtf().count);
    assert.equal(kernelBtf(), kernelBtf(), "cached");
    assert.equal(Buffer.compare(Buffer.from(kernelBtf().bytes), readFileSync("/sys/kernel/btf/vmlinux")), 0);
  }
  assert.throws(() => loadBtfFile("/nonexistent/vmlinux"), { code: "NOT_FOUND" });
  assert.throws(() => loadBtfFile("/etc/hostname"), { code: "INVALID_BTF" });
});
