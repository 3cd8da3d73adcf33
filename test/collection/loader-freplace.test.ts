// freplace (extension) programs and their targets: without a target the
// loader says a target is missing and how to give one (libbpf refuses too);
// with one, BPF_PROG_LOAD carries attach_prog_fd and the function's BTF id in
// the target program's BTF — checked against bpftool's view of that BTF. This
// kernel refuses BPF trampolines with EPERM, so the load then fails with the
// trampoline explanation, naming the target; a kernel that allows them loads it.
// fexit on a BPF function takes its target the same way.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadObjectSpec } from "../../src/object/index.js";
import { kernelBtf } from "../../src/btf/index.js";
import { Collection } from "../../src/collection.js";
import { Program } from "../../src/program/program.js";
import { ProgramType } from "../../src/program/types.js";
import { VerifierError } from "../../src/program/verifier-error.js";
import { InvalidArgumentError, NotFoundError, PermissionError } from "../../src/sys/errors.js";
import { openFdCount } from "../util/kernel.js";
import { assertLoadsLikeLibbpf, libbpfRefusal } from "../util/libbpf-oracle.js";
import { tsbpf } from "../util/cli.js";

const fixture = (name: string): string => fileURLToPath(new URL(`../../../test/fixtures/loader/${name}.bpf.o`, import.meta.url));
const EXT = "classify_packet_replacement";

/** The BTF id of FUNC `name` in the BTF of program `programId`, as bpftool reports it. */
function bpftoolFuncId(programId: number, name: string): number {
  const prog = JSON.parse(execFileSync("bpftool", ["prog", "show", "id", String(programId), "-j"], { encoding: "utf8" })) as { btf_id: number };
  const btf = JSON.parse(execFileSync("bpftool", ["btf", "dump", "id", String(prog.btf_id), "-j"], { encoding: "utf8" })) as {
    types: { id: number; kind: string; name: string }[];
  };
  const func = btf.types.find((t) => t.kind === "FUNC" && t.name === name);
  assert.ok(func, `bpftool finds FUNC '${name}' in the BTF of program ${programId}`);
  return func.id;
}

/** Outcome of loading the extension against a live target: loaded (kernel allows trampolines) or refused with EPERM. */
function assertLoadedOrTrampolineRefusal(load: () => { close(): void; attachBtfId: number }, target: Program, func: string): void {
  const expectedId = bpftoolFuncId(target.id, func);
  let loaded: { close(): void; attachBtfId: number } | undefined;
  try {
    loaded = load();
  } catch (e) {
    // EPERM before verification: the kernel would not build the trampoline. The message
    // shows what the attr carried: the target program and the function's BTF id in it.
    assert.ok(e instanceof PermissionError, `expected the trampoline refusal, got ${String(e)}`);
    assert.equal(e.errno, 1);
    assert.match(e.message, /refused to attach a BPF trampoline/);
    assert.ok(e.message.includes(`function '${func}' (BTF id ${expectedId}) of program 'freplace_target_program' (id ${target.id})`), e.message);
    assert.match(e.message, new RegExp(`program '${EXT}'`), "the extension is named in full");
    return;
  }
  try {
    assert.equal(loaded.attachBtfId, expectedId);
  } finally {
    loaded.close();
  }
}

test("the target object loads as libbpf loads it", () => {
  assertLoadsLikeLibbpf(fixture("freplace-target"), ["freplace_target_program"]);
});

test("a freplace program without a target: the error says a target is missing and how to give it", () => {
  assert.match(libbpfRefusal(fixture("freplace-ext")), /attach program FD is not set/);
  const fds = openFdCount();
  assert.throws(() => Collection.load(loadObjectSpec(fixture("freplace-ext"))), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, String(e));
    assert.equal(e.field, "attachTargets");
    assert.match(e.message, new RegExp(`freplace program '${EXT}' \\(SEC\\("freplace/classify_packet"\\)\\) needs a target`));
    assert.match(e.message, new RegExp(`attachTargets: \\{ ${EXT}: \\{ program, function \\} \\}`));
    assert.doesNotMatch(e.message, /trampoline|EPERM/);
    return true;
  });
  // Program.load: the same refusal, before any syscall.
  const spec = { type: ProgramType.Ext, instructions: new Uint8Array([0xb7, 0, 0, 0, 2, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]), license: "GPL", name: EXT };
  assert.throws(() => Program.load(spec), (e: unknown) => e instanceof InvalidArgumentError && /needs a target/.test(e.message) && /attachTarget: \{ program, function \}/.test(e.message));
  assert.equal(openFdCount(), fds, "nothing left open");
});

test("Collection.load attachTargets: attach_prog_fd and the function's BTF id from the target's BTF reach the kernel", () => {
  using target = Collection.load(loadObjectSpec(fixture("freplace-target")));
  const prog = target.program("freplace_target_program");
  const fds = openFdCount();
  // Function from the SEC() name (freplace/classify_packet), target as a Program.
  assertLoadedOrTrampolineRefusal(() => {
    const c = Collection.load(loadObjectSpec(fixture("freplace-ext")), { attachTargets: { [EXT]: { program: prog } } });
    return { close: () => c.close(), attachBtfId: c.program(EXT).info().attachBtfId };
  }, prog, "classify_packet");
  // Function named explicitly, target as an fd, through a Map.
  assertLoadedOrTrampolineRefusal(() => {
    const c = Collection.load(loadObjectSpec(fixture("freplace-ext")), { attachTargets: new Map([[EXT, { program: prog.fd, function: "freplace_target_program" }]]) });
    return { close: () => c.close(), attachBtfId: c.program(EXT).info().attachBtfId };
  }, prog, "freplace_target_program");
  assert.equal(openFdCount(), fds, "no fd leaked");
});

test("Program.load attachTarget resolves the same way", () => {
  using target = Collection.load(loadObjectSpec(fixture("freplace-target")));
  const prog = target.program("freplace_target_program");
  // A ProgramSpec of the object's program carries no BTF; only the target in the attr is under test. This
  // kernel refuses the trampoline (EPERM) before anything else, naming the target; a kernel that builds
  // trampolines would have the verifier refuse the BTF-less extension instead (a VerifierError).
  const spec = { ...loadObjectSpec(fixture("freplace-ext")).program(EXT).toProgramSpec(), sectionName: "freplace/classify_packet" };
  const expectedId = bpftoolFuncId(prog.id, "classify_packet");
  assert.throws(() => Program.load(spec, { attachTarget: { program: prog } }), (e: unknown) => {
    if (e instanceof VerifierError) return true;
    assert.ok(e instanceof PermissionError, String(e));
    assert.ok(e.message.includes(`function 'classify_packet' (BTF id ${expectedId}) of program 'freplace_target_program' (id ${prog.id})`), e.message);
    return true;
  });
});

test("attach target mistakes are named before anything is created", () => {
  const fds = openFdCount();
  using target = Collection.load(loadObjectSpec(fixture("freplace-target")));
  const prog = target.program("freplace_target_program");
  const load = (attachTargets: Record<string, { program: Program; function?: string }>): unknown => {
    try {
      Collection.load(loadObjectSpec(fixture("freplace-ext")), { attachTargets }).close();
      return undefined;
    } catch (e) {
      return e;
    }
  };
  const noSuchFunction = load({ [EXT]: { program: prog, function: "no_such_function" } });
  assert.ok(noSuchFunction instanceof NotFoundError, String(noSuchFunction));
  assert.match(noSuchFunction.message, /has no function 'no_such_function' in its BTF \(it has: classify_packet, freplace_target_program\)/);
  const noSuchProgram = load({ [EXT]: { program: prog }, replacement_typo: { program: prog } });
  assert.ok(noSuchProgram instanceof NotFoundError, String(noSuchProgram));
  assert.match(noSuchProgram.message, /attachTargets names program 'replacement_typo', which the object does not have/);
  // A static function cannot be replaced: the __hidden helper of hidden.bpf.c is static in its program's BTF.
  using hidden = Collection.load(loadObjectSpec(fixture("hidden")));
  const isStatic = load({ [EXT]: { program: hidden.program("hidden_helper_caller"), function: "add_one_through_pointer" } });
  assert.ok(isStatic instanceof InvalidArgumentError, String(isStatic));
  assert.match(isStatic.message, /function 'add_one_through_pointer' of the target program 'hidden_helper_caller' \(id \d+\) is static; only global functions can be replaced/);
  hidden.close();
  target.close();
  assert.equal(openFdCount(), fds, "no fd leaked");
});

test("a target for a program that takes none is refused", () => {
  using target = Collection.load(loadObjectSpec(fixture("freplace-target")));
  assert.throws(
    () => Collection.load(loadObjectSpec(fixture("hidden")), { attachTargets: { hidden_helper_caller: { program: target.program("freplace_target_program") } } }),
    (e: unknown) => e instanceof InvalidArgumentError && /program 'hidden_helper_caller' \(SEC\("socket"\)\) is not a freplace or fentry\/fexit program/.test(e.message),
  );
});

test("tsbpf prog load of an extension says a target is missing (bpftool's prog load has no option for one either)", () => {
  const r = tsbpf("prog", "load", fixture("freplace-ext"), "/sys/fs/bpf/tsbpf-loader-freplace-never-pinned");
  assert.equal(r.status, 1);
  assert.match(r.stderr, /freplace program 'classify_packet_replacement' .* needs a target/);
  assert.match(r.stderr, /`tsbpf prog load` cannot give a target \(nor can bpftool's\)/);
  assert.equal(existsSync("/sys/fs/bpf/tsbpf-loader-freplace-never-pinned"), false, "nothing pinned");
});

test("fexit on a BPF function: without attachTargets the error points at it, with it the target reaches the kernel", () => {
  const fds = openFdCount();
  assert.throws(() => Collection.load(loadObjectSpec(fixture("fexit-bpf-function"))), (e: unknown) => {
    assert.ok(e instanceof NotFoundError, String(e));
    assert.match(e.message, /attach target func 'classify_packet' is not in the kernel's BTF; to trace a function of a loaded BPF program instead, give that program with Collection.load's option `attachTargets: \{ count_classify_packet_exits: \{ program \} \}`/);
    return true;
  });
  using target = Collection.load(loadObjectSpec(fixture("freplace-target")));
  const prog = target.program("freplace_target_program");
  const expectedId = bpftoolFuncId(prog.id, "classify_packet");
  let loaded: Collection | undefined;
  try {
    loaded = Collection.load(loadObjectSpec(fixture("fexit-bpf-function")), { attachTargets: { count_classify_packet_exits: { program: prog } } });
  } catch (e) {
    assert.ok(e instanceof PermissionError, String(e));
    assert.match(e.message, /refused to attach a BPF trampoline/);
    assert.ok(e.message.includes(`function 'classify_packet' (BTF id ${expectedId}) of program 'freplace_target_program' (id ${prog.id})`), e.message);
  }
  if (loaded) {
    // A kernel that builds trampolines: the program points at the target function.
    assert.equal(loaded.program("count_classify_packet_exits").info().attachBtfId, expectedId);
    loaded.close();
  }
  target.close();
  assert.equal(openFdCount(), fds, "no fd leaked");
});

test("attachTo retargets a tracing program to a kernel function before load (libbpf's set_attach_target), copies keep it", () => {
  const fds = openFdCount();
  const spec = loadObjectSpec(fixture("fexit-bpf-function"));
  const program = spec.program("count_classify_packet_exits");
  assert.equal(program.attachTo, "classify_packet", "from the SEC() name");
  assert.throws(() => Collection.load(spec), (e: unknown) => e instanceof NotFoundError
    && /or retarget it to a kernel function before load: `spec\.program\("count_classify_packet_exits"\)\.attachTo = "vfs_read"`/.test(e.message));
  program.attachTo = "vfs_read";
  assert.equal(spec.copy().program("count_classify_packet_exits").attachTo, "vfs_read", "copy() keeps the retarget");
  assert.throws(() => { program.attachTo = ""; }, InvalidArgumentError);
  const expectedId = kernelBtf().typesByName("vfs_read", "FUNC")[0]?.id;
  assert.ok(expectedId, "vmlinux has vfs_read");
  let loaded: Collection | undefined;
  try {
    loaded = Collection.load(spec);
  } catch (e) {
    // This kernel refuses BPF trampolines: the refusal is the kernel's, no longer "not in the kernel's BTF".
    assert.ok(e instanceof PermissionError, String(e));
    assert.match(e.message, /refused to attach a BPF trampoline/);
  }
  if (loaded) {
    assert.equal(loaded.program("count_classify_packet_exits").info().attachBtfId, expectedId);
    loaded.close();
  }
  program.attachTo = undefined;
  assert.equal(program.attachTo, "classify_packet", "undefined goes back to the SEC() target");
  assert.equal(openFdCount(), fds, "no fd leaked");
});
