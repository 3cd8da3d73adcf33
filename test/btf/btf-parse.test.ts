import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { Btf, BtfError } from "../../src/index.js";
import { btfFromElf, parseKernelBtf, type BtfType } from "../../src/btf/index.js";
import { EM_BPF } from "../../src/elf/index.js";
import { missingOracle, requireOracle, skipFor } from "../util/environment.js";

const VMLINUX = "/sys/kernel/btf/vmlinux";
const fixtures = new URL("../../../test/fixtures/btf/", import.meta.url).pathname;

/** One type as bpftool's raw dump prints it: header key=values and its entry lines. */
interface RawEntry { id: number; kind: string; name: string; attrs: Map<string, string>; lines: Map<string, string>[] }

/** Parses `bpftool btf dump file F format raw` (the independent oracle). */
function bpftoolRaw(file: string): RawEntry[] {
  const text = execFileSync("bpftool", ["btf", "dump", "file", file, "format", "raw"], { encoding: "utf8", maxBuffer: 1 << 30 });
  const out: RawEntry[] = [];
  for (const line of text.split("\n")) {
    const head = /^\[(\d+)\] (\w+) '([^']*)'(.*)$/.exec(line);
    if (head) {
      out.push({ id: Number(head[1]), kind: head[2] ?? "", name: head[3] === "(anon)" ? "" : (head[3] ?? ""), attrs: keyValues(head[4] ?? ""), lines: [] });
      continue;
    }
    if (line.startsWith("\t")) {
      const kv = keyValues(line);
      const name = /^\t'([^']*)'/.exec(line)?.[1];
      if (name !== undefined) kv.set("name", name === "(anon)" ? "" : name);
      out[out.length - 1]?.lines.push(kv);
    }
  }
  return out;
}

function keyValues(s: string): Map<string, string> {
  return new Map([...s.matchAll(/(\w+)=([^\s,]+)/g)].map((m) => [m[1] ?? "", m[2] ?? ""]));
}

/** Compares one decoded type with bpftool's view of it; returns a description of the first difference. */
function compare(t: BtfType, raw: RawEntry): string | undefined {
  const a = raw.attrs;
  const fail = (what: string, got: unknown, want: unknown): string | undefined =>
    String(got) === String(want) ? undefined : `[${t.id}] ${t.kind} ${what}: got ${String(got)}, bpftool ${String(want)}`;
  const first = (...checks: (string | undefined)[]): string | undefined => checks.find((c) => c !== undefined);
  if (t.kind !== raw.kind) return `[${t.id}] kind ${t.kind} vs ${raw.kind}`;
  if (t.name !== raw.name) return `[${t.id}] name '${t.name}' vs '${raw.name}'`;
  switch (t.kind) {
    case "INT": {
      const enc = t.signed ? "SIGNED" : t.char ? "CHAR" : t.bool ? "BOOL" : "(none)";
      return first(fail("size", t.size, a.get("size")), fail("bits", t.bits, a.get("nr_bits")),
        fail("offset", t.bitOffset, a.get("bits_offset")), fail("encoding", enc, a.get("encoding")));
    }
    case "PTR": case "TYPEDEF": case "VOLATILE": case "CONST": case "RESTRICT": case "TYPE_TAG":
      return fail("type", t.type, a.get("type_id"));
    case "ARRAY":
      return first(fail("type", t.type, a.get("type_id")), fail("index", t.indexType, a.get("index_type_id")), fail("nelems", t.nelems, a.get("nr_elems")));
    case "STRUCT": case "UNION":
      return first(fail("size", t.size, a.get("size")), fail("vlen", t.members.length, raw.lines.length),
        ...t.members.map((m, i) => {
          const l = raw.lines[i];
          return first(fail("member name", m.name, l?.get("name")), fail("member type", m.type, l?.get("type_id")),
            fail("member offset", m.bitOffset, l?.get("bits_offset")), fail("bitfield", m.bitfieldSize, l?.get("bitfield_size") ?? 0));
        }));
    case "ENUM": case "ENUM64":
      return first(fail("size", t.size, a.get("size")), fail("encoding", t.signed ? "SIGNED" : "UNSIGNED", a.get("encoding")),
        fail("vlen", t.values.length, raw.lines.length),
        ...t.values.map((v, i) => first(fail("enumerator", v.name, raw.lines[i]?.get("name")),
          fail("value", v.value, raw.lines[i]?.get("val")?.replace(/U?LL$/, "")))));
    case "FWD":
      return fail("fwd kind", t.fwdKind, a.get("fwd_kind"));
    case "FUNC":
      return first(fail("type", t.type, a.get("type_id")), fail("linkage", t.linkage, a.get("linkage")));
    case "FUNC_PROTO":
      return first(fail("return", t.returnType, a.get("ret_type_id")), fail("vlen", t.params.length, raw.lines.length),
        ...t.params.map((p, i) => first(fail("param name", p.name, raw.lines[i]?.get("name")), fail("param type", p.type, raw.lines[i]?.get("type_id")))));
    case "VAR":
      return first(fail("type", t.type, a.get("type_id")), fail("linkage", t.linkage === "global" ? "global" : t.linkage, a.get("linkage")));
    case "DATASEC":
      return first(fail("size", t.size, a.get("size")), fail("vlen", t.vars.length, raw.lines.length),
        ...t.vars.map((v, i) => first(fail("var", v.type, raw.lines[i]?.get("type_id")), fail("offset", v.offset, raw.lines[i]?.get("offset")),
          fail("var size", v.size, raw.lines[i]?.get("size")))));
    case "FLOAT":
      return fail("size", t.size, a.get("size"));
    case "DECL_TAG":
      return first(fail("type", t.type, a.get("type_id")), fail("component", t.componentIndex, a.get("component_idx")));
    default:
      return `[${t.id}] unexpected kind ${t.kind}`;
  }
}

function compareAll(btf: Btf, raw: RawEntry[]): void {
  assert.equal(btf.count, raw.length, "type count equals bpftool's");
  for (const r of raw) {
    const diff = compare(btf.typeById(r.id), r);
    if (diff) assert.fail(diff);
  }
}

test("vmlinux BTF: every type equals bpftool's raw dump", (t) => {
  if (!existsSync(VMLINUX)) return skipFor(t, "no vmlinux BTF");
  if (!requireOracle(t, "bpftool")) return;
  const btf = new Btf(readFileSync(VMLINUX));
  compareAll(btf, bpftoolRaw(VMLINUX));
  assert.equal(btf.firstId, 1);
  assert.equal(btf.lastId, btf.count);
});

test("vmlinux BTF: lookups by name, resolve, sizes and alignments", (t) => {
  if (!existsSync(VMLINUX)) return skipFor(t, "no vmlinux BTF");
  const btf = new Btf(readFileSync(VMLINUX));
  const [task] = btf.typesByName("task_struct", "STRUCT");
  assert.ok(task);
  assert.equal(btf.typeByName("task_struct", "STRUCT"), task);
  assert.equal(btf.sizeOf(task.id), task.size);
  // BTF records no alignment attributes, so (like libbpf) the natural alignment is the largest member's.
  assert.equal(btf.alignOf(task.id), 8);
  const pid = task.members.find((m) => m.name === "pid");
  assert.ok(pid);
  const pidT = btf.typeById(pid.type);
  assert.equal(pidT.kind, "TYPEDEF");
  assert.equal(pidT.name, "pid_t");
  const resolved = btf.resolve(pid.type);
  assert.equal(resolved.kind, "INT");
  assert.equal(resolved.name, "int");
  assert.equal(btf.sizeOf(pid.type), 4);
  assert.equal(btf.pointerSize, 8);
  // typesByName without a kind returns every kind; a FUNC and a STRUCT can share a name.
  assert.ok(btf.typesByName("u64").every((x) => x.name === "u64"));
  assert.deepEqual(btf.typesByName("no_such_type_name_xyz"), []);
  const comm = task.members.find((m) => m.name === "comm");
  assert.ok(comm);
  assert.equal(btf.sizeOf(comm.type), 16);
  assert.equal(btf.alignOf(comm.type), 1);
  assert.throws(() => btf.typeById(btf.lastId + 1), BtfError);
  assert.throws(() => btf.sizeOf(btf.typesByName("schedule", "FUNC")[0]?.id ?? -1), BtfError);
  let n = 0;
  for (const s of btf.types("DATASEC")) n += s.kind === "DATASEC" ? 1 : 0;
  assert.ok(n >= 1);
  assert.equal([...btf].length, btf.count);
});

test("object BTF (all kinds, both byte orders) equals bpftool's raw dump", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  for (const name of ["kinds.bpf.o", "kinds.bpfeb.o", "core.bpf.o"]) {
    const { btf } = btfFromElf(readFileSync(fixtures + name));
    assert.ok(btf, name);
    compareAll(btf, bpftoolRaw(fixtures + name));
  }
});

test("object BTF: kind_flag semantics, tags, enum64, datasecs", () => {
  const { btf } = btfFromElf(readFileSync(fixtures + "kinds.bpf.o"));
  assert.ok(btf);
  const { btf: be } = btfFromElf(readFileSync(fixtures + "kinds.bpfeb.o"));
  assert.ok(be);
  assert.equal(be.littleEndian, false);
  assert.deepEqual([...be], [...btf], "the big-endian object decodes to the same types");
  const kinds = new Set([...btf].map((x) => x.kind));
  for (const k of ["INT", "PTR", "ARRAY", "STRUCT", "UNION", "ENUM", "FWD", "TYPEDEF", "VOLATILE", "CONST", "RESTRICT",
    "FUNC", "FUNC_PROTO", "VAR", "DATASEC", "FLOAT", "DECL_TAG", "TYPE_TAG", "ENUM64"]) {
    assert.ok(kinds.has(k as BtfType["kind"]), `fixture has ${k}`);
  }
  const flags = btf.typeByName("flags", "STRUCT");
  assert.ok(flags?.kindFlag);
  assert.deepEqual(flags.members.map((m) => [m.name, m.bitOffset, m.bitfieldSize]),
    [["a", 0, 3], ["b", 3, 5], ["c", 8, 12], ["d", 64, 0], ["e", 128, 4]]);
  assert.equal(btf.alignOf(flags.id), 8);
  const packed = btf.typeByName("packed", "STRUCT");
  assert.ok(packed);
  assert.equal(btf.alignOf(packed.id), 1, "packed struct");
  assert.equal(btf.sizeOf(packed.id), 7);
  const flex = btf.typeByName("flex", "STRUCT");
  assert.ok(flex);
  const data = flex.members.at(-1);
  assert.equal(data?.name, "data");
  const arr = btf.typeById(data?.type ?? 0);
  assert.equal(arr.kind === "ARRAY" && arr.nelems, 0, "flexible array has 0 elements");
  const anon = btf.typeById(flex.members[1]?.type ?? 0);
  assert.equal(anon.kind, "UNION");
  assert.equal(anon.name, "");
  const fwd = btf.typeByName("fwd_union", "FWD");
  assert.equal(fwd?.fwdKind, "union");
  assert.equal(btf.typeByName("fwd_struct", "FWD")?.fwdKind, "struct");
  const signed = btf.typeByName("signed_enum", "ENUM");
  assert.equal(signed?.signed, true);
  assert.deepEqual(signed.values, [{ name: "NEG", value: -3 }, { name: "POS", value: 7 }]);
  const big = btf.typeByName("big_enum", "ENUM64");
  assert.deepEqual(big?.values.map((v) => v.value), [1n, 0x123456789abcdefn]);
  const tags = [...btf.types("DECL_TAG")].map((d) => [d.name, btf.nameOf(d.type), d.componentIndex]);
  assert.deepEqual(tags.sort(), [["member_tag", "holder", 11], ["param_tag", "add", 0], ["struct_tag", "holder", -1]]);
  const tt = [...btf.types("TYPE_TAG")];
  assert.deepEqual(tt.map((x) => x.name), ["user"]);
  const add = btf.typeByName("add", "FUNC");
  assert.equal(add?.linkage, "static");
  assert.equal(btf.typeByName("handle", "FUNC")?.linkage, "global");
  const sections = [...btf.types("DATASEC")].map((d) => d.name).sort();
  assert.deepEqual(sections, [".bss", ".data", ".rodata", "license"]);
  assert.equal(btf.typeByName("static_counter", "VAR")?.linkage, "static");
  const holder = btf.typeByName("holder", "STRUCT");
  assert.ok(holder);
  const matrix = holder.members.find((m) => m.name === "matrix");
  assert.equal(btf.sizeOf(matrix?.type ?? 0), 48);
  assert.equal(btf.sizeOf(holder.id), 192);
  assert.equal(btf.alignOf(holder.id), 8);
});

test("BTF header errors and unknown kinds are BtfError", () => {
  const { btf } = btfFromElf(readFileSync(fixtures + "core.bpf.o"));
  assert.ok(btf);
  const bytes = Buffer.from(btf.bytes);
  const withKind = Buffer.from(bytes);
  // The first type's info word: set kind 31 (a future kind).
  withKind.writeUInt32LE((31 << 24) >>> 0, 24 + 4);
  assert.throws(() => new Btf(withKind), (e: unknown) => e instanceof BtfError && /unknown kind 31/.test(e.message));
  assert.throws(() => new Btf(bytes.subarray(0, 10)), BtfError);
  const badMagic = Buffer.from(bytes);
  badMagic[0] = 0;
  assert.throws(() => new Btf(badMagic), BtfError);
  const badLen = Buffer.from(bytes);
  badLen.writeUInt32LE(0xffff_fff0, 12);
  assert.throws(() => new Btf(badLen), BtfError);
});

/** BPF objects embedded in Debian's libbpf-tools executables (compiled by someone else's clang). */
function embeddedObjects(): { tool: string; bytes: Uint8Array }[] {
  if (!existsSync("/usr/sbin")) return [];
  const out: { tool: string; bytes: Uint8Array }[] = [];
  for (const tool of readdirSync("/usr/sbin")) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(join("/usr/sbin", tool));
    } catch {
      continue;
    }
    if (bytes.length > 64 << 20 || bytes.readUInt32BE(0) !== 0x7f454c46) continue;
    for (let p = bytes.indexOf("\x7fELF", 1); p > 0; p = bytes.indexOf("\x7fELF", p + 1)) {
      if (p + 64 > bytes.length || bytes[p + 4] !== 2 || bytes.readUInt16LE(p + 18) !== EM_BPF) continue;
      const end = Number(bytes.readBigUInt64LE(p + 40)) + bytes.readUInt16LE(p + 60) * bytes.readUInt16LE(p + 58);
      if (p + end <= bytes.length) out.push({ tool, bytes: bytes.subarray(p, p + end) });
    }
  }
  return out;
}

test("libbpf-tools objects: BTF equals bpftool's raw dump, .BTF.ext parses", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const objects = embeddedObjects();
  if (objects.length === 0) return missingOracle(t, "libbpf-tools");
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-btf-"));
  try {
    let relos = 0;
    for (const { tool, bytes } of objects) {
      const { btf, ext } = btfFromElf(bytes);
      assert.ok(btf && ext, tool);
      const file = join(dir, `${tool}.bpf.o`);
      writeFileSync(file, bytes);
      compareAll(btf, bpftoolRaw(file));
      for (const [, list] of ext.coreRelos) relos += list.length;
      // Line 0 is legitimate (compiler-generated code), but most records name a real line.
      const lines = [...ext.lineInfos.values()].flat();
      assert.ok(lines.filter((li) => li.line > 0 && li.fileName.length > 0).length > lines.length / 2, tool);
    }
    assert.ok(relos > 100, "the corpus carries CO-RE relocations");
    t.diagnostic(`${objects.length} objects, ${relos} CO-RE relocations`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("opening kernel BTF is lazy: indexing only, types decoded on demand and cached", (t) => {
  if (!existsSync(VMLINUX)) return skipFor(t, "no vmlinux BTF");
  const btf = parseKernelBtf();
  const id = btf.typesByName("task_struct", "STRUCT")[0]?.id ?? 0;
  assert.equal(btf.typeById(id), btf.typeById(id), "decoded once, then cached");
  // Opening only indexes records (bench/btf-parse.ts times it): a name pointing past
  // the string table opens fine and fails only when that one type is decoded.
  const broken = btf.bytes.slice();
  const nameOffset = btf.header.hdrLen + btf.header.typeOff + btf.recordStart(id) * 4;
  new DataView(broken.buffer).setUint32(nameOffset, 0x7fffffff, btf.littleEndian);
  const lazy = new Btf(broken);
  assert.equal(lazy.typeById(id + 1).kind, btf.typeById(id + 1).kind);
  assert.throws(() => lazy.typeById(id), BtfError);
  // Raw record access agrees with the decoded model.
  const at = btf.recordStart(id);
  assert.equal(btf.stringAt(btf.words[at] ?? 0), "task_struct");
  assert.equal(btf.words[at + 2], btf.sizeOf(id));
  assert.throws(() => btf.recordStart(0), BtfError);
});
