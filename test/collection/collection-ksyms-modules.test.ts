// ksyms and kfuncs that live in kernel modules (libbpf parity): looked up in
// module BTF only when vmlinux misses, relocated with the module's BTF fd
// (typed ksyms, bpf_ksym_exists) or its fd_array slot (kfunc calls), and
// type-checked against the kernel's declaration. This machine has no
// modules, so synthetic ones — split BTF on the real vmlinux — stand in;
// the kernel BTF objects they "open" are real BTF fds loaded by the test.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Btf } from "../../src/btf/btf.js";
import { encodeBtf } from "../../src/btf/encode.js";
import { kernelBtf, moduleBtfNames } from "../../src/btf/discovery.js";
import type { BtfTypeInput } from "../../src/btf/types.js";
import { Class, JmpOp, LD_IMM64, PseudoCall, PseudoLd } from "../../src/asm/opcodes.js";
import { loadObjectSpec } from "../../src/object/index.js";
import type { ObjectSpec } from "../../src/object/object-spec.js";
import type { ExternSpec } from "../../src/object/externs.js";
import { Collection } from "../../src/collection.js";
import { loadCollectionWith } from "../../src/collection/load-with.js";
import { resolveKsyms, type KsymValue } from "../../src/collection/ksyms.js";
import { runningModuleBtfs, type ModuleBtf } from "../../src/collection/module-btf.js";
import { ModuleBtfFds } from "../../src/collection/module-btf-fds.js";
import { littleEndianCode, relocateProgram } from "../../src/collection/relocate.js";
import { FD } from "../../src/sys/fd.js";
import { IncompatibleError, NotFoundError } from "../../src/sys/errors.js";
import { VerifierError } from "../../src/program/verifier-error.js";
import { loadTestBtf } from "../util/btf-blob.js";
import { openFdCount } from "../util/kernel.js";

const fixture = (name: string): string => fileURLToPath(new URL(`../../../test/fixtures/collection/${name}.bpf.o`, import.meta.url));
const CALL = Class.JMP | JmpOp.CALL;

/** A synthetic module: `types` encoded as split BTF on vmlinux; openFd loads a real (non-kernel) BTF and records it. */
function syntheticModule(name: string, types: (int: number, firstId: number) => BtfTypeInput[]): ModuleBtf & { opened: FD[] } {
  const vmlinux = kernelBtf();
  const int = vmlinux.typesByName("int", "INT")[0]!.id;
  const btf = new Btf(encodeBtf(types(int, vmlinux.lastId + 1), { base: vmlinux }), { base: vmlinux });
  const opened: FD[] = [];
  return { name, btf, opened, openFd: () => {
    const fd = loadTestBtf();
    opened.push(fd);
    return fd;
  } };
}

/** `int name(int x)` as a kfunc: FUNC_PROTO at firstId + at, FUNC after it. */
const intKfunc = (name: string, int: number, protoId: number): BtfTypeInput[] => [
  { kind: "FUNC_PROTO", name: "", kindFlag: false, returnType: int, params: [{ name: "x", type: int }] },
  { kind: "FUNC", name, kindFlag: false, type: protoId, linkage: "global", linkageValue: 1 },
];
const moduleA = (varType?: (int: number, firstId: number) => BtfTypeInput[]): ModuleBtf & { opened: FD[] } =>
  syntheticModule("tsbpf_mod_a", (int, first) => {
    const extra = varType?.(int, first) ?? [];
    const varTypeId = extra.length > 0 ? first + 2 + extra.length - 1 : int;
    return [
      ...intKfunc("tsbpf_mod_kfunc", int, first),
      ...extra,
      { kind: "VAR", name: "tsbpf_mod_var", kindFlag: false, type: varTypeId, linkage: "global", linkageValue: 1 },
    ];
  });
const moduleB = (): ModuleBtf & { opened: FD[] } => syntheticModule("tsbpf_mod_b", (int, first) => intKfunc("tsbpf_mod_b_kfunc", int, first));

function externsOf(spec: ObjectSpec, ...names: string[]): ExternSpec[] {
  return names.length === 0 ? [...spec.externs.values()] : names.map((n) => spec.externs.get(n)!);
}

/** Relocates `program` of `spec` with `ksyms`, sharing `fds`; returns the little-endian code. */
function relocate(spec: ObjectSpec, program: string, ksyms: ReadonlyMap<string, KsymValue>, fds: ModuleBtfFds): Uint8Array {
  const p = spec.program(program);
  const code = littleEndianCode(p);
  const externIndex = new Map([...spec.externs.keys()].map((n, i) => [n, i]));
  relocateProgram(p, code, { mapFd: () => 0, kconfigFd: () => 0, externs: spec.externs, externIndex, ksyms, moduleBtf: fds });
  return code;
}

/** Each extern reference of a program: its slot, opcode, src, off, imm and the next instruction's imm. */
function externInsns(spec: ObjectSpec, program: string, code: Uint8Array): { extern: string; op: number; src: number; off: number; imm: number; imm2: number | undefined }[] {
  const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
  return [...spec.program(program).references].flatMap(([slot, ref]) => {
    if (ref.kind !== "ksym" && ref.kind !== "kfunc") return [];
    const pos = slot * 8;
    const op = code[pos]!;
    return [{
      extern: ref.extern, op, src: code[pos + 1]! >> 4, off: view.getInt16(pos + 2, true), imm: view.getInt32(pos + 4, true),
      imm2: op === LD_IMM64 ? view.getInt32(pos + 12, true) : undefined,
    }];
  });
}

test("a kfunc and a typed ksym found only in a module resolve to the module's BTF ids", () => {
  const spec = loadObjectSpec(fixture("module-ksyms"));
  const a = moduleA();
  const ksyms = resolveKsyms(externsOf(spec), spec.btf!, { vmlinux: kernelBtf, modules: () => [a] });
  const kfuncId = a.btf.typesByName("tsbpf_mod_kfunc", "FUNC")[0]!.id;
  const varId = a.btf.typesByName("tsbpf_mod_var", "VAR")[0]!.id;
  assert.ok(kfuncId > kernelBtf().lastId, "module ids continue after vmlinux");
  assert.deepEqual(ksyms.get("tsbpf_mod_kfunc"), { kind: "btf", btfId: kfuncId, module: a });
  assert.deepEqual(ksyms.get("tsbpf_mod_var"), { kind: "btf", btfId: varId, module: a });
  assert.deepEqual(ksyms.get("tsbpf_mod_b_kfunc"), { kind: "missing" }, "__weak and in no module");
  assert.equal(a.opened.length, 0, "resolving opens no BTF object");
});

test("relocation writes the module's BTF fd into ld_imm64 and its fd_array slot into kfunc calls", () => {
  const spec = loadObjectSpec(fixture("module-ksyms"));
  const a = moduleA();
  const b = moduleB();
  const ksyms = resolveKsyms(externsOf(spec), spec.btf!, { vmlinux: kernelBtf, modules: () => [a, b] });
  const id = (m: ModuleBtf, name: string): number => m.btf.typesByName(name)[0]!.id;
  const fds = new ModuleBtfFds();
  try {
    const first = externInsns(spec, "first", relocate(spec, "first", ksyms, fds));
    assert.equal(a.opened.length, 1);
    const fdA = a.opened[0]!.raw;
    assert.deepEqual(first, [
      { extern: "tsbpf_mod_var", op: LD_IMM64, src: PseudoLd.BTF_ID, off: 0, imm: id(a, "tsbpf_mod_var"), imm2: fdA },
      { extern: "tsbpf_mod_kfunc", op: CALL, src: PseudoCall.KFUNC_CALL, off: 1, imm: id(a, "tsbpf_mod_kfunc"), imm2: undefined },
    ]);
    assert.deepEqual(fds.fdArray()?.map((fd) => fd?.raw), [undefined, fdA], "slot 0 is vmlinux's, module A's fd at 1");

    // The second program shares A's slot; module B gets the next one.
    const second = externInsns(spec, "second", relocate(spec, "second", ksyms, fds));
    assert.equal(a.opened.length, 1, "one fd per module per load");
    assert.equal(b.opened.length, 1);
    const fdB = b.opened[0]!.raw;
    assert.deepEqual(second, [
      { extern: "tsbpf_mod_kfunc", op: CALL, src: PseudoCall.KFUNC_CALL, off: 1, imm: id(a, "tsbpf_mod_kfunc"), imm2: undefined },
      // bpf_ksym_exists(module kfunc): an ld_imm64 like a typed ksym.
      { extern: "tsbpf_mod_b_kfunc", op: LD_IMM64, src: PseudoLd.BTF_ID, off: 0, imm: id(b, "tsbpf_mod_b_kfunc"), imm2: fdB },
      { extern: "tsbpf_mod_b_kfunc", op: CALL, src: PseudoCall.KFUNC_CALL, off: 2, imm: id(b, "tsbpf_mod_b_kfunc"), imm2: undefined },
    ]);
    assert.deepEqual(fds.fdArray()?.map((fd) => fd?.raw), [undefined, fdA, fdB]);
  } finally {
    fds.close();
  }
  assert.ok([...a.opened, ...b.opened].every((fd) => fd.closed), "closing the load's fds closes every module BTF fd");
  assert.equal(fds.fdArray(), undefined);
});

test("vmlinux kfuncs keep fd_array index 0, open nothing and never read module BTF", () => {
  const spec = loadObjectSpec(fixture("globals"));
  let moduleReads = 0;
  const ksyms = resolveKsyms(externsOf(spec, "bpf_task_acquire", "bpf_task_release"), spec.btf!, {
    vmlinux: kernelBtf, modules: () => { moduleReads++; return [moduleA()]; },
  });
  assert.equal(moduleReads, 0, "vmlinux has both: modules are not listed");
  const all = resolveKsyms(externsOf(spec), spec.btf!, { vmlinux: kernelBtf });
  const fds = new ModuleBtfFds();
  const insns = externInsns(spec, "newtask", relocate(spec, "newtask", all, fds));
  const vmlinux = kernelBtf();
  for (const name of ["bpf_task_acquire", "bpf_task_release"]) {
    assert.deepEqual(ksyms.get(name), { kind: "btf", btfId: vmlinux.typesByName(name, "FUNC")[0]!.id });
    const call = insns.find((i) => i.extern === name && i.op === CALL)!;
    assert.deepEqual([call.src, call.off, call.imm], [PseudoCall.KFUNC_CALL, 0, vmlinux.typesByName(name, "FUNC")[0]!.id]);
  }
  assert.equal(fds.fdArray(), undefined, "no fd_array for vmlinux-only kfuncs");
});

test("a module symbol whose type does not match the declaration is refused, naming both types", () => {
  const spec = loadObjectSpec(fixture("module-ksyms"));
  // tsbpf_mod_var is a `long *` in this module; the object declares `const int`.
  const a = moduleA((_int, first) => [
    { kind: "INT", name: "long", kindFlag: false, size: 8, signed: true, char: false, bool: false, bitOffset: 0, bits: 64 },
    { kind: "PTR", name: "", kindFlag: false, type: first + 2 },
  ]);
  assert.throws(
    () => resolveKsyms(externsOf(spec, "tsbpf_mod_var"), spec.btf!, { vmlinux: kernelBtf, modules: () => [a] }),
    (e: unknown) => e instanceof IncompatibleError && /'tsbpf_mod_var'/.test(e.message) && /'int'/.test(e.message) &&
      /module tsbpf_mod_a's \[\d+\] 'long \*'/.test(e.message),
  );
});

test("a vmlinux kfunc declared with a wrong prototype: IncompatibleError, and nothing left open", () => {
  const spec = loadObjectSpec(fixture("kfunc-mismatch"));
  const before = openFdCount();
  assert.throws(() => Collection.load(spec), (e: unknown) => {
    assert.ok(e instanceof IncompatibleError, String(e));
    assert.equal(e.code, "INCOMPATIBLE");
    assert.match(e.message, /kfunc\) 'bpf_task_acquire'/);
    assert.match(e.message, /declares it as \[\d+\] 'struct task_struct \* \(struct task_struct \*, int\)'/, "the object's prototype");
    assert.match(e.message, /vmlinux's \[\d+\] 'struct task_struct \* \(struct task_struct \* p\)'/, "the kernel's prototype");
    return true;
  });
  assert.equal(openFdCount(), before);
  // libbpf leaves a __weak kfunc whose prototype does not match unresolved.
  const ksyms = resolveKsyms(externsOf(spec, "bpf_rcu_read_lock", "bpf_task_release"), spec.btf!, { vmlinux: kernelBtf });
  assert.deepEqual(ksyms.get("bpf_rcu_read_lock"), { kind: "missing" });
  assert.equal(ksyms.get("bpf_task_release")?.kind, "btf");
});

test("a typed vmlinux ksym declared with a wrong type: IncompatibleError", () => {
  const spec = loadObjectSpec(fixture("ksym-mismatch"));
  const before = openFdCount();
  assert.throws(
    () => Collection.load(spec),
    (e: unknown) => e instanceof IncompatibleError && /variable 'bpf_prog_active'/.test(e.message) &&
      /'const char \*'/.test(e.message) && /vmlinux's \[\d+\] 'int'/.test(e.message),
  );
  assert.equal(openFdCount(), before);
});

test("a failed load closes the module BTF fds it opened", () => {
  const spec = loadObjectSpec(fixture("module-ksyms"));
  const a = moduleA();
  const b = moduleB();
  // The synthetic modules' fds are ordinary BTF, not kernel BTF: the kernel follows insn.off into
  // fd_array (or the ld_imm64's fd), finds that BTF and refuses the program.
  assert.throws(() => loadCollectionWith(spec, {}, { modules: () => [a, b] }), (e: unknown) =>
    e instanceof VerifierError && /not a (module|kernel) btf/i.test(`${e.message}\n${e.log}`));
  assert.ok(a.opened.length === 1 && a.opened.every((fd) => fd.closed));
  assert.ok(b.opened.every((fd) => fd.closed));
});

test("without kernel modules (this machine) module discovery finds nothing and opens nothing", () => {
  const before = FD.openCount;
  const fdsBefore = openFdCount();
  const running = runningModuleBtfs(kernelBtf)();
  assert.deepEqual(running.map((m) => m.name), moduleBtfNames());
  if (running.length > 0) return; // The rest needs a kernel without module BTF.
  const spec = loadObjectSpec(fixture("module-ksyms"));
  const ksyms = resolveKsyms(externsOf(spec, "tsbpf_mod_b_kfunc"), spec.btf!, { vmlinux: kernelBtf, modules: runningModuleBtfs(kernelBtf) });
  assert.deepEqual(ksyms.get("tsbpf_mod_b_kfunc"), { kind: "missing" });
  assert.throws(() => Collection.load(spec), (e: unknown) => e instanceof NotFoundError && /'tsbpf_mod_kfunc'|'tsbpf_mod_var'/.test(e.message));
  assert.equal(FD.openCount, before);
  assert.equal(openFdCount(), fdsBefore);
});
