import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProgramBuilder, R0, R1 } from "../../src/asm/index.js";
import { Program, ProgramType } from "../../src/program.js";
import { NotFoundError, PermissionError, InvalidArgumentError, BadFdError, pinFd } from "../../src/sys/index.js";
import { bpffsTempDir } from "../util/kernel.js";
import { BpfMap, MapType } from "../../src/map.js";
import { createArrayMap, mapId, updateArray } from "./program-util.js";
import { requireOracle } from "../util/environment.js";

interface BpftoolProg {
  id: number; type: string; name: string; tag: string; gpl_compatible: boolean;
  bytes_xlated: number; bytes_jited: number; map_ids?: number[]; pinned?: string[]; btf_id?: number;
}

function bpftoolShow(id: number): BpftoolProg {
  return JSON.parse(execFileSync("bpftool", ["-j", "prog", "show", "id", String(id)], { encoding: "utf8" })) as BpftoolProg;
}

/** A program that uses two maps (so it has map ids) and returns a map-derived value. */
function programUsing(mapA: number, mapB: number): Uint8Array {
  return new ProgramBuilder()
    .ldMapValue(R1, mapA, 0).ldxDW(R0, R1, 0)
    .ldMapValue(R1, mapB, 0).ldxDW(R1, R1, 0)
    .add64Reg(R0, R1)
    .exit().build();
}

test("info matches what was loaded and what bpftool reports", (t) => {
  using a = createArrayMap(8, 1, "info_a");
  using b = createArrayMap(8, 1, "info_b");
  const insns = programUsing(a.raw, b.raw);
  using prog = Program.load({ type: ProgramType.XDP, instructions: insns, license: "GPL", name: "info_check" });
  const info = prog.info();
  assert.equal(info.name, "info_check");
  assert.equal(info.type, ProgramType.XDP);
  assert.equal(info.typeName, "xdp");
  assert.equal(info.id, prog.id);
  assert.equal(info.xlatedInstructions.byteLength, insns.byteLength, "one xlated instruction per loaded one");
  assert.deepEqual([...info.mapIds].sort((x, y) => x - y), [mapId(a), mapId(b)].sort((x, y) => x - y));
  assert.equal(info.gplCompatible, true);
  assert.equal(info.createdByUid, process.getuid?.() ?? 0);
  assert.ok(info.loadTime > 0n);
  assert.ok(info.verifiedInstructions > 0);
  assert.ok(info.jitedInstructions.byteLength > 0, "the JIT is on");
  assert.equal(info.jitedSymbols.length, 1);
  assert.equal(info.jitedFunctionLengths[0], info.jitedInstructions.byteLength);
  assert.equal(info.funcInfo.length, 0);
  assert.equal(info.btfId, 0);

  if (!requireOracle(t, "bpftool")) return;
  const shown = bpftoolShow(prog.id);
  assert.equal(shown.tag, info.tag);
  assert.equal(shown.name, info.name);
  assert.equal(shown.type, info.typeName);
  assert.equal(shown.bytes_xlated, info.xlatedInstructions.byteLength);
  assert.equal(shown.bytes_jited, info.jitedInstructions.byteLength);
  assert.equal(shown.gpl_compatible, info.gplCompatible);
  assert.deepEqual(shown.map_ids, info.mapIds);

  // The xlated (and, when bpftool can, jited) bytes equal bpftool's raw dumps byte for byte.
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-prog-"));
  try {
    execFileSync("bpftool", ["prog", "dump", "xlated", "id", String(prog.id), "file", join(dir, "x")]);
    assert.deepEqual(new Uint8Array(readFileSync(join(dir, "x"))), info.xlatedInstructions);
    try {
      execFileSync("bpftool", ["prog", "dump", "jited", "id", String(prog.id), "file", join(dir, "j")], { stdio: "pipe" });
    } catch {
      // Debian's bpftool is built without libbfd and refuses jited dumps altogether.
      t.diagnostic("bpftool cannot dump jited code here (no libbfd); jited bytes checked by length only");
    }
    if (existsSync(join(dir, "j"))) assert.deepEqual(new Uint8Array(readFileSync(join(dir, "j"))), info.jitedInstructions);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("pin, reopen by pin and by id, list, unpin", (t) => {
  const tmp = bpffsTempDir("tsbpf-prog-");
  const path = join(tmp.path, "pinned_prog");
  try {
    using prog = Program.load({ type: ProgramType.SocketFilter, instructions: new ProgramBuilder().mov64Imm(R0, 9).exit().build(), license: "GPL", name: "pin_me" });
    prog.pin(path);
    assert.equal(prog.pinnedPath, path);
    assert.ok(existsSync(path));
    {
      using byPin = Program.openPinned(path);
      assert.equal(byPin.id, prog.id);
      assert.equal(byPin.tag, prog.tag);
      assert.equal(byPin.name, "pin_me");
      assert.equal(byPin.type, ProgramType.SocketFilter);
      assert.equal(byPin.testRun({ data: new Uint8Array(14) }).retval, 9);
      using byId = Program.fromId(prog.id);
      assert.equal(byId.tag, prog.tag);
      assert.equal(byId.pinnedPath, undefined);
      assert.deepEqual(Program.infoById(prog.id).tag, prog.tag);
    }
    if (requireOracle(t, "bpftool", "pin not cross-checked")) {
      const shown = JSON.parse(execFileSync("bpftool", ["-j", "prog", "show", "pinned", path], { encoding: "utf8" })) as BpftoolProg;
      assert.equal(shown.id, prog.id);
    }

    const ids = Program.ids();
    assert.ok(ids.includes(prog.id));
    assert.deepEqual(ids, [...ids].sort((x, y) => x - y));
    const listed = Program.list().find((p) => p.id === prog.id);
    assert.ok(listed);
    assert.equal(listed.name, "pin_me");
    assert.equal(listed.tag, prog.tag);

    // fromFd takes a number as BpfMap.fromFd does: ownership passes on success, stays on failure.
    using byNumber = Program.fromFd(prog.fd.dup().release());
    assert.equal(byNumber.tag, prog.tag);
    assert.throws(() => Program.fromFd(-1), BadFdError);
    assert.throws(() => Program.fromFd("3" as unknown as number), InvalidArgumentError);

    prog.unpin();
    assert.equal(existsSync(path), false);
    assert.throws(() => prog.unpin(), NotFoundError);
    assert.throws(() => Program.openPinned(path), NotFoundError);
  } finally {
    tmp.cleanup();
  }
});

test("opening what is not there, or pinning outside bpffs, gives typed errors", () => {
  assert.throws(() => Program.fromId(0x7fff_fff0), NotFoundError);
  assert.throws(() => Program.infoById(0x7fff_fff0), NotFoundError);
  using prog = Program.load({ type: ProgramType.SocketFilter, instructions: new ProgramBuilder().mov64Imm(R0, 0).exit().build(), license: "GPL" });
  assert.throws(() => prog.pin("/tmp/not-bpffs-prog"), (e: unknown) => e instanceof PermissionError || e instanceof InvalidArgumentError);
  assert.throws(() => prog.pin("/sys/fs/bpf/no/such/dir/prog"), NotFoundError);
  // A pinned map is not a program.
  const tmp = bpffsTempDir("tsbpf-prog-");
  try {
    using map = createArrayMap(4, 1);
    pinFd(map, join(tmp.path, "m"));
    assert.throws(() => Program.openPinned(join(tmp.path, "m")), BadFdError);
  } finally {
    tmp.cleanup();
  }
});

test("bindMap adds a map to the program's map ids", () => {
  using map = BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 16, maxEntries: 1, name: "bound_meta" });
  using prog = Program.load({ type: ProgramType.SocketFilter, instructions: new ProgramBuilder().mov64Imm(R0, 0).exit().build(), license: "GPL" });
  assert.deepEqual(prog.info().mapIds, []);
  prog.bindMap(map);
  prog.bindMap(map.fd);
  assert.deepEqual(prog.info().mapIds, [mapId(map.fd)]);
});

test("fdArray lets instructions name maps by index (Linux 5.14)", () => {
  using first = createArrayMap(8, 1, "idx_first");
  using second = createArrayMap(8, 1, "idx_second");
  const value = new Uint8Array(8);
  new DataView(value.buffer).setBigUint64(0, 31337n, true);
  updateArray(second, 0, value);
  // r0 = *(u64 *)&second[0], with "second" named as fd_array[1].
  const insns = new ProgramBuilder().ldMapIdxValue(R1, 1, 0).ldxDW(R0, R1, 0).exit().build();
  using prog = Program.load({ type: ProgramType.SocketFilter, instructions: insns, license: "GPL", fdArray: [first, second] });
  assert.equal(prog.testRun({ data: new Uint8Array(14) }).retval, 31337);
  assert.deepEqual(prog.info().mapIds, [mapId(second)]);
});
