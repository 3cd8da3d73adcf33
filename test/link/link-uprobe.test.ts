// attachUprobe on the real kernel, against a C program compiled at test time:
// uprobes count exact calls and read the first argument, uretprobes read the
// return value, a pid filter ignores another process of the same binary,
// symbol+offset probes the instruction objdump names, SEC() names give the
// target, cookies and USDT semaphores (refCtrOffset) reach the kernel, and
// errors are typed and leave nothing behind. File offsets are checked
// against objdump and program headers against readelf.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import type { BpfMap } from "../../src/map.js";
import { Program, ProgramType } from "../../src/program.js";
import { ProgramBuilder, R0, R1, R2, R6, R10 } from "../../src/asm/index.js";
import { ElfFile, ElfError, loadSegmentAt, PT } from "../../src/elf/index.js";
import { InvalidArgumentError, NotFoundError, NotSupportedError } from "../../src/sys/errors.js";
import { LinkType, PerfEventLinkType } from "../../src/sys/link-info.js";
import { attachUprobe, resolveUprobeBinary, symbolFileOffset, uprobeOfSection } from "../../src/link/index.js";
import { cookieProgram, counterMap, readCounter } from "../sys/sys-attach-helpers.js";
import { buildTarget, objdumpFunction, TargetProcess, type TargetBinary } from "./uprobe-target.js";
import { type Skippable, missingOracle, skipFor } from "../util/environment.js";

/** Offsets in struct pt_regs of the first argument and of the return value (32-bit reads, little-endian). */
const regs = process.arch === "x64" ? { arg0: 112 /* di */, ret: 80 /* ax */ }
  : process.arch === "arm64" ? { arg0: 0, ret: 0 /* x0 both */ } : undefined;

let target: TargetBinary | undefined;
let cannotRun: ((t: Skippable) => void) | undefined;
before(() => {
  if (!regs) cannotRun = (t) => skipFor(t, "unsupported architecture", "no pt_regs offsets");
  else if (!(target = buildTarget())) cannotRun = (t) => missingOracle(t, "cc", "to build the target program");
});
after(() => target?.remove());

/** counter 0 += 1, counter 1 += the 32-bit register at `regOffset` of pt_regs. */
function registerSummer(map: BpfMap, regOffset: number, sectionName?: string): Program {
  const b = new ProgramBuilder().ldxW(R6, R1, regOffset);
  for (const [index, add] of [[0, "one"], [1, "reg"]] as const) {
    b.stW(R10, -4, index).mov64Reg(R2, R10).add64Imm(R2, -4).ldMapFd(R1, map.fd).call("map_lookup_elem")
      .jeqImm(R0, 0, "out");
    if (add === "one") b.mov64Imm(R1, 1).atomicAdd64(R0, R1, 0);
    else b.atomicAdd64(R0, R6, 0);
  }
  b.label("out").mov64Imm(R0, 0).exit();
  return Program.load({
    type: ProgramType.Kprobe, instructions: b.build(), license: "GPL", name: "tsbpf_usum",
    ...(sectionName ? { sectionName } : {}),
  });
}

function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

/** Sum of x and of 2x+1 over x in [0, n). */
const argSum = (n: number): bigint => BigInt((n * (n - 1)) / 2);
const retSum = (n: number): bigint => 2n * argSum(n) + BigInt(n);

test("symbol → file offset matches objdump; program headers match readelf", (t) => {
  if (cannotRun) return cannotRun(t);
  const bin = target!.path;
  const elf = new ElfFile(readFileSync(bin));
  const resolved = symbolFileOffset(elf, bin, "tsbpf_target");
  assert.equal(resolved.offset, objdumpFunction(bin, "tsbpf_target").fileOffset);
  assert.equal(resolved.table, ".symtab");
  assert.notEqual(BigInt(resolved.offset), resolved.symbol.value, "non-PIE: vaddr and file offset differ");

  const readelf = spawnSync("readelf", ["-lW", bin], { encoding: "utf8" });
  const loads = [...readelf.stdout.matchAll(/^\s+LOAD\s+0x([0-9a-f]+) 0x([0-9a-f]+) 0x[0-9a-f]+ 0x([0-9a-f]+) 0x([0-9a-f]+)/gm)]
    .map((m) => ({ offset: parseInt(m[1]!, 16), vaddr: BigInt(`0x${m[2]}`), fileSize: parseInt(m[3]!, 16), memSize: BigInt(`0x${m[4]}`) }));
  assert.ok(loads.length >= 2, readelf.stdout);
  assert.deepEqual(
    elf.segments().filter((s) => s.type === PT.LOAD).map((s) => ({ offset: s.offset, vaddr: s.vaddr, fileSize: s.fileSize, memSize: s.memSize })),
    loads,
  );
  assert.equal(loadSegmentAt(elf.segments(), 0n), undefined);
  // A truncated program header table is an ElfError, not a RangeError.
  const bytes = readFileSync(bin);
  assert.throws(() => new ElfFile(bytes.subarray(0, elf.header.phoff + 10)).segments(), ElfError);
});

test("uprobe counts exact calls and sees the argument; uretprobe sees the return value; close detaches", async (t) => {
  if (cannotRun) return cannotRun(t);
  const proc = new TargetProcess(target!.path);
  using map = counterMap(2);
  using entry = registerSummer(map, regs!.arg0);
  using retMap = counterMap(2);
  using exit = registerSummer(retMap, regs!.ret);
  try {
    const link = attachUprobe(entry, { binary: target!.path, symbol: "tsbpf_target" });
    const retLink = attachUprobe(exit, { binary: target!.path, symbol: "tsbpf_target", retprobe: true });
    try {
      assert.equal(await proc.call(6), Number(retSum(6)));
      assert.equal(readCounter(map, 0), 6n);
      assert.equal(readCounter(map, 1), argSum(6));
      assert.equal(readCounter(retMap, 0), 6n);
      assert.equal(readCounter(retMap, 1), retSum(6));
      assert.equal(link.isBpfLink, true);
      assert.equal(link.target, `uprobe ${target!.path}:tsbpf_target`);
      const info = link.info();
      assert.equal(info.type, LinkType.PERF_EVENT);
      assert.equal(info.perfEvent?.type, PerfEventLinkType.UPROBE);
      assert.equal(info.perfEvent?.name, target!.path);
      assert.equal(info.perfEvent?.offset, objdumpFunction(target!.path, "tsbpf_target").fileOffset);
      assert.equal(retLink.info().perfEvent?.type, PerfEventLinkType.URETPROBE);
    } finally {
      link.close();
      retLink.close();
    }
    await proc.call(4);
    assert.equal(readCounter(map, 0), 6n, "no counting after close");
    assert.equal(readCounter(retMap, 0), 6n);
  } finally {
    await proc.stop();
  }
});

test("pid filter: another process of the same binary does not count; without it both do", async (t) => {
  if (cannotRun) return cannotRun(t);
  const a = new TargetProcess(target!.path);
  const b = new TargetProcess(target!.path);
  try {
    using map = counterMap(2);
    using prog = registerSummer(map, regs!.arg0);
    {
      using link = attachUprobe(prog, { binary: target!.path, symbol: "tsbpf_target", pid: a.pid });
      assert.match(link.target, new RegExp(`pid ${a.pid}$`));
      await a.call(5);
      await b.call(7);
      assert.equal(readCounter(map, 0), 5n);
    }
    {
      using _all = attachUprobe(prog, { binary: target!.path, symbol: "tsbpf_target" });
      await a.call(3);
      await b.call(4);
      assert.equal(readCounter(map, 0), 5n + 7n);
    }
    // A bare name is found in the process's mappings.
    {
      using link = attachUprobe(prog, { binary: path.basename(target!.path), symbol: "tsbpf_target", pid: b.pid });
      assert.equal(link.info().perfEvent?.name, target!.path);
      await b.call(2);
      assert.equal(readCounter(map, 0), 14n);
    }
  } finally {
    await a.stop();
    await b.stop();
  }
});

test("symbol+offset probes the instruction objdump names; a bare file offset works too", async (t) => {
  if (cannotRun) return cannotRun(t);
  const fn = objdumpFunction(target!.path, "tsbpf_target");
  const ret = fn.retOffsets[0];
  if (ret === undefined || ret === 0) return missingOracle(t, "objdump", "it shows no ret after the first instruction of the target");
  const proc = new TargetProcess(target!.path);
  try {
    using map = counterMap(2);
    using prog = registerSummer(map, regs!.ret);
    {
      // At the ret instruction the result is already in the return register.
      using link = attachUprobe(prog, { binary: target!.path, symbol: `tsbpf_target+0x${ret.toString(16)}` });
      assert.equal(link.info().perfEvent?.offset, fn.fileOffset + ret);
      await proc.call(5);
      assert.equal(readCounter(map, 1), retSum(5));
    }
    {
      using _link = attachUprobe(prog, { binary: target!.path, symbol: "tsbpf_target", offset: ret, method: "ioctl" });
      assert.equal(_link.isBpfLink, false);
      await proc.call(3);
      assert.equal(readCounter(map, 0), 8n);
      assert.equal(readCounter(map, 1), retSum(5) + retSum(3));
    }
    using entryMap = counterMap(2);
    using entry = registerSummer(entryMap, regs!.arg0);
    {
      using _link = attachUprobe(entry, { binary: target!.path, offset: fn.fileOffset });
      await proc.call(4);
      assert.equal(readCounter(entryMap, 1), argSum(4));
    }
  } finally {
    await proc.stop();
  }
});

test("SEC(\"uprobe/PATH:FUNC\") and SEC(\"uretprobe/…\") give the target; cookies reach the program", async (t) => {
  if (cannotRun) return cannotRun(t);
  assert.deepEqual(uprobeOfSection("uprobe//usr/lib/libc.so.6:malloc"), { retprobe: false, binary: "/usr/lib/libc.so.6", symbol: "malloc", offset: 0 });
  assert.deepEqual(uprobeOfSection("uretprobe.s/libc.so.6:malloc+0x10"), { retprobe: true, binary: "libc.so.6", symbol: "malloc", offset: 16 });
  assert.deepEqual(uprobeOfSection("uprobe//bin/x:0x1234"), { retprobe: false, binary: "/bin/x", offset: 0x1234 });
  assert.equal(uprobeOfSection("uprobe"), undefined);
  assert.equal(uprobeOfSection("uprobe.multi//bin/x:f"), undefined);

  const proc = new TargetProcess(target!.path);
  try {
    using map = counterMap(2);
    using prog = registerSummer(map, regs!.ret, `uretprobe/${target!.path}:tsbpf_target`);
    {
      using link = attachUprobe(prog);
      assert.equal(link.target, `uretprobe ${target!.path}:tsbpf_target`);
      await proc.call(4);
    }
    assert.equal(readCounter(map, 1), retSum(4));

    using cookies = counterMap(2);
    using cookieProg = Program.load({ type: ProgramType.Kprobe, instructions: cookieProgram(cookies), license: "GPL", name: "tsbpf_ucookie" });
    {
      using link = attachUprobe(cookieProg, { binary: target!.path, symbol: "tsbpf_target", cookie: 0xc0ffee_1234n, pid: proc.pid });
      assert.equal(link.info().perfEvent?.cookie, 0xc0ffee_1234n);
      await proc.call(1);
    }
    assert.equal(readCounter(cookies, 1), 0xc0ffee_1234n);
    assert.throws(() => attachUprobe(cookieProg, { binary: target!.path, symbol: "tsbpf_target", cookie: 1n, method: "ioctl" }), NotSupportedError);
  } finally {
    await proc.stop();
  }
});

test("refCtrOffset: the kernel bumps the semaphore while the probe is attached", async (t) => {
  if (cannotRun) return cannotRun(t);
  const elf = new ElfFile(readFileSync(target!.path));
  const sema = elf.symbols().find((s) => s.name === "tsbpf_sema")!;
  const segment = loadSegmentAt(elf.segments(), sema.value)!;
  const semaOffset = Number(sema.value - segment.vaddr) + segment.offset;
  const proc = new TargetProcess(target!.path);
  try {
    using map = counterMap(2);
    using prog = registerSummer(map, regs!.arg0);
    assert.equal(await proc.semaphore(), 0);
    {
      using _link = attachUprobe(prog, { binary: target!.path, symbol: "tsbpf_target", pid: proc.pid, refCtrOffset: semaOffset });
      assert.equal(await proc.semaphore(), 1);
      await proc.call(2);
      assert.equal(readCounter(map, 0), 2n);
    }
    assert.equal(await proc.semaphore(), 0, "released on detach");
  } finally {
    await proc.stop();
  }
});

test("libraries by bare name: from /proc/<pid>/maps and the library directories (.dynsym, versioned names)", (t) => {
  const mapped = /\s(\/\S*\/libc\.so\.6)$/m.exec(readFileSync("/proc/self/maps", "utf8"))?.[1];
  if (!mapped) return skipFor(t, "no glibc");
  assert.equal(resolveUprobeBinary("libc.so.6", process.pid), mapped);
  assert.equal(resolveUprobeBinary("libc.so", process.pid), mapped);
  assert.equal(realpathSync(resolveUprobeBinary("libc.so.6")), realpathSync(mapped));
  const libc = new ElfFile(readFileSync(mapped));
  assert.equal(symbolFileOffset(libc, mapped, "getppid").table, ".dynsym");

  using map = counterMap(2);
  using prog = registerSummer(map, 0);
  {
    using _link = attachUprobe(prog, { binary: "libc.so.6", symbol: "getppid", pid: process.pid });
    for (let i = 0; i < 10; i++) void process.ppid;
  }
  assert.ok(readCounter(map, 0) >= 10n, `getppid probe hit ${readCounter(map, 0)} times`);
});

test("errors are typed, name the binary, and leave nothing open or attached", async (t) => {
  if (cannotRun) return cannotRun(t);
  const bin = target!.path;
  using map = counterMap(2);
  using prog = registerSummer(map, regs!.arg0);
  using filter = Program.load({ type: ProgramType.SocketFilter, instructions: new ProgramBuilder().mov64Imm(R0, 0).exit().build(), license: "GPL" });
  const notElf = path.join(target!.dir, "main.c");
  writeFileSync(path.join(target!.dir, "empty"), "");
  const before = openFds();
  const symbol = "tsbpf_target";
  assert.throws(() => attachUprobe(prog, { binary: "/nonexistent/tsbpf", symbol }), (e) => e instanceof NotFoundError && /\/nonexistent\/tsbpf/.test(e.message));
  assert.throws(() => attachUprobe(prog, { binary: "no_such_lib_tsbpf.so.1", symbol }), (e) => e instanceof NotFoundError && /library directories/.test(e.message));
  assert.throws(() => attachUprobe(prog, { binary: "no_such_lib_tsbpf.so", symbol, pid: process.pid }), (e) => e instanceof NotFoundError && /\/proc\/\d+\/maps/.test(e.message));
  assert.throws(() => attachUprobe(prog, { binary: bin, symbol: "no_such_fn" }),
    (e) => e instanceof NotFoundError && e.message.includes(bin) && /no_such_fn/.test(e.message));
  assert.throws(() => attachUprobe(prog, { binary: bin, symbol: "tsbpf_data" }), (e) => e instanceof InvalidArgumentError && /not a function/.test(e.message));
  assert.throws(() => attachUprobe(prog, { binary: bin, symbol: "tsbpf_dup" }), (e) => e instanceof InvalidArgumentError && /ambiguous/.test(e.message));
  assert.throws(() => attachUprobe(prog, { binary: bin, symbol: "tsbpf_ifunc" }), (e) => e instanceof InvalidArgumentError && /STT_GNU_IFUNC/.test(e.message));
  assert.throws(() => attachUprobe(prog, { binary: notElf, symbol }), ElfError);
  assert.throws(() => attachUprobe(prog, { binary: path.join(target!.dir, "empty"), symbol }), ElfError);
  assert.throws(() => attachUprobe(prog, { binary: bin }), (e) => e instanceof InvalidArgumentError && /symbol or a file offset/.test(e.message));
  assert.throws(() => attachUprobe(prog, { binary: bin, symbol, offset: -1 }), InvalidArgumentError);
  assert.throws(() => attachUprobe(prog), (e) => e instanceof InvalidArgumentError && /give the binary/.test(e.message));
  assert.throws(() => attachUprobe(filter, { binary: bin, symbol }), (e) => e instanceof InvalidArgumentError && /socket_filter/.test(e.message));
  // The kernel refuses an offset past the end of the file: the perf event never opens.
  assert.throws(() => attachUprobe(prog, { binary: bin, offset: 1 << 30 }));
  // A pid above any pid_max: the kernel's ESRCH, said in words.
  assert.throws(() => attachUprobe(prog, { binary: bin, symbol, pid: 0x3fff_ffff }),
    (e) => e instanceof NotFoundError && /no process with pid 1073741823/.test(e.message));
  assert.equal(openFds(), before, "no fd left behind");
  const proc = new TargetProcess(bin);
  try {
    await proc.call(3);
  } finally {
    await proc.stop();
  }
  assert.equal(readCounter(map, 0), 0n, "nothing attached");
});
