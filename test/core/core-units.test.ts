// Unit tests of the CO-RE engine on hand-built BTF: names, access specs,
// candidate search (flavors, modules, pruning), compatibility and
// type-match rules, patching and poisoning, errors, and speed on a real
// object against the running kernel's BTF.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { encodeBtf } from "../../src/btf/encode.js";
import { Btf } from "../../src/btf/btf.js";
import { CoreReloKind, type CoreRelo, type CoreReloKindName } from "../../src/btf/ext.js";
import { btfFromElf } from "../../src/btf/elf.js";
import { kernelBtf } from "../../src/btf/discovery.js";
import { decode, encode } from "../../src/asm/encoding.js";
import { insn } from "../../src/asm/instruction.js";
import {
  applyCoreFixups, applyCoreFixupsToInstructions, CoreRelocationError, CoreRelocator, essentialName, parseAccessSpec,
  POISON_HELPER_ID, resolveCoreRelocations, typesMatch, type CoreFixup,
} from "../../src/core/index.js";
import { TargetBtfBuilder } from "../oracle/core/target-btf.js";
import { extractToolObject } from "../util/libbpf-tools.js";
import { missingOracle, skipFor } from "../util/environment.js";

function relo(kind: CoreReloKindName, typeId: number, accessString: string, insnOffset = 0): CoreRelo {
  return { insnOffset, typeId, accessString, kind: CoreReloKind[kind], kindName: kind };
}

/** Local BTF: struct s { int a; struct t *p; }, struct t (fwd behind the pointer in the target). */
function local(): { btf: Btf; s: number; e: number; anon: number } {
  const b = new TargetBtfBuilder();
  const int = b.int("int", 4, true);
  const t = b.struct("t", 4, [["x", int, 0]]);
  const p = b.ptr(t);
  const s = b.struct("s", 16, [["a", int, 0], ["p", p, 64]]);
  const e = b.enum("e", [["E1", 1], ["E2", 2]]);
  const anon = b.struct("", 4, [["a", int, 0]]);
  return { btf: b.build().btf, s, e, anon };
}

test("essential names drop the last ___flavor suffix only", () => {
  assert.equal(essentialName("task_struct___v1"), "task_struct");
  assert.equal(essentialName("a___b___c"), "a___b");
  assert.equal(essentialName("___x"), "___x");
  assert.equal(essentialName("x____y"), "x____y");
  assert.equal(essentialName("plain"), "plain");
});

test("malformed access strings and kinds are CoreRelocationErrors", () => {
  const { btf, s, e } = local();
  const bad: [number, string, number][] = [
    [s, "0:x", CoreReloKind.FIELD_BYTE_OFFSET],
    [s, "", CoreReloKind.FIELD_BYTE_OFFSET],
    [s, "0:9", CoreReloKind.FIELD_BYTE_OFFSET],
    [s, "0:0:1", CoreReloKind.FIELD_BYTE_OFFSET],
    [s, "1", CoreReloKind.TYPE_SIZE],
    [e, "5", CoreReloKind.ENUMVAL_VALUE],
    [s, "0", CoreReloKind.ENUMVAL_VALUE],
    [s, "0", 13],
    [999, "0", CoreReloKind.TYPE_EXISTS],
  ];
  for (const [id, access, kind] of bad) {
    assert.throws(() => parseAccessSpec(btf, id, access, kind), CoreRelocationError, `${id} '${access}' kind ${kind}`);
  }
  const spec = parseAccessSpec(btf, s, "0:1", CoreReloKind.FIELD_BYTE_OFFSET);
  assert.equal(spec.bitOffset, 64);
  assert.deepEqual(spec.accessors.map((a) => a.name), [undefined, "p"]);
});

test("resolve errors name the section, instruction, access path and target", () => {
  const { btf, anon } = local();
  const r = new CoreRelocator(btf, { vmlinux: btf, vmlinuxName: "test-kernel" });
  assert.throws(() => r.resolve(relo("FIELD_BYTE_OFFSET", anon, "0:0", 24), "kprobe/x"), (e: unknown) => {
    assert.ok(e instanceof CoreRelocationError);
    assert.equal(e.site.section, "kprobe/x");
    assert.equal(e.site.insnIndex, 3);
    assert.match(e.message, /anonymous/);
    assert.match(e.message, /struct \(anon\)\.a/);
    assert.match(e.message, /test-kernel/);
    return true;
  });
  assert.throws(() => r.resolve(relo("FIELD_BYTE_OFFSET", anon, "0:0", 5), "kprobe/x"), /multiple of 8/);
});

test("module BTF is searched only when vmlinux has no candidate", () => {
  const { btf, s } = local();
  const vb = new TargetBtfBuilder();
  const vint = vb.int("int", 4, true);
  vb.struct("other", 4, [["a", vint, 0]]);
  const vmlinux = vb.build().btf;
  // A module (split BTF on vmlinux) defining struct s with `a` at byte 12.
  const mod = new Btf(encodeBtf([
    { kind: "STRUCT", name: "s", kindFlag: false, size: 16, members: [{ name: "a", type: vint, bitOffset: 96, bitfieldSize: 0 }] },
  ], { base: vmlinux }), { base: vmlinux });
  const [fixup] = resolveCoreRelocations(btf, new Map([["sec", [relo("FIELD_BYTE_OFFSET", s, "0:0")]]]), {
    vmlinux, modules: [{ name: "mymod", btf: mod }],
  });
  assert.equal(fixup?.targetValue, 12n);
  assert.equal(fixup?.targetName, "mymod");
  assert.equal(fixup?.targetTypeId, vmlinux.lastId + 1);
  // With a candidate in vmlinux, the module is not consulted.
  const [fromVmlinux] = resolveCoreRelocations(btf, new Map([["sec", [relo("FIELD_BYTE_OFFSET", s, "0:0")]]]), {
    vmlinux: local().btf, modules: [{ name: "mymod", btf: mod }],
  });
  assert.equal(fromVmlinux?.targetName, "vmlinux");
  assert.equal(fromVmlinux?.targetValue, 0n);
  // A lazy module list is read once, and only when vmlinux has no candidate.
  let calls = 0;
  const lazy = (): { name: string; btf: Btf }[] => {
    calls++;
    return [{ name: "mymod", btf: mod }];
  };
  const twice = new Map([["sec", [relo("FIELD_BYTE_OFFSET", s, "0:0"), relo("FIELD_EXISTS", s, "0:0", 8)]]]);
  assert.deepEqual(resolveCoreRelocations(btf, twice, { vmlinux, modules: lazy }).map((f) => f.targetValue), [12n, 1n]);
  assert.equal(calls, 1);
  resolveCoreRelocations(btf, twice, { vmlinux: local().btf, modules: lazy });
  assert.equal(calls, 1);
});

test("candidates that failed a relocation are dropped for later ones on the same type (libbpf's cache)", () => {
  const { btf, s } = local();
  const tb = new TargetBtfBuilder();
  const int = tb.int("int", 4, true);
  const p = tb.ptr(int);
  // s___a has `a` at 0 but no `p`; s___b has both, with `a` at 4.
  tb.struct("s___a", 8, [["a", int, 0]]);
  tb.struct("s___b", 16, [["x", int, 0], ["a", int, 32], ["p", p, 64]]);
  const target = tb.build().btf;
  // On its own, `a` is ambiguous between the two flavors.
  assert.throws(() => new CoreRelocator(btf, { vmlinux: target }).resolve(relo("FIELD_BYTE_OFFSET", s, "0:0"), "sec"), /ambiguous/);
  // After a relocation that only s___b satisfies, s___a is no longer a candidate.
  const r = new CoreRelocator(btf, { vmlinux: target });
  assert.equal(r.resolve(relo("FIELD_EXISTS", s, "0:1"), "sec").targetValue, 1n);
  const a = r.resolve(relo("FIELD_BYTE_OFFSET", s, "0:0"), "sec");
  assert.equal(a.targetValue, 4n);
  assert.match(a.description, /s___b/);
});

test("TYPE_MATCHES: a struct behind a pointer matches a forward declaration", () => {
  const { btf, s } = local();
  const tb = new TargetBtfBuilder();
  const int = tb.int("int", 4, true);
  const fwd = tb.add({ kind: "FWD", name: "t", kindFlag: false, fwdKind: "struct" });
  const p = tb.ptr(fwd);
  const ts = tb.struct("s", 24, [["p", p, 0], ["a", int, 64], ["extra", int, 96]]);
  const target = tb.build().btf;
  assert.equal(typesMatch(btf, s, target, ts), true);
  // Not behind a pointer, struct t and fwd t do not match.
  const lt = btf.typesByName("t", "STRUCT")[0];
  assert.ok(lt);
  assert.equal(typesMatch(btf, lt.id, target, fwd), false);
});

function fixup(partial: Partial<CoreFixup>): CoreFixup {
  return {
    section: "s", insnIndex: 0, kind: "FIELD_BYTE_OFFSET", localValue: 0n, targetValue: 0n, poisoned: false, validate: true,
    localMemSize: 0, targetMemSize: 0, memSizeMismatch: false, localTypeId: 1, targetTypeId: 1, targetName: "vmlinux",
    localPath: "struct s.a", accessString: "0:0", description: "test", ...partial,
  };
}

test("patching: ALU immediates, ld_imm64 halves, load widths; validation of the local value", () => {
  const code = encode([
    insn(0xb7, 1, 0, 0, 4), // r1 = 4 (ALU64 MOV K)
    { ...insn(0x18, 2), imm64: 7n }, // r2 = 7 ll
    insn(0x61, 3, 1, 4), // r3 = *(u32 *)(r1 + 4)
  ]);
  applyCoreFixups(code, [
    fixup({ insnIndex: 0, localValue: 4n, targetValue: 12n }),
    fixup({ insnIndex: 1, kind: "ENUMVAL_VALUE", localValue: 7n, targetValue: 0x1_2345_6789n }),
    fixup({ insnIndex: 3, localValue: 4n, targetValue: 16n, localMemSize: 4, targetMemSize: 8 }),
  ]);
  const out = decode(code);
  assert.equal(out[0]?.imm, 12);
  assert.equal(out[1]?.imm64, 0x1_2345_6789n);
  assert.deepEqual([out[2]?.opcode, out[2]?.offset], [0x79, 16]);
  assert.throws(() => applyCoreFixups(encode([insn(0xb7, 1, 0, 0, 5)]), [fixup({ localValue: 4n, targetValue: 8n })]), /expected the local value 4/);
  assert.throws(() => applyCoreFixups(encode([insn(0xbf, 1, 2)]), [fixup({})]), /register source/);
  assert.throws(() => applyCoreFixups(encode([insn(0x61, 1, 2)]), [fixup({ targetValue: 40000n })]), /16-bit/);
});

test("poisoning: both slots of an ld_imm64 become calls to helper 0xbad2310", () => {
  const insns = [{ ...insn(0x18, 1), imm64: 3n }, insn(0x95)];
  const out = applyCoreFixupsToInstructions(insns, [fixup({ insnIndex: 0, kind: "ENUMVAL_VALUE", poisoned: true })]);
  assert.equal(out.length, 3);
  for (const i of out.slice(0, 2)) assert.deepEqual([i.opcode, i.imm, i.src, i.dst], [0x85, POISON_HELPER_ID, 0, 0]);
  assert.equal(POISON_HELPER_ID, 195896080);
  // A load whose signed field changed size is poisoned at patch time.
  const code = encode([insn(0x69, 1, 2, 8)]);
  assert.deepEqual(applyCoreFixups(code, [fixup({ localValue: 8n, targetValue: 20n, localMemSize: 2, targetMemSize: 4, memSizeMismatch: true })]), [0]);
  assert.equal(code[0], 0x85);
});

test("relocating opensnoop against the running kernel's BTF: one fixup per record, the same on a second run", (t) => {
  const obj = extractToolObject("opensnoop");
  if (!obj) return missingOracle(t, "libbpf-tools", "opensnoop");
  if (!existsSync("/sys/kernel/btf/vmlinux")) return skipFor(t, "no vmlinux BTF");
  const { btf, ext } = btfFromElf(obj);
  assert.ok(btf && ext);
  const vmlinux = kernelBtf();
  // How long this takes is bench/collection-load.ts's business; here, what it produces.
  const first = resolveCoreRelocations(btf, ext, { vmlinux });
  const count = [...ext.coreRelos.values()].reduce((n, l) => n + l.length, 0);
  assert.equal(first.length, count);
  assert.deepEqual(resolveCoreRelocations(btf, ext, { vmlinux }), first, "the name indexes the first run built change nothing");
  t.diagnostic(`opensnoop: ${count} relocations`);
});

test("random malformed records only ever raise CoreRelocationError", (t) => {
  const obj = extractToolObject("biotop") ?? extractToolObject("opensnoop");
  if (!obj) return missingOracle(t, "libbpf-tools");
  const { btf, ext } = btfFromElf(obj);
  assert.ok(btf && ext);
  const target = local().btf;
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let resolved = 0;
  let rejected = 0;
  for (let i = 0; i < 3000; i++) {
    const parts = Array.from({ length: 1 + rand(4) }, () => String(rand(6)));
    const access = rand(10) === 0 ? parts.join(":") + ":x" : parts.join(":");
    const r = new CoreRelocator(btf, { vmlinux: rand(2) ? target : btf });
    try {
      r.resolve({ insnOffset: 8 * rand(4), typeId: rand(btf.lastId + 3), accessString: access, kind: rand(14), kindName: undefined }, "fuzz");
      resolved++;
    } catch (e) {
      assert.ok(e instanceof CoreRelocationError, String(e));
      rejected++;
    }
  }
  t.diagnostic(`${resolved} resolved, ${rejected} rejected`);
  assert.ok(resolved > 0 && rejected > 0);
});
