import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Btf, BtfLoadError, FD } from "../../src/index.js";
import {
  btfFromElf,
  btfInfo,
  encodeBtf,
  kernelBtfIds,
  loadBtf,
  readKernelBtfById,
  kernelBtf,
  loadBtfFile,
  vmlinuxSearchPaths,
  type BtfType,
} from "../../src/btf/index.js";
import { ElfFile } from "../../src/elf/index.js";
import { openFdCount } from "../util/kernel.js";
import { skipFor } from "../util/environment.js";

const fixtures = new URL("../../../test/fixtures/btf/", import.meta.url).pathname;

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
  if (!existsSync("/sys/kernel/btf/vmlinux")) return skipFor(t, "no vmlinux BTF");
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
  assert.throws(() => loadBtfFile("/etc"), { code: "INVALID_BTF" }, "a directory");
});

/** A minimal ELF64 (x86-64, EXEC) holding one .BTF section: the shape of a vmlinux image or a btfhub file. */
function elfWithBtf(btf: Uint8Array): Uint8Array {
  const names = Buffer.from("\0.shstrtab\0.BTF\0");
  const btfAt = 64;
  const namesAt = btfAt + btf.length;
  const shoff = Math.ceil((namesAt + names.length) / 8) * 8;
  const out = Buffer.alloc(shoff + 3 * 64);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  out.writeUInt16LE(2, 16);
  out.writeUInt16LE(62, 18);
  out.writeUInt32LE(1, 20);
  out.writeBigUInt64LE(BigInt(shoff), 40);
  out.writeUInt16LE(64, 52);
  out.writeUInt16LE(64, 58);
  out.writeUInt16LE(3, 60);
  out.writeUInt16LE(1, 62);
  out.set(btf, btfAt);
  out.set(names, namesAt);
  const section = (i: number, name: number, type: number, offset: number, size: number): void => {
    const o = shoff + i * 64;
    out.writeUInt32LE(name, o);
    out.writeUInt32LE(type, o + 4);
    out.writeBigUInt64LE(BigInt(offset), o + 24);
    out.writeBigUInt64LE(BigInt(size), o + 32);
    out.writeBigUInt64LE(1n, o + 48);
  };
  section(1, 1, 3, namesAt, names.length);
  section(2, 11, 1, btfAt, btf.length);
  return out;
}

test("BTF from an ELF vmlinux image (the fallback locations, btfhub files)", (t) => {
  if (!existsSync("/sys/kernel/btf/vmlinux")) return skipFor(t, "no vmlinux BTF");
  const raw = readFileSync("/sys/kernel/btf/vmlinux");
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-vmlinux-"));
  try {
    const path = join(dir, "vmlinux-test");
    writeFileSync(path, elfWithBtf(raw));
    const btf = loadBtfFile(path);
    assert.equal(btf.count, kernelBtf().count);
    assert.equal(Buffer.compare(Buffer.from(btf.bytes), raw), 0);
    writeFileSync(join(dir, "no-btf"), elfWithBtf(new Uint8Array(0)));
    assert.throws(() => loadBtfFile(join(dir, "no-btf")), { code: "INVALID_BTF" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
