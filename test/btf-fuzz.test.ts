// Mutation fuzzing of the ELF reader, the BTF parser, .BTF.ext and the
// encoder. Only the library's own errors may come out: no RangeError or
// TypeError, no hang (cycles terminate), no unbounded allocation. Bounded by
// both a case count and a time budget.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import { Btf, BtfError, ElfError, ElfFile, SHT, btfFromElf, encodeBtf, parseBtfExt, type BtfTypeInput } from "../src/index.js";
import { skipFor } from "./util/environment.js";

const fixtures = new URL("../../test/fixtures/btf/", import.meta.url).pathname;
/** Cases per run: a count, not a time budget, so a busy machine runs the same cases (only slower). */
const CASES = 100_000;
const VMLINUX_CASES = 150;

/** xorshift32: a small deterministic generator so failures reproduce from the seed. */
class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.#s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#s = x >>> 0;
    return this.#s;
  }
  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
}

const interesting = [0, 1, 2, 3, 4, 7, 8, 12, 16, 24, 0x7f, 0x80, 0xff, 0xffff, 0x10000, 0x7fff_ffff, 0x8000_0000, 0xffff_fffe, 0xffff_ffff];

/** Applies 1–4 random mutations; returns possibly new (truncated/extended) bytes. */
function mutate(src: Uint8Array, rng: Rng): Uint8Array {
  let b = Uint8Array.from(src);
  const rounds = 1 + rng.below(4);
  for (let r = 0; r < rounds && b.length > 0; r++) {
    const at = rng.below(b.length);
    switch (rng.below(7)) {
      case 0: b[at] = (b[at] as number) ^ (1 << rng.below(8)); break;
      case 1: b[at] = rng.below(256); break;
      case 2: {
        // An interesting u32 at a 4-aligned offset: counts, lengths, offsets, ids, kinds.
        const o = at & ~3;
        if (o + 4 <= b.length) new DataView(b.buffer, b.byteOffset).setUint32(o, interesting[rng.below(interesting.length)] as number, rng.below(2) === 0);
        break;
      }
      case 3: b = b.subarray(0, at); break;
      case 4: {
        const ext = new Uint8Array(b.length + 1 + rng.below(64));
        ext.set(b);
        for (let i = b.length; i < ext.length; i++) ext[i] = rng.below(256);
        b = ext;
        break;
      }
      case 5: {
        // Copy a word from elsewhere (keeps values plausible: real ids and offsets).
        const from = rng.below(b.length) & ~3;
        const to = at & ~3;
        if (from + 4 <= b.length && to + 4 <= b.length) b.copyWithin(to, from, from + 4);
        break;
      }
      case 6: {
        const o = at & ~3;
        if (o + 4 <= b.length) new DataView(b.buffer, b.byteOffset).setUint32(o, rng.next(), true);
        break;
      }
    }
  }
  return b;
}

function expected(e: unknown): boolean {
  return e instanceof ElfError || e instanceof BtfError;
}

/** Runs `f`; an expected error counts as handled, anything else fails the test. */
function guard(what: string, f: () => void): void {
  try {
    f();
  } catch (e) {
    if (!expected(e)) throw new Error(`${what}: unexpected ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
  }
}

/** Runs `f`, returning false when it threw an expected error. */
function ok(what: string, f: () => void): boolean {
  try {
    f();
    return true;
  } catch (e) {
    if (!expected(e)) throw new Error(`${what}: unexpected ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
    return false;
  }
}

/** Touches every part of a Btf: decode, names, resolve, sizes, alignments, lookups, and sometimes an encode round trip. */
function exerciseBtf(btf: Btf, rng: Rng, sample = Infinity): void {
  const n = Math.min(btf.count, sample);
  for (let i = 0; i < n; i++) {
    const id = sample === Infinity ? btf.firstId + i : btf.firstId + rng.below(btf.count);
    // A type that does not decode makes the other queries fail the same way; skip them.
    if (!ok("typeById", () => btf.typeById(id))) continue;
    guard("kindOf/nameOf", () => { btf.kindOf(id); btf.nameOf(id); });
    guard("resolve", () => btf.resolve(id));
    guard("sizeOf", () => btf.sizeOf(id));
    guard("alignOf", () => btf.alignOf(id));
  }
  guard("typeById out of range", () => btf.typeById(btf.lastId + 1 + rng.below(1000)));
  guard("typesByName", () => { btf.typesByName("int"); btf.typesByName("task_struct", "STRUCT"); });
  if (sample === Infinity && rng.below(8) === 0) {
    guard("encode", () => {
      const again = new Btf(encodeBtf(btf, { base: btf.base }), { base: btf.base });
      assert.equal(again.count, btf.count);
    });
  }
}

function exerciseElf(bytes: Uint8Array, rng: Rng): void {
  let elf: ElfFile;
  try {
    elf = new ElfFile(bytes);
  } catch (e) {
    if (expected(e)) return;
    throw e;
  }
  guard("symbols", () => elf.symbols());
  guard("notes", () => elf.notes());
  for (const s of elf.sections) {
    if (s.type === SHT.REL || s.type === SHT.RELA) guard("relocations", () => elf.relocations(s));
    guard("data", () => elf.data(s));
  }
  guard("btfFromElf", () => {
    const { btf } = btfFromElf(elf);
    if (btf) exerciseBtf(btf, rng);
  });
}

/** Up to `max` BPF objects embedded in libbpf-tools executables (real CO-RE objects), if installed. */
function realWorldObjects(max: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const tool of ["/usr/sbin/opensnoop", "/usr/sbin/bindsnoop"]) {
    if (out.length >= max || !existsSync(tool)) continue;
    const bytes = readFileSync(tool);
    for (let p = bytes.indexOf("\x7fELF", 1); p > 0; p = bytes.indexOf("\x7fELF", p + 1)) {
      if (p + 64 > bytes.length || bytes[p + 4] !== 2 || bytes.readUInt16LE(p + 18) !== 247) continue;
      const end = Number(bytes.readBigUInt64LE(p + 40)) + bytes.readUInt16LE(p + 60) * bytes.readUInt16LE(p + 58);
      if (p + end <= bytes.length) out.push(Uint8Array.from(bytes.subarray(p, p + end)));
      break;
    }
  }
  return out;
}

/** BTF whose reference graph is cyclic in every way the model allows. */
function cyclicBtfs(): Uint8Array[] {
  const int: BtfTypeInput = { kind: "INT", name: "int", kindFlag: false, size: 4, signed: true, char: false, bool: false, bitOffset: 0, bits: 32 };
  const graphs: BtfTypeInput[][] = [
    [{ kind: "TYPEDEF", name: "self", kindFlag: false, type: 1 }],
    [{ kind: "PTR", name: "", kindFlag: false, type: 1 }],
    [{ kind: "CONST", name: "", kindFlag: false, type: 2 }, { kind: "VOLATILE", name: "", kindFlag: false, type: 1 }],
    [{ kind: "STRUCT", name: "s", kindFlag: false, size: 8, members: [{ name: "me", type: 1, bitOffset: 0, bitfieldSize: 0 }] }],
    [{ kind: "ARRAY", name: "", kindFlag: false, type: 1, indexType: 2, nelems: 3 }, int],
    [{ kind: "UNION", name: "u", kindFlag: false, size: 4, members: [{ name: "a", type: 2, bitOffset: 0, bitfieldSize: 0 }] },
      { kind: "TYPEDEF", name: "t", kindFlag: false, type: 3 }, { kind: "ARRAY", name: "", kindFlag: false, type: 1, indexType: 4, nelems: 2 }, int],
    [{ kind: "VAR", name: "v", kindFlag: false, type: 1, linkage: "global", linkageValue: 1 }],
    [{ kind: "TYPE_TAG", name: "tag", kindFlag: false, type: 1 }],
    // A wide DAG: 40 structs, each with two members of the next one.
    Array.from({ length: 40 }, (_, i): BtfTypeInput => ({
      kind: "STRUCT", name: `d${i}`, kindFlag: false, size: 8,
      members: [{ name: "a", type: i + 2 > 40 ? 41 : i + 2, bitOffset: 0, bitfieldSize: 0 }, { name: "b", type: i + 2 > 40 ? 41 : i + 2, bitOffset: 0, bitfieldSize: 0 }],
    })).concat([int]),
  ];
  return graphs.map((g) => encodeBtf(g));
}

test("cyclic type graphs terminate with BtfError", () => {
  for (const bytes of cyclicBtfs()) {
    const btf = new Btf(bytes);
    exerciseBtf(btf, new Rng(1));
  }
  const selfTypedef = new Btf(cyclicBtfs()[0] as Uint8Array);
  assert.throws(() => selfTypedef.resolve(1), BtfError);
  assert.throws(() => selfTypedef.sizeOf(1), BtfError);
  const selfStruct = new Btf(cyclicBtfs()[3] as Uint8Array);
  assert.throws(() => selfStruct.alignOf(1), BtfError);
});

test("fuzz: mutated objects, BTF sections and the vmlinux BTF give only ElfError/BtfError", { timeout: 180_000 }, (t) => {
  const seed = Number(process.env.TSBPF_FUZZ_SEED ?? Date.now() % 1_000_000);
  t.diagnostic(`seed ${seed} (set TSBPF_FUZZ_SEED to reproduce)`);
  const rng = new Rng(seed);
  const objects = ["kinds.bpf.o", "kinds.bpfeb.o", "core.bpf.o"].map((n): Uint8Array => readFileSync(fixtures + n));
  objects.push(...realWorldObjects(1));
  const sections: { btf: Uint8Array; ext: Uint8Array | undefined }[] = objects.map((o) => {
    const elf = new ElfFile(o);
    const s = elf.section(".BTF");
    const x = elf.section(".BTF.ext");
    assert.ok(s);
    return { btf: elf.data(s), ext: x ? elf.data(x) : undefined };
  });
  const cyclic = cyclicBtfs();
  // Stack traces of the (many, expected) errors would dominate the run time.
  const stackLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const started = performance.now();
  let cases = 0;
  let slowest = 0;
  while (cases < CASES) {
    const caseStart = performance.now();
    const pick = rng.below(10);
    if (pick < 4) {
      exerciseElf(mutate(objects[rng.below(objects.length)] as Uint8Array, rng), rng);
    } else if (pick < 8) {
      const s = sections[rng.below(sections.length)] as { btf: Uint8Array; ext: Uint8Array | undefined };
      const mutateExt = s.ext !== undefined && rng.below(2) === 0;
      const bytes = mutateExt ? s.btf : mutate(s.btf, rng);
      guard("Btf", () => {
        const btf = new Btf(bytes);
        exerciseBtf(btf, rng);
        if (s.ext) guard("ext", () => parseBtfExt(mutateExt ? mutate(s.ext as Uint8Array, rng) : (s.ext as Uint8Array), btf));
      });
    } else {
      guard("cyclic", () => exerciseBtf(new Btf(mutate(cyclic[rng.below(cyclic.length)] as Uint8Array, rng)), rng));
    }
    slowest = Math.max(slowest, performance.now() - caseStart);
    cases++;
  }
  Error.stackTraceLimit = stackLimit;
  const elapsed = performance.now() - started;
  t.diagnostic(`${cases} cases in ${(elapsed / 1000).toFixed(1)} s, slowest ${slowest.toFixed(1)} ms`);
  assert.ok(process.memoryUsage().rss < 2 * 1024 ** 3, "memory stays bounded");
});

test("fuzz: mutated vmlinux BTF", { timeout: 120_000 }, (t) => {
  if (!existsSync("/sys/kernel/btf/vmlinux")) return skipFor(t, "no vmlinux BTF");
  const rng = new Rng(Number(process.env.TSBPF_FUZZ_SEED ?? 7));
  const original = readFileSync("/sys/kernel/btf/vmlinux");
  const work = Buffer.from(original);
  const view = new DataView(work.buffer, work.byteOffset, work.byteLength);
  for (let i = 0; i < VMLINUX_CASES; i++) {
    // Mutate in place and restore afterwards: copying 5 MB per case would dominate.
    const edits: [number, number][] = [];
    const n = 1 + rng.below(4);
    for (let k = 0; k < n; k++) {
      const o = rng.below(work.length - 4) & ~3;
      edits.push([o, view.getUint32(o, true)]);
      view.setUint32(o, rng.below(2) ? (interesting[rng.below(interesting.length)] as number) : rng.next(), true);
    }
    // Sometimes hit the header or the first types, where one edit breaks everything after it.
    if (rng.below(4) === 0) {
      const o = rng.below(64) & ~3;
      edits.push([o, view.getUint32(o, true)]);
      view.setUint32(o, interesting[rng.below(interesting.length)] as number, true);
    }
    const bytes = rng.below(8) === 0 ? work.subarray(0, rng.below(work.length)) : work;
    guard("vmlinux", () => exerciseBtf(new Btf(bytes), rng, 2000));
    for (const [o, v] of edits.reverse()) view.setUint32(o, v, true);
  }
  assert.equal(Buffer.compare(work, original), 0);
});
