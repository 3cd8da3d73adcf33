// Verifier errors people can act on: one small C program per common
// rejection (test/fixtures/verifier, built by scripts/build-fixtures.sh verifier),
// each loaded with Collection.load on the real kernel. The error must name
// the failing instruction, the C file:line and its text (from line info),
// keep the log lines that matter, and give the hint for that failure.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadObjectSpec } from "../../src/object/index.js";
import { Collection } from "../../src/collection.js";
import { CoreVerifierError } from "../../src/collection/verifier-explain.js";
import { VerifierError } from "../../src/program/verifier-error.js";
import { VERIFIER_HINTS, type VerifierFailure } from "../../src/program/verifier-hints.js";
import { bpffsTempDir, openFdCount } from "../util/kernel.js";
import { tsbpf } from "../util/cli.js";

const fixturePath = (dir: string, name: string, ext: string): string =>
  fileURLToPath(new URL(`../../../test/fixtures/${dir}/${name}.bpf.${ext}`, import.meta.url));

interface Case {
  fixture: string;
  failure: VerifierFailure;
  /** The reason as the verifier words it. */
  reason: RegExp;
  /** The failing instruction as the verifier prints it. */
  instruction: RegExp;
  /** A unique piece of the offending C line. */
  source: string;
  /** What the hint must say. */
  hint: RegExp;
}

const cases: Case[] = [
  {
    fixture: "scalar-deref", failure: "scalar-dereference", reason: /^R1 invalid mem access 'scalar'$/,
    instruction: /^\d+: \(79\) r0 = \*\(u64 \*\)\(r1 \+0\)$/, source: "return *p;", hint: /plain number is used as a pointer/,
  },
  {
    fixture: "null-deref", failure: "null-dereference", reason: /^R0 invalid mem access 'map_value_or_null'$/,
    instruction: /^\d+: \(79\) r0 = \*\(u64 \*\)\(r0 \+0\)$/, source: "return *value;", hint: /may be NULL.*if \(!p\)/,
  },
  {
    fixture: "infinite-loop", failure: "infinite-loop", reason: /^infinite loop detected at insn \d+$/,
    instruction: /^\d+: \(15\) if r1 == 0x0 goto pc-2$/, source: "while (!stop)", hint: /bpf_loop\(\)/,
  },
  {
    fixture: "too-large", failure: "program-too-large", reason: /^BPF program is too large\. Processed 1000001 insn$/,
    instruction: /^\d+: \([0-9a-f]{2}\) /, source: "for (__u32 i = 0; i < 10000000; i++)", hint: /limit of 1 million instructions/,
  },
  {
    fixture: "stack-overflow", failure: "stack-limit", reason: /^invalid write to stack R10 off=-520 size=1$/,
    instruction: /^0: \(72\) \*\(u8 \*\)\(r10 -520\) = 0$/, source: "asm volatile(", hint: /512 bytes of stack/,
  },
  {
    fixture: "gpl-helper", failure: "gpl-only-helper", reason: /^cannot call GPL-restricted function from non-GPL compatible program$/,
    instruction: /^\d+: \(85\) call bpf_trace_printk#6$/, source: "bpf_printk(\"len %u\", skb->len);", hint: /GPL-compatible license/,
  },
  {
    fixture: "helper-not-allowed", failure: "helper-not-allowed", reason: /^program of this type cannot use helper bpf_skb_store_bytes#9$/,
    instruction: /^\d+: \(85\) call bpf_skb_store_bytes#9$/, source: "bpf_skb_store_bytes(skb, 0, &zero, 1, 0);", hint: /program type may not call that helper/,
  },
  {
    fixture: "packet-bounds", failure: "packet-bounds", reason: /^invalid access to packet, off=12 size=1/,
    instruction: /^\d+: \(71\) r1 = \*\(u8 \*\)\(r1 \+12\)$/, source: "return data[12] == 0x08", hint: /data_end/,
  },
  {
    fixture: "map-value-bounds", failure: "map-value-bounds", reason: /^R0 unbounded memory access/,
    instruction: /^\d+: \(79\) r6 = \*\(u64 \*\)\(r0 \+0\)$/, source: "return v->slot[skb->len];", hint: /check the index against the array size/,
  },
];

/** The 1-based line of `text` in a C source file. */
function lineOf(file: string, text: string): number {
  const index = readFileSync(file, "utf8").split("\n").findIndex((l) => l.includes(text));
  assert.ok(index >= 0, `${text} is in ${file}`);
  return index + 1;
}

/** Loads a fixture that must fail and returns the error. */
function rejection(dir: string, name: string): unknown {
  const spec = loadObjectSpec(fixturePath(dir, name, "o"));
  const before = openFdCount();
  try {
    Collection.load(spec).close();
  } catch (e) {
    assert.equal(openFdCount(), before, "a rejected load leaks no fd");
    return e;
  }
  assert.fail(`${name} loaded, but the verifier should have rejected it`);
}

for (const c of cases) {
  test(`verifier error: ${c.failure} (${c.fixture}.bpf.c)`, () => {
    const e = rejection("verifier", c.fixture);
    assert.ok(e instanceof VerifierError, `a VerifierError, not ${String(e)}`);
    assert.equal(e.code, "VERIFIER");
    assert.match(e.reason, c.reason);
    assert.equal(e.failure, c.failure);
    assert.match(e.hint ?? "", c.hint);

    // The failing instruction, as text and index.
    assert.match(e.instructionText ?? "", c.instruction);
    assert.equal(e.instructionText!.split(":")[0], String(e.instruction));

    // The C source line: file:line and the text of that line.
    const file = `${c.fixture}.bpf.c`;
    const line = lineOf(fixturePath("verifier", c.fixture, "c"), c.source);
    assert.equal(e.sourceLocation, `${file}:${line}`);
    assert.ok(e.sourceLine?.includes(c.source), `source line ${e.sourceLine}`);
    assert.ok(e.sourceLine?.endsWith(`@ ${file}:${line}`));

    // One readable paragraph with the reason, the source line and the hint.
    assert.ok(!e.message.includes("\n"), "one paragraph");
    assert.ok(e.message.includes(e.reason), "the message gives the reason");
    assert.ok(e.message.includes(c.source), "the message quotes the C line");
    assert.ok(e.message.includes(`${file}:${line}`), "the message names file:line");
    assert.ok(e.message.includes(e.hint!), "the message gives the hint");
    assert.ok(e.message.includes(e.instructionText!), "the message shows the instruction");

    // The summary: the few lines that matter, taken from the log.
    const summary = e.summary.split("\n");
    assert.ok(summary.length >= 3 && summary.length <= 8, `a few lines, got ${summary.length}:\n${e.summary}`);
    assert.ok(summary.includes(`at ${e.instructionText}`), "the failing instruction is marked");
    assert.ok(summary.includes(e.reason));
    assert.ok(summary[0]!.startsWith("; ") && summary[0]!.includes(c.source), "starts at the C source line");
    for (const l of summary) assert.ok(e.log.includes(l.replace(/^at /, "")), `summary line ${l} is from the log`);
    assert.ok(e.log.split("\n").length > summary.length, "the full log stays available");
  });
}

test("verifier error: combined stack of nested calls (no instruction in the log)", () => {
  const e = rejection("verifier", "stack-depth");
  assert.ok(e instanceof VerifierError);
  assert.match(e.reason, /^combined stack size of \d+ calls is \d+\. Too large$/);
  assert.equal(e.failure, "stack-limit");
  assert.match(e.hint ?? "", /512 bytes of stack, shared by a chain of calls/);
  assert.equal(e.instruction, undefined);
  assert.ok(!e.message.includes("\n"));
  assert.ok(e.message.includes(e.reason) && e.message.includes(e.hint!));
  assert.equal(e.summary, e.reason);
});

test("verifier error: a poisoned CO-RE relocation still reads well", () => {
  const e = rejection("collection", "poison");
  assert.ok(e instanceof CoreVerifierError);
  assert.equal(e.failure, "core-relocation");
  assert.match(e.hint ?? "", /CO-RE relocation found no match/);
  assert.ok(!e.message.includes("\n"), "one paragraph");
  assert.match(e.message, /^program 'poisoned' uses a kernel type or field that the target kernel lacks at poison\.bpf\.c:\d+ `return t->tsbpf_no_such_field;`/);
  assert.match(e.message, /task_struct___tsbpf\.tsbpf_no_such_field/);
  assert.match(e.message, /bpf_core_field_exists\(\)/);
  assert.match(e.sourceLine ?? "", /return t->tsbpf_no_such_field; @ poison\.bpf\.c:\d+$/);
});

test("every hint is distinct and every failure id appears once", () => {
  assert.equal(new Set(VERIFIER_HINTS.map((h) => h.failure)).size, VERIFIER_HINTS.length);
  assert.equal(new Set(VERIFIER_HINTS.map((h) => h.hint)).size, VERIFIER_HINTS.length);
});

test("tsbpf prog load prints a rejected program as one paragraph with source and hint", () => {
  const pins = bpffsTempDir("tsbpf-verifier-hints-");
  try {
    const r = tsbpf("prog", "load", fixturePath("verifier", "null-deref", "o"), path.join(pins.path, "p"));
    assert.equal(r.status, 1);
    const lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^Error: .*R0 invalid mem access 'map_value_or_null'.*return \*value; @ null-deref\.bpf\.c:18.*hint: .*NULL.*\[VERIFIER\]$/);
  } finally {
    pins.cleanup();
  }
});
