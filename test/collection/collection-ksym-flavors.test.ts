// kfunc flavors (libbpf parity): `bpf_task_from_pid___new` and `___old` are
// both looked up as vmlinux's bpf_task_from_pid, each type-checked on its
// own. The fixture declares ___old with a prototype this kernel lacks and
// ___new with the right one (both __weak) and picks with bpf_ksym_exists():
// the right flavor must be bound, the wrong one poisoned, and the program
// must run the right one on the real kernel.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { kernelBtf } from "../../src/btf/discovery.js";
import { Class, JmpOp, LD_IMM64, PseudoCall, PseudoLd } from "../../src/asm/opcodes.js";
import { essentialName } from "../../src/core/names.js";
import { loadObjectSpec } from "../../src/object/index.js";
import type { ExternSpec } from "../../src/object/externs.js";
import { Collection } from "../../src/collection.js";
import { resolveKsyms } from "../../src/collection/ksyms.js";
import { ModuleBtfFds } from "../../src/collection/module-btf-fds.js";
import { littleEndianCode, POISON_KFUNC_BASE, relocateProgram } from "../../src/collection/relocate.js";
import { IncompatibleError, NotFoundError } from "../../src/sys/errors.js";
import { openFdCount } from "../util/kernel.js";

const fixture = fileURLToPath(new URL("../../../test/fixtures/collection/kfunc-flavors.bpf.o", import.meta.url));
const CALL = Class.JMP | JmpOp.CALL;
const OLD = "bpf_task_from_pid___old";
const NEW = "bpf_task_from_pid___new";
const kernelId = (name: string): number => kernelBtf().typesByName(name, "FUNC")[0]!.id;

test("each kfunc flavor resolves by its essential name; the one whose prototype differs is missing", () => {
  const spec = loadObjectSpec(fixture);
  const ksyms = resolveKsyms(spec.externs.values(), spec.btf!, { vmlinux: kernelBtf, modules: () => [] });
  assert.deepEqual(ksyms.get(NEW), { kind: "btf", btfId: kernelId("bpf_task_from_pid") });
  assert.deepEqual(ksyms.get(OLD), { kind: "missing" }, "__weak, prototype (int, u64) vs the kernel's (s32)");
  assert.deepEqual(ksyms.get("bpf_task_release"), { kind: "btf", btfId: kernelId("bpf_task_release") });
});

test("relocation binds the right flavor and poisons the wrong one", () => {
  const spec = loadObjectSpec(fixture);
  const ksyms = resolveKsyms(spec.externs.values(), spec.btf!, { vmlinux: kernelBtf, modules: () => [] });
  const p = spec.program("pick_flavor");
  const code = littleEndianCode(p);
  const externIndex = new Map([...spec.externs.keys()].map((n, i) => [n, i]));
  using fds = new ModuleBtfFds();
  relocateProgram(p, code, { mapFd: () => 0, kconfigFd: () => 0, externs: spec.externs, externIndex, ksyms, moduleBtf: fds });
  const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
  const seen: string[] = [];
  for (const [slot, ref] of p.references) {
    if (ref.kind !== "kfunc") continue;
    const pos = slot * 8;
    const src = code[pos + 1]! >> 4;
    const imm = view.getInt32(pos + 4, true);
    const bound = ref.extern === OLD ? undefined : kernelId(essentialName(ref.extern));
    if (code[pos] === LD_IMM64) {
      seen.push(`ld ${ref.extern}`);
      // bpf_ksym_exists(): the kfunc's BTF id, or 0 for the missing flavor.
      assert.equal(src, bound === undefined ? 0 : PseudoLd.BTF_ID, ref.extern);
      assert.equal(imm, bound ?? 0, ref.extern);
      assert.equal(view.getInt32(pos + 12, true), 0, "vmlinux: no module BTF fd");
    } else {
      seen.push(`call ${ref.extern}`);
      assert.equal(code[pos], CALL);
      assert.equal(src, bound === undefined ? 0 : PseudoCall.KFUNC_CALL, ref.extern);
      assert.equal(imm, bound ?? POISON_KFUNC_BASE + externIndex.get(OLD)!, ref.extern);
    }
  }
  assert.deepEqual(seen.sort(), [`call ${NEW}`, `call ${OLD}`, "call bpf_task_release", `ld ${NEW}`, `ld ${OLD}`].sort());
});

test("the loaded program runs the right flavor: bpf_task_from_pid finds this process", () => {
  const before = openFdCount();
  {
    using c = Collection.load(loadObjectSpec(fixture));
    const args = new Uint8Array(12);
    const view = new DataView(args.buffer);
    view.setInt32(0, process.pid, true);
    const r = c.program("pick_flavor").testRun({ ctx: args });
    assert.equal(r.retval, 2, "the ___new branch ran (1 would be the wrong flavor, -1 no task)");
    assert.equal(view.getInt32(8, true), 2, "flavor written back to ctx");
    assert.equal(view.getInt32(4, true), process.pid, "task->tgid of the task it found (CO-RE offset)");
  }
  assert.equal(openFdCount(), before);
});

test("flavors that are not __weak: a wrong prototype is IncompatibleError, an unknown kfunc NotFoundError", () => {
  const spec = loadObjectSpec(fixture);
  const strong = (name: string, rename = name): ExternSpec => ({ ...spec.externs.get(name)!, name: rename, weak: false });
  const resolve = (ext: ExternSpec): unknown => resolveKsyms([ext], spec.btf!, { vmlinux: kernelBtf, modules: () => [] });
  assert.throws(() => resolve(strong(OLD)), (e: unknown) => {
    assert.ok(e instanceof IncompatibleError, String(e));
    assert.match(e.message, /kfunc\) 'bpf_task_from_pid___old' \(a flavor of 'bpf_task_from_pid'\)/);
    assert.match(e.message, /vmlinux's \[\d+\] 'struct task_struct \* \(s32 pid\)'/);
    return true;
  });
  assert.throws(() => resolve(strong(NEW, "bpf_no_such_kfunc___v2")), (e: unknown) =>
    e instanceof NotFoundError && /'bpf_no_such_kfunc___v2' \(a flavor of 'bpf_no_such_kfunc'\) is not in the kernel's BTF/.test(e.message));
  // Typed variables keep their full name, as in libbpf: no 'bpf_prog_active___x' in vmlinux.
  const int = spec.btf!.typesByName("int", "INT")[0]!.id;
  const variable: ExternSpec = { ...strong(NEW), name: "bpf_prog_active___x", kind: "ksym", typeId: int };
  assert.throws(() => resolve(variable), (e: unknown) => e instanceof NotFoundError && /variable 'bpf_prog_active___x' is not/.test(e.message));
});
