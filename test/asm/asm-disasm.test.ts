import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  ProgramBuilder, formatInstruction, dumpXlated, decode, Kallsyms, xlatedCallSymbolizer,
  R0, R1, R2, R3, R4, R6, R7, R9, R10, type Instruction, type DisasmDialect,
} from "../../src/asm/index.js";
import { Btf } from "../../src/btf/btf.js";
import { encodeBtf } from "../../src/btf/encode.js";
import { typeSignature } from "../../src/btf/signature.js";
import { closeRaw } from "../../src/sys/syscall.js";
import { rawLoadSocketFilter } from "../util/raw-prog-load.js";
import { skipFor } from "../util/environment.js";

function text(b: ProgramBuilder, dialect: DisasmDialect = "modern"): string[] {
  return b.instructions().map((i) => formatInstruction(i, { dialect }));
}

test("disasm.c notation of common instructions", () => {
  const b = new ProgramBuilder()
    .mov64Reg(R6, R1)
    .ldxW(R1, R6, 16)
    .jneImm(R1, 0, 5)
    .atomicAdd64(R1, R2, 0)
    .atomicAdd64(R1, R0, 0, { fetch: true })
    .atomicAnd32(R1, R2, -4, { fetch: true })
    .atomicXchg64(R1, R2, 8)
    .atomicCmpXchg32(R3, R4, 0)
    .call("bpf_map_lookup_elem")
    .callSubprog(5)
    .ja(-3)
    .exit()
    .ldImm64(R1, 0xffffffffn)
    .ldMapFd(R1, 12)
    .ldMapValue(R1, 12, 16)
    .ldMapIdxValue(R2, 1, 8)
    .ldFunc(R2, 7)
    .mov32Imm(R1, -1)
    .add32Reg(R2, R3)
    .arsh64Imm(R1, 3)
    .neg32(R2)
    .toBe(R1, 16).toLe(R1, 64)
    .stxDW(R10, R1, -8)
    .stB(R10, -1, 255)
    .ldAbs("H", 12).ldInd("W", R6, 4)
    .jsgt32Reg(R1, R2, -2)
    .jsetImm(R1, -1, 1);
  assert.deepEqual(b.instructions().map((i) => formatInstruction(i, { symbolizer: { imm64: bpftoolImm } })), [
    "(bf) r6 = r1",
    "(61) r1 = *(u32 *)(r6 +16)",
    "(55) if r1 != 0x0 goto pc+5",
    "(db) lock *(u64 *)(r1 +0) += r2",
    "(db) r0 = atomic64_fetch_add((u64 *)(r1 +0), r0)",
    "(c3) r2 = atomic_fetch_and((u32 *)(r1 -4), r2)",
    "(db) r2 = atomic64_xchg((u64 *)(r1 +8), r2)",
    "(c3) r0 = atomic_cmpxchg((u32 *)(r3 +0), r0, r4)",
    "(85) call bpf_map_lookup_elem#1",
    "(85) call pc+5",
    "(05) goto pc-3",
    "(95) exit",
    "(18) r1 = 0xffffffff",
    "(18) r1 = map[id:12]",
    "(18) r1 = map[id:12][0]+16",
    "(18) r2 = map[idx:1]+8",
    "(18) r2 = subprog[+7]",
    "(b4) w1 = -1",
    "(0c) w2 += w3",
    "(c7) r1 s>>= 3",
    "(84) w2 = -w2",
    "(dc) r1 = be16 r1",
    "(d4) r1 = le64 r1",
    "(7b) *(u64 *)(r10 -8) = r1",
    "(72) *(u8 *)(r10 -1) = 255",
    "(28) r0 = *(u16 *)skb[12]",
    "(40) r0 = *(u32 *)skb[r6 + 4]",
    "(6e) if w1 s> w2 goto pc-2",
    "(45) if r1 & 0xffffffff goto pc+1",
  ]);
});

function bpftoolImm(insn: Instruction, value: bigint): string | undefined {
  const lo = Number(value & 0xffffffffn);
  const hi = Number(value >> 32n);
  if (insn.src === 1) return `map[id:${lo}]`;
  if (insn.src === 2) return `map[id:${lo}][0]+${hi}`;
  if (insn.src === 6) return `map[idx:${lo}]+${hi}`;
  if (insn.src === 4) return `subprog[${(lo | 0) < 0 ? lo | 0 : `+${lo}`}]`;
  return undefined;
}

test("cpu v4 and newer encodings: modern mnemonics vs. what bpftool ≤ 7.2 prints", () => {
  const b = new ProgramBuilder()
    .sdiv64Imm(R1, 2).smod32Reg(R1, R2).movsx64(R3, R1, 8).movsx32(R3, R1, 16).bswap(R2, 32)
    .ldxsB(R6, R10, -1).gotol(4).mayGoto(2)
    .loadAcquire("DW", R2, R10, -16).storeRelease("W", R10, R1, -16)
    .callKfunc(1234);
  assert.deepEqual(text(b, "modern"), [
    "(37) r1 s/= 2", "(9c) w1 s%= w2", "(bf) r3 = (s8)r1", "(bc) w3 = (s16)w1", "(d7) r2 = bswap32 r2",
    "(91) r6 = *(s8 *)(r10 -1)", "(06) gotol pc+4", "(e5) may_goto pc+2",
    "(db) r2 = load_acquire((u64 *)(r10 -16))", "(c3) store_release((u32 *)(r10 -16), r1)",
    "(85) call kernel-function#1234",
  ]);
  assert.deepEqual(text(b, "legacy"), [
    "(37) r1 /= 2", "(9c) w1 %= w2", "(bf) r3 = r1", "(bc) w3 = w1", "BUG_alu64_d7",
    "BUG_ldx_91", "(06) if w0 jmp 0x4 goto pc+0", "(e5) if r0 (null) 0x0 goto pc+2",
    "BUG_db", "BUG_c3",
    "(85) call kernel-function#1234",
  ]);
  // The kernel's internal encodings seen in xlated code of newer kernels.
  const percpu: Instruction = { opcode: 0xbf, dst: 0, src: 0, offset: -1, imm: 0 };
  const cast: Instruction = { opcode: 0xbf, dst: 1, src: 2, offset: 1, imm: 1 << 16 };
  assert.equal(formatInstruction(percpu), "(bf) r0 = &(void __percpu *)(r0)");
  assert.equal(formatInstruction(cast), "(bf) r1 = addr_space_cast(r2, 1, 0)");
  assert.equal(formatInstruction(percpu, { dialect: "legacy" }), "(bf) r0 = r0");
});

test("unknown opcodes print like disasm.c's BUG_ lines", () => {
  const insn = (opcode: number): Instruction => ({ opcode, dst: 1, src: 2, offset: 0, imm: 0 });
  assert.equal(formatInstruction(insn(0x82)), "BUG_st_82");
  assert.equal(formatInstruction(insn(0x60)), "BUG_ld_60");
  // disasm.c does not check the size of legacy packet loads.
  assert.equal(formatInstruction(insn(0x38)), "(38) r0 = *(u64 *)skb[0]");
  assert.equal(formatInstruction(insn(0xe7)), "(e7) r1 (null) 0");
});

test("symbolizer hooks replace call and immediate text; unknown helpers say 'unknown'", () => {
  const call: Instruction = { opcode: 0x85, dst: 0, src: 0, offset: 0, imm: 99999 };
  assert.equal(formatInstruction(call), "(85) call unknown#99999");
  assert.equal(formatInstruction(call, { symbolizer: { call: () => "htab_map_lookup_elem" } }), "(85) call htab_map_lookup_elem#99999");
  const ld = new ProgramBuilder().ldImm64(R1, 5n).instructions()[0]!;
  assert.equal(formatInstruction(ld, { symbolizer: { imm64: (_i, v) => `const(${v})` } }), "(18) r1 = const(5)");
});

test("dumpXlated: two indices per ld_imm64, printf('% 4d') alignment, opcodes lines", () => {
  const b = new ProgramBuilder().ldMapFd(R1, 7).mov64Imm(R0, 0);
  for (let i = 0; i < 997; i++) b.mov64Reg(R2, R3);
  b.exit();
  const lines = dumpXlated(b.build()).split("\n");
  assert.equal(lines[0], "   0: (18) r1 = map[id:7]");
  assert.equal(lines[1], "   2: (b7) r0 = 0");
  assert.equal(lines[998], " 999: (bf) r2 = r3");
  assert.equal(lines[999], " 1000: (95) exit");
  assert.equal(lines[1000], "");
  const withBytes = dumpXlated(new ProgramBuilder().ldImm64(R1, 0x1122334455667788n).exit().build(), { opcodes: true });
  assert.equal(withBytes,
    "   0: (18) r1 = 0x1122334455667788\n" +
    "       18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11\n" +
    "   2: (95) exit\n" +
    "       95 00 00 00 00 00 00 00\n");
});

/**
 * A program BTF: int, struct ctx, ctx *, FUNC_PROTO(int, ctx *ctx), FUNC
 * handle, FUNC helper(int, ...), plus the file name and source lines that
 * line info points at (carried as names of unreferenced FWDs, so the
 * encoder puts them in the string section).
 */
function miniBtf(): { btf: Btf; off: Record<string, number> } {
  const sourceStrings = ["  int x = 1;", "file.c", "\treturn x;"];
  const btf = new Btf(encodeBtf([
    /* 1 */ { kind: "INT", name: "int", kindFlag: false, size: 4, signed: true, char: false, bool: false, bitOffset: 0, bits: 32 },
    /* 2 */ { kind: "STRUCT", name: "ctx", kindFlag: false, size: 0, members: [] },
    /* 3 */ { kind: "PTR", name: "", kindFlag: false, type: 2 },
    /* 4 */ { kind: "FUNC_PROTO", name: "", kindFlag: false, returnType: 1, params: [{ name: "ctx", type: 3 }] },
    /* 5 */ { kind: "FUNC", name: "handle", kindFlag: false, type: 4, linkage: "static", linkageValue: 0 },
    /* 6 */ { kind: "FUNC_PROTO", name: "", kindFlag: false, returnType: 1, params: [{ name: "", type: 1 }, { name: "", type: 0 }] },
    /* 7 */ { kind: "FUNC", name: "helper", kindFlag: false, type: 6, linkage: "static", linkageValue: 0 },
    ...sourceStrings.map((name) => ({ kind: "FWD", name, kindFlag: false, fwdKind: "struct" }) as const),
  ]));
  const { hdrLen, strOff, strLen } = btf.header;
  const section = Buffer.from(btf.bytes.buffer, btf.bytes.byteOffset + hdrLen + strOff, strLen);
  const off: Record<string, number> = {};
  for (const s of sourceStrings) off[s] = section.indexOf(`\0${s}\0`) + 1;
  return { btf, off };
}

test("typeSignature renders function signatures the way bpftool does", () => {
  const { btf } = miniBtf();
  assert.equal(typeSignature(btf, 5), "int handle(struct ctx * ctx)");
  assert.equal(typeSignature(btf, 7), "int helper(int, ...)");
  assert.equal(typeSignature(btf, 0), "void ");
  assert.equal(typeSignature(btf, 99), "");
});

test("dumpXlated: signatures from func info, source lines from line info (bpftool's lookup quirks included)", () => {
  const { btf, off } = miniBtf();
  const prog = new ProgramBuilder().mov64Imm(R0, 1).ldImm64(R1, 2n).exit().label("h").mov64Imm(R0, 0).exit().build();
  const line = (instruction: number, text: string, line: number, column: number) =>
    ({ instruction, fileNameOffset: off["file.c"]!, lineOffset: off[text]!, line, column });
  const out = dumpXlated(prog, {
    btf,
    funcInfo: [{ instruction: 0, typeId: 5 }, { instruction: 4, typeId: 7 }],
    // Two records before slot 3: bpftool shows the later one at slot 3 and the other one at slot 4.
    lineInfo: [line(0, "  int x = 1;", 12, 6), line(1, "\treturn x;", 13, 2), line(2, "\treturn x;", 14, 2), line(4, "  int x = 1;", 20, 1)],
  });
  assert.equal(out, [
    "int handle(struct ctx * ctx):",
    "; int x = 1;",
    "   0: (b7) r0 = 1",
    "; return x;",
    "   1: (18) r1 = 0x2",
    "; return x;",
    "   3: (95) exit",
    "int helper(int, ...):",
    "; int x = 1;",
    "   4: (b7) r0 = 0",
    "   5: (95) exit",
    "",
  ].join("\n"));
  const linum = dumpXlated(prog, { btf, linum: true, lineInfo: [line(0, "  int x = 1;", 12, 6)] });
  assert.match(linum, /^; int x = 1; \[file:file\.c line_num:12 line_col:6\]\n {3}0: \(b7\) r0 = 1\n/);
});

test("Kallsyms: exact-address lookup, __bpf_call_base, hidden addresses, refresh", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-kallsyms-"));
  try {
    const file = path.join(dir, "kallsyms");
    writeFileSync(file, [
      "ffffffff81000000 T _stext",
      "ffffffff814cc810 T __bpf_call_base",
      "ffffffff814d0000 t htab_map_lookup_elem",
      "ffffffffc0025be8 t bpf_prog_fe39f96673fc69d1_probe_entry\t[bpf]",
      "0000000000000000 A fixed_percpu_data",
    ].join("\n"));
    const k = new Kallsyms(file);
    assert.equal(k.bpfCallBase, 0xffffffff814cc810n);
    assert.equal(k.size, 4);
    assert.equal(k.lookup(0xffffffff814d0000n), "htab_map_lookup_elem");
    assert.equal(k.lookup(0xffffffff814d0001n), undefined);
    const sym = xlatedCallSymbolizer({ kallsyms: k, jitedKsyms: [0xffffffffc0025000n, 0xffffffffc0025be8n] });
    const helper: Instruction = { opcode: 0x85, dst: 0, src: 0, offset: 0, imm: 0x4d0000 - 0x4cc810 };
    assert.equal(formatInstruction(helper, { symbolizer: sym }), `(85) call htab_map_lookup_elem#${0x4d0000 - 0x4cc810}`);
    const unknown: Instruction = { ...helper, imm: 0x4d0010 - 0x4cc810 };
    assert.equal(formatInstruction(unknown, { symbolizer: sym }), `(85) call 0xffffffff814d0010#${0x4d0010 - 0x4cc810}`);
    const sub: Instruction = { opcode: 0x85, dst: 0, src: 1, offset: 2, imm: 1 };
    assert.equal(formatInstruction(sub, { symbolizer: sym }), "(85) call pc+2#bpf_prog_fe39f96673fc69d1_probe_entry");
    assert.equal(formatInstruction({ ...sub, imm: 0 }, { symbolizer: sym }), "(85) call pc+2#0xffffffffc0025000");
    const interpreted = xlatedCallSymbolizer({ kallsyms: k });
    assert.equal(formatInstruction(sub, { symbolizer: interpreted }), "(85) call pc+2");
    // kptr_restrict: every address reads as 0, and bpftool then knows no symbols at all.
    writeFileSync(file, "0000000000000000 T __bpf_call_base\n0000000000000000 T _stext\n");
    k.refresh();
    assert.equal(k.size, 0);
    assert.equal(k.bpfCallBase, 0n);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- the running kernel's own disasm.c as the oracle of the modern dialect ----

/**
 * Loads `bytes` with log_level 2 and returns the kernel's "Live regs before
 * insn" listing (Linux 6.15+), which prints every instruction with the
 * kernel's disasm.c before verification proper; index → text.
 */
function kernelListing(bytes: Uint8Array): Map<number, string> | undefined {
  const { fd, log: text } = rawLoadSocketFilter(bytes, 2, 1 << 22);
  if (fd >= 0) closeRaw(fd);
  const start = text.indexOf("Live regs before insn:\n");
  if (start < 0) return undefined;
  const listing = new Map<number, string>();
  for (const line of text.slice(start).split("\n").slice(1)) {
    const m = /^\s*(\d+): [0-9.]{10} (.*)$/.exec(line);
    if (!m) break;
    listing.set(Number(m[1]), m[2]!);
  }
  return listing;
}

test("modern dialect matches the running kernel's disassembler, instruction by instruction", (t) => {
  if (process.getuid?.() !== 0) return skipFor(t, "not root");
  const b = new ProgramBuilder().mov64Reg(R9, R1);
  for (const op of ["mov", "add", "sub", "mul", "div", "sdiv", "mod", "smod", "or", "and", "xor", "lsh", "rsh", "arsh"] as const) {
    b[`${op}64Imm`](R1, op.endsWith("sh") ? 3 : -7)[`${op}64Reg`](R1, R2)[`${op}32Imm`](R3, op.endsWith("sh") ? 5 : 0x7fffffff)[`${op}32Reg`](R3, R4);
  }
  b.neg64(R1).neg32(R2).movsx64(R1, R2, 8).movsx64(R1, R2, 16).movsx64(R1, R2, 32).movsx32(R1, R2, 8).movsx32(R1, R2, 16);
  for (const bits of [16, 32, 64] as const) b.toLe(R1, bits).toBe(R2, bits).bswap(R3, bits);
  b.ldxB(R1, R10, -1).ldxH(R1, R10, -2).ldxW(R1, R6, 16).ldxDW(R1, R10, -8).ldxsB(R1, R10, -1).ldxsH(R1, R10, -2).ldxsW(R1, R10, -4);
  b.stxB(R10, R1, -1).stxH(R10, R1, -2).stxW(R10, R1, -4).stxDW(R10, R1, -512);
  b.stB(R10, -1, 255).stH(R10, -2, -1).stW(R10, -4, 0x12345678).stDW(R10, -8, -2147483648);
  b.mov64Reg(R6, R9).ldAbs("B", 12).ldAbs("H", 14).ldAbs("W", 0).ldInd("B", R1, 2).ldInd("H", R2, -4).ldInd("W", R3, 0);
  for (const fetch of [false, true]) {
    b.atomicAdd64(R10, R2, -8, { fetch }).atomicAdd32(R10, R2, -8, { fetch }).atomicOr64(R10, R2, -8, { fetch }).atomicOr32(R10, R2, -4, { fetch });
    b.atomicAnd64(R10, R2, -8, { fetch }).atomicAnd32(R10, R2, -4, { fetch }).atomicXor64(R10, R2, -8, { fetch }).atomicXor32(R10, R2, -4, { fetch });
  }
  b.atomicXchg64(R10, R2, -8).atomicXchg32(R10, R2, -4).atomicCmpXchg64(R10, R2, -8).atomicCmpXchg32(R10, R2, -4);
  for (const size of ["B", "H", "W", "DW"] as const) b.loadAcquire(size, R0, R10, -8).storeRelease(size, R10, R2, -8);
  b.ldImm64(R1, 0x1122334455667788n).ldImm64(R2, -1);
  for (const j of ["jeq", "jne", "jgt", "jge", "jlt", "jle", "jsgt", "jsge", "jslt", "jsle", "jset"] as const) {
    b[`${j}Imm`](R1, -1, 1)[`${j}Reg`](R1, R2, 0)[`${j}32Imm`](R3, 0x7fffffff, 0)[`${j}32Reg`](R3, R4, 0).mov64Imm(R7, 0);
  }
  b.ja(0).gotol(0).mayGoto(0);
  b.call("bpf_ktime_get_ns").call("bpf_get_prandom_u32").callSubprog(2);
  b.mov64Imm(R0, 0).exit();
  b.mov64Imm(R0, 0).exit();
  const insns = b.instructions();
  const listing = kernelListing(b.build());
  if (!listing) return skipFor(t, "kernel older than", { linux: "6.15", feature: "an instruction listing in the verifier log" });
  let slot = 0;
  let compared = 0;
  for (const insn of insns) {
    const want = listing.get(slot);
    if (want !== undefined) {
      assert.equal(formatInstruction(insn), want, `instruction ${slot}`);
      compared++;
    }
    slot += insn.opcode === 0x18 ? 2 : 1;
  }
  assert.equal(compared, insns.length);
});

test("decode + dumpXlated round trip of builder output", () => {
  const bytes = new ProgramBuilder().mov64Imm(R0, 0).exit().build();
  assert.deepEqual(decode(bytes).length, 2);
  assert.equal(dumpXlated(bytes), "   0: (b7) r0 = 0\n   1: (95) exit\n");
});
