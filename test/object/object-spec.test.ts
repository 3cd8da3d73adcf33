import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  ObjectSpec,
  loadObjectSpec,
  ProgramFlags,
  ProgramType,
  AttachType,
  MapType,
  Program,
  PermissionError,
  ObjectError,
  type FD,
} from "../../src/index.js";
import { loadBtf } from "../../src/btf/index.js";
import { libbpfView, oracleBinary, oracleUnavailable, type OracleMap } from "../oracle/object-oracle.js";
import { missingOracle, skipFor } from "../util/environment.js";

const fixtures = path.resolve(import.meta.dirname, "../../../test/fixtures/object");
const fixture = (f: string): Uint8Array => readFileSync(path.join(fixtures, f));

// libbpf's user-visible map name: the section name for custom .data.X and .rodata.X maps.
function libbpfName(spec: ObjectSpec, key: string): string {
  const m = spec.map(key);
  return (m.kind === "data" || m.kind === "rodata") && m.sectionName !== ".data" && m.sectionName !== ".rodata" ? m.sectionName : m.name;
}

test("linked programs equal libbpf's loaded instructions (modulo map fds)", (t) => {
  if (!oracleBinary()) return missingOracle(t, "libbpf-dev", oracleUnavailable);
  const bytes = fixture("link.bpf.o");
  const spec = ObjectSpec.parse(bytes, { name: "link" });
  const view = libbpfView(bytes, "link", true);
  assert.equal(view.loadError, undefined, "libbpf loads the fixture");
  let compared = 0;
  for (const lp of view.programs) {
    const p = spec.program(lp.name);
    if (!lp.insns) continue;
    const theirs = Buffer.from(lp.insns, "hex");
    assert.equal(p.bytes.byteLength, theirs.byteLength, `${lp.name}: same length`);
    for (let slot = 0; slot < p.slotCount; slot++) {
      const ref = p.references.get(slot);
      const mine = p.bytes.subarray(slot * 8, slot * 8 + 8);
      const other = theirs.subarray(slot * 8, slot * 8 + 8);
      if (ref?.kind === "map" || ref?.kind === "data") {
        assert.equal(other[0], mine[0], `${lp.name} slot ${slot}: opcode`);
        assert.equal(other[1]! >> 4, ref.kind === "map" ? 1 : 2, `${lp.name} slot ${slot}: libbpf's pseudo source`);
        if (ref.kind === "data") assert.equal(theirs.readInt32LE((slot + 1) * 8 + 4), ref.offset, `${lp.name} slot ${slot}: data offset`);
        slot++;
        continue;
      }
      assert.deepEqual([...mine], [...other], `${lp.name} slot ${slot} (${ref?.kind ?? "plain"})`);
    }
    compared++;
  }
  assert.equal(compared, 2, "both autoloaded programs compared");
  assert.deepEqual(spec.program("first").subprograms, ["loop_cb", "leaf", "middle", "global_helper"]);
  assert.deepEqual(spec.program("second").subprograms, ["leaf", "global_helper"]);
  assert.equal(spec.program("third").autoload, false);
  assert.equal(spec.program("third").sectionName, "socket");
});

test("fixture programs and maps match libbpf's open-time view", (t) => {
  if (!oracleBinary()) return missingOracle(t, "libbpf-dev", oracleUnavailable);
  for (const [file, name] of [["link.bpf.o", "link"], ["maps.bpf.o", "maps"], ["externs.bpf.o", "externs"]] as const) {
    const bytes = fixture(file);
    const spec = ObjectSpec.parse(bytes, { name });
    const view = libbpfView(bytes, name);
    assert.deepEqual([...spec.programs.keys()], view.programs.map((p) => p.name));
    for (const lp of view.programs) {
      const p = spec.program(lp.name);
      assert.equal(p.sectionName, lp.section);
      assert.equal(p.ownSlots, lp.insnCount, `${lp.name}: own instruction count`);
      assert.equal(p.autoload, lp.autoload);
      if (lp.type === 0) continue; // a convention newer than the oracle's libbpf
      assert.equal(p.type, lp.type, `${lp.name}: type`);
      assert.equal(p.expectedAttachType, lp.expectedAttachType, `${lp.name}: attach type`);
    }
    const keys = [...spec.maps.keys()];
    assert.deepEqual(keys.map((k) => libbpfName(spec, k)), view.maps.map((m) => m.name));
    keys.forEach((k, i) => compareMap(spec, k, view.maps[i]!));
  }
});

function compareMap(spec: ObjectSpec, key: string, lm: OracleMap): void {
  const m = spec.map(key);
  assert.deepEqual(
    [m.type, m.keySize, m.valueSize, m.maxEntries, m.flags ?? 0, m.keyTypeId ?? 0, m.valueTypeId ?? 0, m.kind !== "btf" && m.kind !== "legacy"],
    [lm.type, lm.keySize, lm.valueSize, lm.maxEntries, lm.flags, lm.keyTypeId, lm.valueTypeId, lm.internal],
    `map ${key}`,
  );
}

test("SEC() conventions give type, attach type, target and flags", () => {
  const spec = loadObjectSpec(path.join(fixtures, "maps.bpf.o"));
  assert.equal(spec.name, "maps");
  const xdp = spec.program("xdp_prog");
  assert.equal(xdp.type, ProgramType.XDP);
  assert.equal(xdp.flags, ProgramFlags.XDP_HAS_FRAGS);
  const sleepy = spec.program("sleepy");
  assert.equal(sleepy.sleepable, true);
  assert.equal(sleepy.attachTo, "do_unlinkat");
  assert.equal(sleepy.expectedAttachType, AttachType.TraceFentry);
  assert.equal(spec.program("umulti").expectedAttachType, AttachType.TraceUprobeMulti);
  assert.equal(spec.program("umulti").attachTo, "libc.so.6:malloc");
  assert.equal(spec.program("iter_task").attachTo, "task");
  assert.equal(spec.license, "Dual MIT/GPL");
  const tc = spec.program("tc_cls");
  tc.setType(ProgramType.SchedAct);
  assert.equal(tc.type, ProgramType.SchedAct);
  assert.equal(tc.expectedAttachType, 0);
});

test("BTF maps: map-in-map, prog array init, pinning, map_extra", () => {
  const spec = ObjectSpec.parse(fixture("maps.bpf.o"), { name: "maps" });
  const outer = spec.map("outer");
  assert.equal(outer.type, MapType.ArrayOfMaps);
  assert.equal(outer.innerMap?.name, "outer.inner");
  assert.equal(outer.innerMap?.maxEntries, 2);
  assert.deepEqual(outer.initialSlots, ["inner_a", undefined, "inner_b"]);
  assert.deepEqual(spec.map("jumps").initialSlots, [undefined, "tail_a"]);
  assert.equal(spec.map("sized").pinning, "by-name");
  assert.equal(spec.map("bloom").mapExtra, 3n);
  assert.equal(spec.map(".kconfig").valueSize, 5);
  const ext = spec.externs;
  assert.deepEqual([...ext.keys()], ["LINUX_KERNEL_VERSION", "CONFIG_BPF_SYSCALL", "bpf_prog_active"]);
  assert.equal(ext.get("CONFIG_BPF_SYSCALL")?.weak, true);
  assert.equal(ext.get("CONFIG_BPF_SYSCALL")?.kconfigOffset, 4);
  assert.equal(ext.get("bpf_prog_active")?.kind, "ksym");
  assert.equal(ext.get("bpf_prog_active")?.typeId, undefined, "untyped ksym");
  const kinds = new Set([...spec.program("xdp_prog").references.values()].map((r) => r.kind));
  assert.deepEqual([...kinds].sort(), ["data", "kconfig", "ksym", "map"]);
});

test("variables read and write the sections' initial bytes", () => {
  const spec = ObjectSpec.parse(fixture("maps.bpf.o"), { name: "maps" });
  const threshold = spec.variable("threshold");
  assert.equal(threshold.readOnly, true);
  assert.equal(threshold.getNumber(), 42);
  threshold.set(1000);
  assert.equal(threshold.getNumber(), 1000);
  assert.deepEqual([...spec.map(".rodata").initialValue!.subarray(threshold.offset, threshold.offset + 4)], [0xe8, 3, 0, 0]);
  const greeting = spec.variable("greeting");
  assert.equal(new TextDecoder().decode(greeting.get()).replace(/\0+$/, ""), "hello");
  greeting.set(new TextEncoder().encode("bye\0\0\0\0\0"));
  assert.equal(spec.variable("counter").getNumber(), 5);
  assert.equal(spec.variable("zeroed").getBigInt(), 0n);
  spec.variable("zeroed").set(-1n);
  assert.equal(spec.variable("zeroed").getBigInt(true), -1n);
  assert.throws(() => threshold.set(2n ** 40n), { code: "INVALID_ARGUMENT" });
  assert.throws(() => greeting.set(new Uint8Array(3)), { code: "INVALID_ARGUMENT" });
});

test("big-endian objects decode to the same instructions and values", () => {
  for (const base of ["link.bpf", "maps.bpf"]) {
    const le = ObjectSpec.parse(fixture(`${base}.o`), { name: "x" });
    const be = ObjectSpec.parse(fixture(`${base}.eb.o`), { name: "x" });
    assert.equal(be.byteOrder, "be");
    assert.deepEqual([...be.programs.keys()], [...le.programs.keys()]);
    for (const [name, p] of le.programs) {
      const q = be.program(name);
      assert.deepEqual(q.instructions, p.instructions, `${base} ${name}`);
      assert.deepEqual([...q.references], [...p.references]);
    }
    for (const [name, v] of le.variables) {
      if (le.btf?.resolve(v.typeId).kind === "ARRAY") assert.deepEqual(be.variable(name).get(), v.get(), `${base} ${name}`);
      else assert.equal(be.variable(name).getBigInt(), v.getBigInt(), `${base} ${name}`);
    }
  }
});

test("subprograms outside .text link into programs the kernel verifies (with func_info and line_info)", (t) => {
  for (const file of ["local-calls.bpf.o", "local-calls.bpf.eb.o"]) {
    const spec = ObjectSpec.parse(fixture(file), { name: "local" });
    const prog = spec.program("exec_prog");
    assert.deepEqual(prog.subprograms, ["local_twice", "local_cb"]);
    // Every call and callback points at the first slot of the function it names.
    const starts = new Map<string, number>([["exec_prog", 0]]);
    for (const fi of prog.funcInfos) starts.set(spec.btf!.nameOf(fi.typeId), fi.slot);
    assert.equal(starts.size, 3);
    const le = spec.byteOrder === "le";
    const view = new DataView(prog.bytes.buffer, prog.bytes.byteOffset);
    for (const [slot, ref] of prog.references) {
      assert.ok(ref.kind === "call" || ref.kind === "function");
      assert.equal(slot + view.getInt32(slot * 8 + 4, le) + 1, starts.get(ref.function), `${file} slot ${slot}`);
    }
    let btfFd: FD | undefined;
    let loaded: Program | undefined;
    try {
      try {
        btfFd = loadBtf(spec.btfForKernel()!);
      } catch (e) {
        if (e instanceof PermissionError) return skipFor(t, "not root");
        throw e;
      }
      const funcInfo = new Uint8Array(prog.funcInfos.length * 8);
      const fv = new DataView(funcInfo.buffer);
      prog.funcInfos.forEach((fi, i) => {
        fv.setUint32(i * 8, fi.slot, true);
        fv.setUint32(i * 8 + 4, fi.typeId, true);
      });
      // btfForKernel keeps string offsets, so line_info can point into the object's own strings.
      const strOff = (text: string): number => (text === "" ? 0 : spec.btf!.strings.offsetsOf(text)[0]!);
      const lineInfo = new Uint8Array(prog.lineInfos.length * 16);
      const lv = new DataView(lineInfo.buffer);
      prog.lineInfos.forEach((li, i) => {
        lv.setUint32(i * 16, li.slot, true);
        lv.setUint32(i * 16 + 4, strOff(li.fileName), true);
        lv.setUint32(i * 16 + 8, strOff(li.lineText), true);
        lv.setUint32(i * 16 + 12, (li.line << 10) | li.column, true);
      });
      loaded = Program.load({ ...prog.toProgramSpec(), btfFd, funcInfo, funcInfoRecordSize: 8, lineInfo, lineInfoRecordSize: 16 });
      const info = loaded.info();
      assert.equal(info.funcInfo.length, prog.funcInfos.length, "the kernel kept one func_info per function");
      assert.ok(info.lineInfo.length > 0, "the kernel kept line info");
      assert.ok(loaded.id > 0);
    } finally {
      loaded?.close();
      btfFd?.close();
    }
  }
});

test("externs: kfuncs, typed and untyped ksyms, kconfig layout", () => {
  const spec = ObjectSpec.parse(fixture("externs.bpf.o"), { name: "externs" });
  const ext = [...spec.externs.values()].map((e) => [e.name, e.kind, e.weak, e.kconfigOffset, e.typeId !== undefined]);
  assert.deepEqual(ext, [
    ["CONFIG_HZ", "kconfig", false, 0, true],
    ["LINUX_HAS_BPF_COOKIE", "kconfig", true, 8, true],
    ["CONFIG_DEFAULT_HOSTNAME", "kconfig", true, 12, true],
    ["bpf_prog_active", "ksym", false, undefined, true],
    ["bpf_task_acquire", "kfunc", false, undefined, true],
    ["bpf_task_release", "kfunc", false, undefined, true],
    ["init_task", "ksym", true, undefined, false],
  ]);
  assert.equal(spec.map(".kconfig").valueSize, 20);
  const prog = spec.program("newtask");
  const refs = [...prog.references.values()];
  assert.deepEqual(refs.filter((r) => r.kind === "kfunc").map((r) => r.extern), ["bpf_task_acquire", "bpf_task_release"]);
  assert.equal(prog.coreRelocations.length, 1);
  assert.equal(prog.coreRelocations[0]!.kindName, "FIELD_BYTE_OFFSET");
  assert.equal(prog.coreRelocations[0]!.accessString, "0:1");
  assert.throws(() => prog.toProgramSpec(), ObjectError);
});

test("legacy maps section and version", () => {
  const spec = ObjectSpec.parse(fixture("legacy.bpf.o"), { name: "legacy" });
  assert.equal(spec.kernelVersion, 0x060000);
  const hash = spec.map("legacy_hash");
  assert.deepEqual([hash.kind, hash.type, hash.keySize, hash.valueSize, hash.maxEntries, hash.flags], ["legacy", MapType.Hash, 4, 8, 16, 1]);
  assert.equal(spec.map("legacy_array").sectionOffset, 20);
  assert.deepEqual([...spec.program("sock").references.values()], [{ kind: "map", map: "legacy_hash" }, { kind: "map", map: "legacy_array" }]);
});

