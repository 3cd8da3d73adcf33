// struct_ops objects end to end: the spec of `.struct_ops` / `.struct_ops.link`
// variables, their values matched against kernel structs (synthetic BTF and
// the running kernel's), and a real TCP congestion control registered with
// tsbpf, used by TCP traffic in a network namespace the test creates, and
// unregistered on close — compared with `bpftool struct_ops register`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Btf } from "../../src/btf/btf.js";
import { kernelBtf } from "../../src/btf/discovery.js";
import { encodeBtf } from "../../src/btf/encode.js";
import type { BtfTypeInput } from "../../src/btf/types.js";
import { loadObjectSpec, type ObjectMapSpec } from "../../src/object/index.js";
import { Collection } from "../../src/collection.js";
import { planStructOps, structOpsTargets, structOpsValue } from "../../src/collection/struct-ops.js";
import { StructOpsError } from "../../src/collection/struct-ops-error.js";
import { MapFlags, MapType } from "../../src/map/types.js";
import { ProgramType } from "../../src/program/types.js";
import { BusyError, InvalidArgumentError } from "../../src/sys/errors.js";
import { openFdCount } from "../util/kernel.js";
import { tcpTransfer } from "../util/tcp-transfer.js";
import { requireOracle } from "../util/environment.js";

const fixture = (name: string): string => fileURLToPath(new URL(`../../../test/fixtures/struct-ops/${name}.bpf.o`, import.meta.url));
const AVAILABLE = "/proc/sys/net/ipv4/tcp_available_congestion_control";
const available = (): string[] => readFileSync(AVAILABLE, "utf8").trim().split(/\s+/);
const cString = (b: Uint8Array): string => Buffer.from(b.subarray(0, b.indexOf(0))).toString();

/** Index and byte offset of a member of a vmlinux struct. */
function kernelMember(struct: string, member: string): { index: number; offset: number } {
  const t = kernelBtf().typesByName(struct, "STRUCT")[0]!;
  const index = t.members.findIndex((m) => m.name === member);
  assert.ok(index >= 0, `${struct}.${member}`);
  return { index, offset: t.members[index]!.bitOffset / 8 };
}

// ---- spec (no kernel) ----------------------------------------------------

test("struct_ops variables become STRUCT_OPS maps named after them", () => {
  const spec = loadObjectSpec(fixture("tcp-reno"));
  assert.deepEqual([...spec.maps.keys()], [".bss", "tsbpf_reno", "tsbpf_plain"]);
  const reno = spec.map("tsbpf_reno");
  assert.equal(reno.kind, "struct_ops");
  assert.equal(reno.sectionName, ".struct_ops.link");
  assert.equal(reno.type, MapType.StructOps);
  assert.equal(reno.flags, MapFlags.LINK, ".struct_ops.link means BPF_F_LINK");
  assert.equal(reno.keySize, 4);
  assert.equal(reno.maxEntries, 1);
  assert.equal(reno.structOps?.typeName, "tcp_congestion_ops");
  assert.equal(spec.btf!.typeById(reno.structOps.typeId).name, "tcp_congestion_ops");
  assert.equal(reno.valueSize, spec.btf!.sizeOf(reno.structOps.typeId), "the object's struct, until the loader resizes it");
  assert.deepEqual([...reno.structOps.programs], [
    ["ssthresh", "reno_ssthresh"], ["cong_avoid", "reno_cong_avoid"], ["undo_cwnd", "reno_undo_cwnd"], ["init", "reno_init"],
  ]);
  // Initial data from the section: the name at the member's offset in the object's layout.
  const nameAt = kernelMember("tcp_congestion_ops", "name").offset;
  assert.equal(cString(reno.initialValue!.subarray(nameAt)), "tsbpf_reno");

  const plain = spec.map("tsbpf_plain");
  assert.equal(plain.sectionName, ".struct_ops");
  assert.equal(plain.flags, 0);
  assert.equal(plain.structOps?.typeName, "tcp_congestion_ops___local");
  assert.equal(plain.valueSize, 56);
  assert.deepEqual([...plain.structOps.programs.keys()], ["ssthresh", "cong_avoid", "undo_cwnd"]);
  assert.equal(cString(plain.initialValue!.subarray(32)), "tsbpf_plain");
  for (const p of spec.programs.values()) assert.equal(p.type, ProgramType.StructOps);
});

// ---- matching against a synthetic kernel --------------------------------

const int = (name: string, size: number): BtfTypeInput =>
  ({ kind: "INT", name, kindFlag: false, size, signed: false, char: false, bool: false, bitOffset: 0, bits: size * 8 });
const member = (name: string, type: number, byteOffset: number): { name: string; type: number; bitOffset: number; bitfieldSize: number } =>
  ({ name, type, bitOffset: byteOffset * 8, bitfieldSize: 0 });
const struct = (name: string, size: number, members: ReturnType<typeof member>[]): BtfTypeInput => ({ kind: "STRUCT", name, kindFlag: false, size, members });

/** Ids 1-6 shared by both sides: u32, u64, fn proto, fn pointer, char[8], char. */
const common: BtfTypeInput[] = [
  int("u32", 4), int("u64", 8),
  { kind: "FUNC_PROTO", name: "", kindFlag: false, returnType: 1, params: [] },
  { kind: "PTR", name: "", kindFlag: false, type: 3 },
  { kind: "ARRAY", name: "", kindFlag: false, type: 6, indexType: 1, nelems: 8 },
  int("char", 1),
];
// demo_ops { fn @0 (index 0); knob u32 @8 (index 1); name char[8] @12 (index 2); other fn @24 (index 3) }, value data at 8.
const kernel = new Btf(encodeBtf([
  ...common,
  /* 7 */ struct("demo_ops", 32, [member("fn", 4, 0), member("knob", 1, 8), member("name", 5, 12), member("other", 4, 24)]),
  /* 8 */ struct("bpf_struct_ops_common_value", 8, []),
  /* 9 */ struct("bpf_struct_ops_demo_ops", 40, [member("common", 8, 0), member("data", 7, 8)]),
  /* 10 */ struct("plain_struct", 4, [member("knob", 1, 0)]),
]));

/** A local struct: ids 7.. after the common ones. */
function localSpec(members: ReturnType<typeof member>[], size: number, data: Uint8Array, programs: [string, string][], typeName = "demo_ops___v2"): { m: ObjectMapSpec; btf: Btf } {
  const btf = new Btf(encodeBtf([...common, struct(typeName, size, members)]));
  const m: ObjectMapSpec = {
    name: "demo", kind: "struct_ops", sectionName: ".struct_ops.link", sectionOffset: 0, type: MapType.StructOps,
    keySize: 4, valueSize: size, maxEntries: 1, flags: MapFlags.LINK, initialValue: data,
    structOps: { typeName, typeId: 7, programs: new Map(programs) },
  };
  return { m, btf };
}

function demoData(knob: number, name: string, extra = 0n): Uint8Array {
  const b = new Uint8Array(32);
  const v = new DataView(b.buffer);
  v.setUint32(8, knob, true);
  b.set(Buffer.from(name), 12);
  v.setBigUint64(24, extra, true);
  return b;
}

// Local flavor: same fn/knob/name, members reordered, plus "extra" the kernel lacks.
const localMembers = [member("knob", 1, 8), member("fn", 4, 0), member("name", 5, 12), member("extra", 2, 24)];

test("values: data members copied by name into the kernel layout, program slots by member index", () => {
  const { m, btf } = localSpec(localMembers, 32, demoData(7, "demo"), [["fn", "my_prog"]]);
  const plan = planStructOps("demo", m, btf, kernel);
  assert.equal(plan.kernelTypeName, "demo_ops", "flavor suffix stripped");
  assert.equal(plan.kernelTypeId, 7);
  assert.equal(plan.valueTypeId, 9);
  assert.equal(plan.valueSize, 40);
  assert.deepEqual(plan.programSlots, [{ member: "fn", program: "my_prog", memberIndex: 0, valueOffset: 8 }]);
  assert.deepEqual(plan.skippedMembers, ["extra"], "a zero member the kernel lacks is left out");
  const value = structOpsValue(plan, (name) => (name === "my_prog" ? 42 : -1));
  const v = new DataView(value.buffer);
  assert.equal(v.getBigUint64(0, true), 0n, "common part stays zero");
  assert.equal(v.getBigUint64(8, true), 42n, "program fd in the fn slot");
  assert.equal(v.getUint32(16, true), 7, "knob at data + 8");
  assert.equal(cString(value.subarray(20)), "demo");
  assert.equal(v.getBigUint64(32, true), 0n, "other fn stays NULL");
  assert.deepEqual([...structOpsTargets([plan])], [["my_prog", { attachBtfId: 7, expectedAttachType: 0 }]]);
});

test("a program for a member the kernel lacks is left out, as libbpf does", () => {
  const { m, btf } = localSpec(localMembers, 32, demoData(0, "x"), [["fn", "a"], ["extra", "b"]]);
  const plan = planStructOps("demo", m, btf, kernel);
  assert.deepEqual(plan.programSlots.map((s) => s.program), ["a"]);
  assert.deepEqual(plan.skippedMembers, ["extra"]);
});

test("mismatches are StructOpsErrors naming the map and member", () => {
  const fails = (members: ReturnType<typeof member>[], size: number, data: Uint8Array, programs: [string, string][], expect: RegExp, memberName?: string, typeName?: string): void => {
    const { m, btf } = localSpec(members, size, data, programs, typeName);
    assert.throws(() => planStructOps("demo", m, btf, kernel), (e: unknown) => {
      assert.ok(e instanceof StructOpsError, String(e));
      assert.equal(e.code, "INCOMPATIBLE");
      assert.equal(e.map, "demo");
      assert.equal(e.member, memberName);
      assert.match(e.message, expect);
      return true;
    });
  };
  fails(localMembers, 32, demoData(0, "x", 5n), [], /has no such member/, "extra");
  fails([member("knob", 2, 8)], 16, demoData(1, ""), [], /is 8 bytes in the object but 4 in the kernel/, "knob");
  fails([member("knob", 4, 8)], 16, new Uint8Array(16), [], /is a PTR in the object but a INT/, "knob");
  fails([member("knob", 1, 8)], 16, new Uint8Array(16), [["knob", "p"]], /is a INT|not a function pointer/, "knob");
  fails([member("knob", 1, 0)], 4, new Uint8Array(4), [], /the kernel has no struct nothing_ops/, undefined, "nothing_ops");
  fails([member("knob", 1, 0)], 4, new Uint8Array(4), [], /no bpf_struct_ops_plain_struct/, undefined, "plain_struct");
  // One program cannot fill two different members.
  const { m, btf } = localSpec([member("fn", 4, 0), member("other", 4, 24)], 32, new Uint8Array(32), [["fn", "p"], ["other", "p"]]);
  assert.throws(() => structOpsTargets([planStructOps("demo", m, btf, kernel)]), StructOpsError);
});

test("the fixture's structs against this kernel's tcp_congestion_ops", () => {
  const spec = loadObjectSpec(fixture("tcp-reno"));
  const vmlinux = kernelBtf();
  const reno = planStructOps("tsbpf_reno", spec.map("tsbpf_reno"), spec.btf!, vmlinux);
  assert.equal(reno.valueTypeId, vmlinux.typesByName("bpf_struct_ops_tcp_congestion_ops", "STRUCT")[0]!.id);
  assert.equal(reno.valueSize, vmlinux.sizeOf(reno.valueTypeId));
  const dataAt = vmlinux.typesByName("bpf_struct_ops_tcp_congestion_ops", "STRUCT")[0]!.members.find((x) => x.name === "data")!.bitOffset / 8;
  for (const slot of reno.programSlots) {
    const km = kernelMember("tcp_congestion_ops", slot.member);
    assert.equal(slot.memberIndex, km.index, slot.member);
    assert.equal(slot.valueOffset, dataAt + km.offset, slot.member);
  }
  assert.equal(cString(reno.value.subarray(dataAt + kernelMember("tcp_congestion_ops", "name").offset)), "tsbpf_reno");
  const plain = planStructOps("tsbpf_plain", spec.map("tsbpf_plain"), spec.btf!, vmlinux);
  assert.deepEqual(plain.skippedMembers, ["not_in_this_kernel"]);
  assert.equal(cString(plain.value.subarray(dataAt + kernelMember("tcp_congestion_ops", "name").offset)), "tsbpf_plain");
});

// ---- the real kernel ------------------------------------------------------

test("a BPF TCP congestion control registered through a link carries real traffic", () => {
  const before = openFdCount();
  {
    using c = Collection.load(loadObjectSpec(fixture("tcp-reno")));
    assert.deepEqual([...c.programs.keys()], ["reno_init", "reno_ssthresh", "reno_cong_avoid", "reno_undo_cwnd"]);
    assert.equal(c.map("tsbpf_reno").valueSize, kernelBtf().sizeOf(kernelBtf().typesByName("bpf_struct_ops_tcp_congestion_ops", "STRUCT")[0]!.id));
    assert.ok(!available().includes("tsbpf_reno"), "loading alone registers nothing");
    const link = c.attachStructOps("tsbpf_reno");
    assert.ok(link.isBpfLink, "a .struct_ops.link map registers through a BPF link");
    assert.ok(available().includes("tsbpf_reno"));

    assert.equal(tcpTransfer("tsbpf_reno", 512 * 1024), "tsbpf_reno");
    assert.ok(c.variable("inits").getNumber() > 0, "init ran for the connection");
    assert.ok(c.variable("calls").getNumber() > 0, "callbacks ran while data flowed");

    link.close();
    assert.ok(!available().includes("tsbpf_reno"), "closing the link unregisters");
    // The map's value stays written: a new link registers it again.
    const again = c.attachStructOps("tsbpf_reno");
    assert.ok(available().includes("tsbpf_reno"));
    assert.throws(() => c.attachStructOps("tsbpf_reno"), (e: unknown) => e instanceof Error && "code" in e, "the name is taken while registered");
    again.close();
  }
  assert.ok(!available().includes("tsbpf_reno"));
  assert.equal(openFdCount(), before, "everything closed");
});

test("a plain .struct_ops map registers by its update, once; close or collection close unregisters", () => {
  const before = openFdCount();
  {
    using c = Collection.load(loadObjectSpec(fixture("tcp-reno")));
    const plain = c.attachStructOps("tsbpf_plain");
    assert.equal(plain.isBpfLink, false, "no link: the map update registered it");
    assert.ok(available().includes("tsbpf_plain"));
    const calls = c.variable("calls").getNumber();
    assert.equal(tcpTransfer("tsbpf_plain", 256 * 1024), "tsbpf_plain");
    assert.ok(c.variable("calls").getNumber() > calls, "the shared callbacks ran for tsbpf_plain too");
    assert.throws(() => c.attachStructOps("tsbpf_plain"), BusyError);
    plain.close();
    assert.ok(!available().includes("tsbpf_plain"), "deleting the element unregisters");

    // Registered handles that are never closed go with the collection.
    c.attachStructOps("tsbpf_reno");
    assert.ok(available().includes("tsbpf_reno"));
  }
  assert.ok(!available().includes("tsbpf_reno"), "closing the collection unregisters");
  assert.equal(openFdCount(), before);

  using c2 = Collection.load(loadObjectSpec(fixture("tcp-reno")));
  c2.attachStructOps("tsbpf_plain");
  c2.close();
  assert.ok(!available().includes("tsbpf_plain"), "a plain map is unregistered by collection close too");
  assert.throws(() => c2.attachStructOps("tsbpf_plain"), InvalidArgumentError);
});

test("a member the kernel lacks set to non-zero: StructOpsError, nothing created or registered", () => {
  const before = openFdCount();
  assert.throws(() => Collection.load(loadObjectSpec(fixture("bad-member"))), (e: unknown) => {
    assert.ok(e instanceof StructOpsError, String(e));
    assert.equal(e.map, "tsbpf_bad");
    assert.equal(e.member, "bogus_knob");
    return true;
  });
  assert.equal(openFdCount(), before);
  assert.ok(!available().includes("tsbpf_bad"));
  const ids = spawnSync("bpftool", ["map", "show", "name", "tsbpf_bad"], { encoding: "utf8" });
  assert.equal(ids.stdout.trim(), "", "no map left in the kernel");
});

test("unknown struct_ops names and programs without a member are typed errors", () => {
  using c = Collection.load(loadObjectSpec(fixture("tcp-reno")), { programs: ["reno_init", "reno_ssthresh", "reno_cong_avoid", "reno_undo_cwnd"] });
  assert.throws(() => c.attachStructOps(".bss"), /no struct_ops map '.bss' \(it has: tsbpf_reno, tsbpf_plain\)/);
  const spec = loadObjectSpec(fixture("tcp-reno"));
  const before = openFdCount();
  assert.throws(() => Collection.load(spec, { programs: ["reno_ssthresh"] }), (e: unknown) => e instanceof StructOpsError && /reno_cong_avoid' was not loaded/.test(e.message));
  assert.equal(openFdCount(), before);
});

// ---- oracle: libbpf (bpftool struct_ops register) ---------------------------

/** `bpftool struct_ops dump name N -j` with ids (map, BTF, programs) blanked. */
function dumpStructOps(name: string): unknown {
  const r = spawnSync("bpftool", ["struct_ops", "dump", "name", name, "-j"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`bpftool struct_ops dump: ${r.stderr}`);
  return JSON.parse(r.stdout.replace(/prog_id:\d+/g, "prog_id:N").replace(/"(id|btf_id)":\d+/g, "\"$1\":0"));
}

test("tsbpf registers the same struct_ops value as libbpf (bpftool struct_ops register)", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const obj = fixture("oracle");
  const reg = spawnSync("bpftool", ["struct_ops", "register", obj], { encoding: "utf8" });
  let theirs: unknown;
  try {
    assert.equal(reg.status, 0, reg.stderr);
    assert.ok(available().includes("tsbpf_oracle"));
    theirs = dumpStructOps("tsbpf_oracle");
  } finally {
    spawnSync("bpftool", ["struct_ops", "unregister", "name", "tsbpf_oracle"]);
  }
  assert.ok(!available().includes("tsbpf_oracle"));
  using c = Collection.load(loadObjectSpec(obj));
  using link = c.attachStructOps("tsbpf_oracle");
  assert.deepEqual(dumpStructOps("tsbpf_oracle"), theirs);
  link.close();
  assert.ok(!available().includes("tsbpf_oracle"));
});
