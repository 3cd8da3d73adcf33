// Self-checking CO-RE: core-selfcheck.bpf.o compares each relocated value
// with what the synthetic "reshaped" kernel implies and returns the line of
// the first mismatch. Relocated by tsbpf against that BTF, loaded into the
// running kernel and run with BPF_PROG_TEST_RUN, it must return 0; its
// poisoned instructions sit in dead code and must pass the verifier.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ElfFile } from "../../src/elf/reader.js";
import { btfFromElf } from "../../src/btf/elf.js";
import { Btf } from "../../src/btf/btf.js";
import { Program, ProgramType, VerifierError } from "../../src/program.js";
import { applyCoreFixups, fixupAt, resolveCoreRelocations, type CoreFixup } from "../../src/core/index.js";
import { reshapedKernel } from "../oracle/core/synthetic-targets.js";
import { TargetBtfBuilder } from "../oracle/core/target-btf.js";

const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../test/fixtures/core/core-selfcheck.bpf.o");
const packet = new Uint8Array(64);

function relocated(target: Btf | undefined, fixupsOut: CoreFixup[] = []): Uint8Array {
  const elf = new ElfFile(readFileSync(fixture));
  const section = elf.section("socket");
  assert.ok(section);
  const code = elf.data(section).slice();
  if (target) {
    const { btf, ext } = btfFromElf(elf);
    assert.ok(btf && ext);
    fixupsOut.push(...resolveCoreRelocations(btf, ext, { vmlinux: target, vmlinuxName: "synthetic" }));
    applyCoreFixups(code, fixupsOut);
  }
  return code;
}

function run(instructions: Uint8Array): number {
  using prog = Program.load({ type: ProgramType.SocketFilter, instructions, license: "GPL", name: "core_selfcheck" });
  return prog.testRun({ data: packet }).retval;
}

test("relocated against the reshaped kernel, every check passes in the real verifier and interpreter/JIT", () => {
  assert.equal(run(relocated(reshapedKernel().builder.build().btf)), 0);
});

test("without relocation the compiled-in local layout fails the first check", () => {
  assert.notEqual(run(relocated(undefined)), 0);
});

test("a target without the types: reachable poisoned code is rejected naming helper 195896080", () => {
  const empty = new TargetBtfBuilder();
  empty.int("int", 4, true);
  const fixups: CoreFixup[] = [];
  assert.throws(() => run(relocated(empty.build().btf, fixups)), (e: unknown) => {
    assert.ok(e instanceof VerifierError);
    assert.equal(e.reason, "invalid func unknown#195896080");
    assert.equal(e.instruction, 1);
    // The loader can name the relocation behind the poisoned instruction.
    const culprit = fixupAt(fixups, "socket", e.instruction);
    assert.equal(culprit?.poisoned, true);
    assert.match(culprit?.description ?? "", /^FIELD_BYTE_OFFSET struct core_s\.a \(0:0\) → no match in synthetic: poisoned$/);
    return true;
  });
});
