// generateSkeleton and `tsbpf gen skeleton` without a kernel: the output is
// deterministic, the CLI prints what the library returns, the skeleton has
// the maps, programs and variables bpftool's skeleton has (bpftool is the
// oracle for what a skeleton exposes), and every bad input gets a clear note or
// error saying what was not expressible and what was done instead.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { generateSkeleton } from "../../src/gen/skeleton/index.js";
import { BtfError } from "../../src/btf/errors.js";
import { ObjectError } from "../../src/object/errors.js";
import { InvalidArgumentError } from "../../src/sys/errors.js";
import { bpftool, tsbpf } from "../util/cli.js";
import { requireOracle } from "../util/environment.js";

const DIR = new URL("../../../test/fixtures/skeleton/", import.meta.url).pathname;
const SKEL = `${DIR}skel.bpf.o`;
const OPTIONS = { name: "skel", eventTypes: { events: "event", notes: "struct note" } } as const;

test("the same object and options give the same module, byte for byte; the object is embedded or referenced", () => {
  const object = readFileSync(SKEL);
  const a = generateSkeleton(object, OPTIONS);
  const b = generateSkeleton(new Uint8Array(object), OPTIONS);
  assert.equal(a.source, b.source);
  assert.deepEqual(a.notes, []);
  const b64 = [...a.source.matchAll(/^ {2}"([A-Za-z0-9+/=]+)",$/gm)].map((m) => m[1]).join("");
  assert.deepEqual(Buffer.from(b64, "base64"), object, "the embedded object is the object");
  const byPath = generateSkeleton(object, { ...OPTIONS, objectPath: "./skel.bpf.o" });
  assert.match(byPath.source, /const OBJECT_URL = new URL\("\.\/skel\.bpf\.o", import\.meta\.url\);/);
  assert.doesNotMatch(byPath.source, /OBJECT_BASE64/);
  assert.match(generateSkeleton(object, { ...OPTIONS, importFrom: "../src/index.js" }).source, /^import \* as tsbpf from "\.\.\/src\/index\.js";$/m);
});

test("tsbpf gen skeleton prints the module generateSkeleton makes, and its notes on stderr", () => {
  const r = tsbpf("gen", "skeleton", SKEL, "event", "events=event", "event", "notes=struct note", "path");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, generateSkeleton(readFileSync(SKEL), { ...OPTIONS, objectPath: "./skel.bpf.o" }).source);
  assert.equal(r.stderr, "");
  const plain = tsbpf("gen", "skeleton", SKEL);
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(plain.stderr, [
    "Note: ring buffer 'events' has no record type: give one with `event events=TYPE` for a typed reader; skel.maps.events is the raw map",
    "Note: perf event array 'notes' has no record type: give one with `event notes=TYPE` for a typed reader; skel.maps.notes is the raw map",
    "",
  ].join("\n"));
  const json = tsbpf("-j", "gen", "skeleton", SKEL, "name", "other");
  assert.equal(json.status, 0, json.stderr);
  const parsed = JSON.parse(json.stdout) as { source: string; notes: string[] };
  assert.match(parsed.source, /export class OtherSkeleton extends tsbpf.Skeleton/);
  assert.equal(parsed.notes.length, 2);
  const bad = tsbpf("gen", "skeleton", SKEL, "event", "events");
  assert.equal(bad.status, 2, "a usage error");
  assert.match(bad.stderr, /event wants MAP=TYPE \(e\.g\. events=event\), got 'events'/);
});

/** Member names of one struct block of bpftool's skeleton header (`struct { … } maps;`, `struct skel__bss { … } *bss;`). */
function bpftoolMembers(header: string, block: RegExp): string[] {
  const m = block.exec(header);
  assert.ok(m, `bpftool's skeleton has ${block}`);
  return [...m[1]!.matchAll(/([A-Za-z_][A-Za-z0-9_]*)(\[\d+\])*;/g)].map((x) => x[1]!).filter((n) => !n.startsWith("__pad"));
}

/** Property names of one interface of the generated module. */
function interfaceMembers(source: string, name: string): string[] {
  const m = new RegExp(`export interface ${name} \\{\\n([\\s\\S]*?)\\n\\}`).exec(source);
  assert.ok(m, `the module declares ${name}`);
  return [...m[1]!.matchAll(/^ {2}(?:readonly )?([A-Za-z_$][A-Za-z0-9_$]*):/gm)].map((x) => x[1]!);
}

test("maps, programs and .rodata/.data/.bss variables are the ones bpftool's skeleton has", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const header = bpftool("gen", "skeleton", SKEL, "name", "skel");
  const { source } = generateSkeleton(readFileSync(SKEL), OPTIONS);
  assert.deepEqual(interfaceMembers(source, "SkelMaps"), bpftoolMembers(header, /\tstruct \{\n([^}]*)\} maps;/));
  assert.deepEqual(interfaceMembers(source, "SkelPrograms"), bpftoolMembers(header, /\tstruct \{\n([^}]*)\} progs;/));
  for (const section of ["rodata", "data", "bss"]) {
    const ours = interfaceMembers(source, `Skel${section[0]!.toUpperCase()}${section.slice(1)}`);
    assert.deepEqual(ours, bpftoolMembers(header, new RegExp(`struct skel__${section} \\{\\n([^}]*)\\} \\*${section};`)), section);
  }
  assert.deepEqual(interfaceMembers(source, "SkelEvents"), ["events", "notes"]);
});

test("clashing names get '_', untyped maps and undecodable globals stay raw, statics are left out — each with a note", () => {
  const { source, notes } = generateSkeleton(readFileSync(`${DIR}clash.bpf.o`), { name: "clash" });
  assert.deepEqual(notes, [
    "struct clash_maps: the name 'ClashMaps' is already the skeleton's Maps interface; declared as 'ClashMaps_'",
    "struct Buffer: the name 'Buffer' is already a global the module uses; declared as 'Buffer_'",
    "variable 'hidden' (.bss) is static: left out as bpftool does; reach it through skel.spec.variables / skel.collection.variables",
    "variable 'huge' has no TypeScript type (__u16[16777216]: __u16[16777216] expands to more than 16777216 values; decode its bytes yourself); it reads and writes as raw bytes (Uint8Array)",
    "map 'sized' has no BTF key/value types (declared with key_size/value_size): it is the raw BpfMap; declare it with __type(key, …) and __type(value, …) for a TypedMap",
  ]);
  assert.match(source, /readonly clashing: tsbpf\.TypedMap<ClashMaps_, Buffer_>;/);
  assert.match(source, /readonly sized: tsbpf\.BpfMap;/);
  assert.match(source, /get huge\(\): Uint8Array \{ return at\("huge", false\)\.get\(\); \},/);
  assert.doesNotMatch(source, /hidden/);
});

test("bad input: no BTF, absent or unreadable types, events of other maps — clear errors", () => {
  assert.throws(() => generateSkeleton(readFileSync(`${DIR}skel.bpf.nobtf.o`), { name: "skel" }),
    (e: unknown) => e instanceof ObjectError && /cannot generate a skeleton: .*no BTF.*compile the object with clang -g/.test(e.message));
  const object = readFileSync(SKEL);
  assert.throws(() => generateSkeleton(object, { eventTypes: { events: "missing_event" } }),
    (e: unknown) => e instanceof BtfError && e.message.includes("`struct missing_event *unused_missing_event __attribute__((unused));`"));
  assert.throws(() => generateSkeleton(object, { types: ["opaque"] }),
    (e: unknown) => e instanceof BtfError && /only forward-declared/.test(e.message));
  assert.throws(() => generateSkeleton(object, { eventTypes: { counts: "event" } }),
    (e: unknown) => e instanceof InvalidArgumentError && /map 'counts' is a hash map; events are read from ringbuf and perf_event_array maps/.test(e.message));
  assert.throws(() => generateSkeleton(object, { eventTypes: { nosuch: "event" } }),
    (e: unknown) => e instanceof InvalidArgumentError && /the object has no map 'nosuch' \(it has: counts, events, notes, \.rodata, \.data, \.bss\)/.test(e.message));
  assert.throws(() => generateSkeleton(object, { name: "my-tool" }), InvalidArgumentError);
  assert.throws(() => generateSkeleton("skel.bpf.o" as unknown as Uint8Array), InvalidArgumentError);
  assert.throws(() => generateSkeleton(new Uint8Array(16)), ObjectError);
});

test("an object without BTF and without .maps gets a skeleton with raw variables and a note", () => {
  const { source, notes } = generateSkeleton(readFileSync(`${DIR}plain.bpf.o`), { name: "plain" });
  assert.deepEqual(notes, ["the object has no BTF (.BTF section; compile with clang -g): maps are raw BpfMaps and variables raw bytes (Uint8Array)"]);
  assert.match(source, /export interface PlainRodata \{\n {2}limit: Uint8Array; \/\/ 4 bytes\n\}/);
  assert.match(source, /get counter\(\): Uint8Array \{ return at\("counter", false\)\.get\(\); \},/);
  assert.throws(() => generateSkeleton(readFileSync(`${DIR}plain.bpf.o`), { types: ["event"] }),
    (e: unknown) => e instanceof InvalidArgumentError && /no BTF \(compile it with clang -g\)/.test(e.message));
});

test("a type asked for by name is declared even when nothing else uses it; a typedef of a scalar becomes an alias", () => {
  const { source } = generateSkeleton(readFileSync(SKEL), { name: "skel", types: ["struct inner", "__u64", "enum big"] });
  assert.match(source, /export interface Inner \{/);
  assert.match(source, /\/\*\* typedef __u64 \(unsigned long long\)\. \*\/\nexport type U64 = bigint;/);
  assert.match(source, /export const Big = \{\n {2}BIG_ONE: 4294967296n,/);
});
