// Loader messages name what the user wrote: a function declared but defined
// nowhere says exactly that and which program calls it; extern failures at
// load time name the programs using the extern; programs and maps are named
// by their full C names, never the kernel's 15-character cut
// ('verifier_reject' for verifier_rejects_long_named_program).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadObjectSpec, ObjectError, ObjectSpec } from "../../src/object/index.js";
import { Collection } from "../../src/collection.js";
import { CoreVerifierError } from "../../src/collection/verifier-explain.js";
import { CoreRelocationError } from "../../src/core/errors.js";
import { VerifierError } from "../../src/program/verifier-error.js";
import { Program } from "../../src/program/program.js";
import { ProgramType } from "../../src/program/types.js";
import { IncompatibleError, InvalidArgumentError } from "../../src/sys/errors.js";
import { attachTracepoint } from "../../src/link/tracepoint.js";
import { openFdCount } from "../util/kernel.js";
import { libbpfRefusal } from "../util/libbpf-oracle.js";

const fixture = (dir: string, name: string): string => fileURLToPath(new URL(`../../../test/fixtures/${dir}/${name}.bpf.o`, import.meta.url));
const loader = (name: string): string => fixture("loader", name);

/** Asserts `message` names `full` and never its 15-character kernel cut. */
function namesInFull(message: string, full: string): void {
  assert.ok(full.length > 15, `${full} is longer than the kernel keeps`);
  assert.ok(message.includes(`'${full}'`), `names '${full}': ${message}`);
  assert.ok(!message.includes(`'${full.slice(0, 15)}'`), `does not name the cut '${full.slice(0, 15)}': ${message}`);
}

test("a function declared but not defined: the error says so and names the calling program", () => {
  assert.match(libbpfRefusal(loader("undefined-extern")), /failed to find BTF for extern 'helper_declared_but_not_defined'/);
  assert.throws(() => loadObjectSpec(loader("undefined-extern")), (e: unknown) => {
    assert.ok(e instanceof ObjectError, String(e));
    assert.equal(e.symbol, "helper_declared_but_not_defined");
    assert.match(e.message, /^function 'helper_declared_but_not_defined' is declared but not defined in this object/);
    assert.match(e.message, /declare it `extern … __ksym`/);
    assert.doesNotMatch(e.message, /section 'none'/);
    assert.match(e.message, /; used by program 'program_calling_undefined_helper'$/);
    return true;
  });
});

test("an extern the kernel does not match names the program that uses it", () => {
  assert.throws(() => Collection.load(loadObjectSpec(fixture("collection", "ksym-mismatch"))), (e: unknown) => {
    assert.ok(e instanceof IncompatibleError, String(e));
    assert.match(e.message, /^extern kernel variable 'bpf_prog_active': .*; used by program 'read_active'$/);
    return true;
  });
});

test("a verifier rejection names the program in full", () => {
  const fds = openFdCount();
  assert.throws(() => Collection.load(loadObjectSpec(loader("long-names")), { programs: ["verifier_rejects_long_named_program"] }), (e: unknown) => {
    assert.ok(e instanceof VerifierError && !(e instanceof CoreVerifierError), String(e));
    namesInFull(e.message, "verifier_rejects_long_named_program");
    return true;
  });
  assert.equal(openFdCount(), fds, "nothing left open");
});

test("CO-RE errors name the program in full", () => {
  // A relocation the kernel lacks: poisoned, then reached by the verifier.
  assert.throws(() => Collection.load(loadObjectSpec(loader("long-names")), { programs: ["core_poisoned_long_named_program"] }), (e: unknown) => {
    assert.ok(e instanceof CoreVerifierError, String(e));
    namesInFull(e.message, "core_poisoned_long_named_program");
    return true;
  });
  // A relocation that cannot be applied at all: its access string names a member the local type does not have.
  const bytes = readFileSync(loader("long-names"));
  const at = bytes.indexOf(Buffer.from("\x000:0\x00", "latin1"));
  assert.ok(at > 0 && bytes.indexOf(Buffer.from("\x000:0\x00", "latin1"), at + 1) < 0, "one '0:0' access string");
  bytes[at + 3] = "7".charCodeAt(0);
  assert.throws(() => Collection.load(ObjectSpec.parse(bytes), { programs: ["core_poisoned_long_named_program"] }), (e: unknown) => {
    assert.ok(e instanceof CoreRelocationError, String(e));
    assert.match(e.message, /^program 'core_poisoned_long_named_program': CO-RE relocation .*member index 7 is out of range/);
    return true;
  });
});

test("a map the kernel refuses is named in full", () => {
  const fds = openFdCount();
  assert.throws(() => Collection.load(loadObjectSpec(loader("long-map-name"))), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, String(e));
    assert.match(e.message, /^BPF_MAP_CREATE \(hash map 'refused_map_with_a_long_name'\)/);
    namesInFull(e.message, "refused_map_with_a_long_name");
    return true;
  });
  assert.equal(openFdCount(), fds, "nothing left open");
});

test("Program.load names a long-named program in full (in errors and Program.name); the kernel keeps 15 characters", () => {
  const exitOnly = new Uint8Array([0x95, 0, 0, 0, 0, 0, 0, 0]); // exit without setting r0: refused
  assert.throws(() => Program.load({ type: ProgramType.SocketFilter, instructions: exitOnly, license: "GPL", name: "a_program_with_a_long_name" }), (e: unknown) => {
    assert.ok(e instanceof VerifierError, String(e));
    namesInFull(e.message, "a_program_with_a_long_name");
    return true;
  });
  const returnsZero = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
  using p = Program.load({ type: ProgramType.SocketFilter, instructions: returnsZero, license: "GPL", name: "a_program_with_a_long_name" });
  assert.equal(p.name, "a_program_with_a_long_name");
  assert.equal(p.info().name, "a_program_with_");
});

test("attach errors name a collection's program in full", () => {
  using c = Collection.load(loadObjectSpec(loader("usdt")));
  const probe = c.program("usdt_auto_attach_probe");
  assert.equal(probe.name, "usdt_auto_attach_probe");
  assert.throws(() => attachTracepoint(probe, "syscalls:sys_enter_getpid"), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, String(e));
    namesInFull(e.message, "usdt_auto_attach_probe");
    return true;
  });
});
