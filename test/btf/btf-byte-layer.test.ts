// The BTF byte layer (src/btf/header.ts, kinds.ts, string-appender.ts,
// patch.ts): the one header reader/writer, record sizer and string appender
// every reader and writer of BTF bytes in the package goes through.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Btf } from "../../src/btf/btf.js";
import { BtfError } from "../../src/btf/errors.js";
import { btfFromElf } from "../../src/btf/elf.js";
import { encodeBtf } from "../../src/btf/encode.js";
import { assembleBtf, BTF_HEADER_SIZE, readBtfHeader, stringBytesOf, typeWordsOf } from "../../src/btf/header.js";
import { BtfKindId, infoWord, kindNames, kindOf, MAX_KIND, recordWords, vlenOf } from "../../src/btf/kinds.js";
import { BtfStringAppender } from "../../src/btf/string-appender.js";
import { loadObjectSpec } from "../../src/object/index.js";
import { sanitizeBtf } from "../../src/collection/btf-sanitize.js";
import { ENUM64_PLACEHOLDER, patchBtf, supportsAllKinds, type BtfKindSupport } from "../../src/btf/patch.js";

const fixtures = new URL("../../../test/fixtures/btf/", import.meta.url).pathname;
const ALL: BtfKindSupport = { func: true, globalFunc: true, datasec: true, qmarkDatasec: true, float: true, declTag: true, typeTag: true, enum64: true };

test("assembleBtf and readBtfHeader agree in both byte orders, and the type words read back", () => {
  const words = Uint32Array.from([1, infoWord(BtfKindId.INT, 0), 4, (1 << 24) | 32]);
  const strings = new TextEncoder().encode("\0int\0");
  for (const littleEndian of [true, false]) {
    const blob = assembleBtf(words, words.length, strings, { littleEndian, flags: 0 });
    const { header, littleEndian: le } = readBtfHeader(blob);
    assert.equal(le, littleEndian);
    assert.deepEqual(header, { version: 1, flags: 0, hdrLen: BTF_HEADER_SIZE, typeOff: 0, typeLen: 16, strOff: 16, strLen: strings.byteLength });
    assert.deepEqual([...typeWordsOf(blob, header, le)], [...words]);
    assert.deepEqual(stringBytesOf(blob, header), strings);
    assert.equal(new Btf(blob).typeById(1).name, "int");
  }
  assert.throws(() => readBtfHeader(new Uint8Array(10)), BtfError);
  assert.throws(() => readBtfHeader(new Uint8Array(24)), /bad BTF magic/);
});

test("the record sizer walks every fixture's and the kernel's type section exactly to its end", () => {
  const blobs = ["kinds.bpf.o", "kinds.bpfeb.o", "core.bpf.o"].map((n) => btfFromElf(readFileSync(fixtures + n)).btf!.bytes);
  blobs.push(readFileSync("/sys/kernel/btf/vmlinux"));
  for (const blob of blobs) {
    const { header, littleEndian } = readBtfHeader(blob);
    const words = typeWordsOf(blob, header, littleEndian);
    const btf = new Btf(blob);
    let pos = 0;
    let id = 0;
    while (pos < words.length) {
      id++;
      assert.equal(pos, btf.recordStart(id));
      pos += recordWords(kindOf(words[pos + 1]!), vlenOf(words[pos + 1]!));
    }
    assert.equal(pos, words.length);
    assert.equal(id, btf.lastId);
  }
  assert.ok(Number.isNaN(recordWords(0, 0)) && Number.isNaN(recordWords(MAX_KIND + 1, 0)), "unknown kinds have no size");
  assert.equal(kindNames.length, MAX_KIND + 1);
  for (const [name, kind] of Object.entries(BtfKindId)) if (kind > 0) assert.equal(kindNames[kind], name);
});

test("the string appender keeps existing offsets, appends each new string once, and 0 is the empty string", () => {
  const existing = new TextEncoder().encode("\0a\0bc\0");
  const s = new BtfStringAppender(existing);
  assert.equal(s.at(3), "bc");
  assert.equal(s.add(""), 0);
  assert.equal(s.add("x"), 6);
  assert.equal(s.add("yz"), 8);
  assert.equal(s.add("x"), 6);
  assert.deepEqual(new TextDecoder().decode(s.finish()), "\0a\0bc\0x\0yz\0");
  const split = new BtfStringAppender(new Uint8Array(0), { start: 100, known: new Map([["a", 1]]) });
  assert.equal(split.add("a"), 1, "a base's string is reused");
  assert.equal(split.add("b"), 100, "new strings continue after the base");
});

test("patchBtf: no options rewrites nothing; sanitising keeps ids and string offsets and appends only", () => {
  const { btf } = btfFromElf(readFileSync(fixtures + "kinds.bpf.o"));
  assert.ok(btf);
  const same = new Btf(patchBtf(btf, {}));
  assert.deepEqual([...same.words], [...btf.words]);
  assert.deepEqual(Buffer.from(same.strings.bytes), Buffer.from(btf.strings.bytes));
  assert.ok(supportsAllKinds(ALL));
  const none = Object.fromEntries(Object.keys(ALL).map((k) => [k, false])) as unknown as BtfKindSupport;
  const out = new Btf(patchBtf(btf, { supported: none }));
  const hasEnum64 = [...btf].some((t) => t.kind === "ENUM64");
  assert.equal(out.lastId, btf.lastId + (hasEnum64 ? 1 : 0));
  if (hasEnum64) assert.equal(out.typeById(out.lastId).name, ENUM64_PLACEHOLDER);
  const before = btf.strings.bytes;
  assert.deepEqual(Buffer.from(out.strings.bytes.subarray(0, before.byteLength)), Buffer.from(before), "strings are only appended");
  for (const t of out) assert.ok(!["FUNC", "FUNC_PROTO", "VAR", "DATASEC", "FLOAT", "DECL_TAG", "TYPE_TAG", "ENUM64"].includes(t.kind), `${t.kind} left`);
  assert.throws(() => patchBtf(new Btf(encodeBtf([]), { base: btf }), {}), BtfError, "split BTF is refused");
});

test("ObjectSpec.btfForKernel(supported) fixes up and sanitises in one pass, with the bytes of the two passes", () => {
  const keys = Object.keys(ALL) as (keyof BtfKindSupport)[];
  const scenarios = [...keys.map((k) => ({ ...ALL, [k]: false })), Object.fromEntries(keys.map((k) => [k, false])) as unknown as BtfKindSupport];
  const dir = new URL("../../../test/fixtures/", import.meta.url).pathname;
  for (const rel of ["collection/globals.bpf.o", "collection/module-ksyms.bpf.o", "collection/kfunc-flavors.bpf.o", "btf/kinds.bpf.o"]) {
    const spec = loadObjectSpec(dir + rel);
    const raw = spec.btfForKernel();
    assert.ok(raw, rel);
    for (const s of scenarios) assert.deepEqual(Buffer.from(spec.btfForKernel(s)!), Buffer.from(sanitizeBtf(raw, s)), `${rel} ${JSON.stringify(s)}`);
  }
});
