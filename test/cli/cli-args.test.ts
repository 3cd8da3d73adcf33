// The CLI's parsing and formatting helpers, without the kernel.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Args, UsageError, matchKeyword, parseBytes, parseCNumber, parseGlobalOptions } from "../../src/cli/args.js";
import { formatHex, jsonHex } from "../../src/cli/output.js";
import { entryPlain } from "../../src/cli/map-format.js";
import type { MapShowInfo } from "../../src/cli/kernel-info.js";

test("global options are found anywhere and combine like getopt", () => {
  const { options, words } = parseGlobalOptions(["map", "-jp", "show", "--debug", "id", "3"]);
  assert.deepEqual(words, ["map", "show", "id", "3"]);
  assert.equal(options.json, true);
  assert.equal(options.pretty, true);
  assert.equal(options.debug, true);
  assert.deepEqual(parseGlobalOptions(["feature", "probe", "--summary"]).words, ["feature", "probe", "--summary"]);
  // Negative numbers and words after -- are arguments, not options.
  assert.deepEqual(parseGlobalOptions(["x", "-1", "--", "-j"]).words, ["x", "-1", "-j"]);
  assert.throws(() => parseGlobalOptions(["-z"]), UsageError);
});

test("keywords match by the first prefix in table order, as bpftool does", () => {
  const verbs = ["show", "list", "help", "dump", "update", "lookup", "getnext", "delete"] as const;
  assert.equal(matchKeyword("s", verbs), "show");
  assert.equal(matchKeyword("d", verbs), "dump");
  assert.equal(matchKeyword("de", verbs), "delete");
  assert.equal(matchKeyword("", verbs), undefined);
  assert.equal(matchKeyword("shows", verbs), undefined);
});

test("bytes parse in bpftool's notations and must match the size exactly", () => {
  const bytes = (words: string[], n: number): number[] => Array.from(parseBytes(new Args(words, "t"), n, "key"));
  assert.deepEqual(bytes(["1", "0", "0", "0"], 4), [1, 0, 0, 0]);
  assert.deepEqual(bytes(["0x01", "0x2A", "010", "255"], 4), [1, 0x2a, 8, 255]);
  assert.deepEqual(bytes(["hex", "01", "ff", "0a", "7"], 4), [1, 255, 10, 7]);
  assert.deepEqual(bytes(["hex", "deadbeef"], 4), [0xde, 0xad, 0xbe, 0xef]);
  // Stops after `size` bytes, leaving the next keyword in place.
  const args = new Args(["1", "2", "value", "3"], "t");
  assert.deepEqual(Array.from(parseBytes(args, 2, "key")), [1, 2]);
  assert.equal(args.peek(), "value");
  assert.throws(() => bytes(["1", "2"], 4), /key is 4 bytes, but only 2 were given/);
  assert.throws(() => bytes(["256"], 1), /does not fit in a byte/);
  assert.throws(() => bytes(["hex", "zz"], 1), /not a hex byte/);
  assert.throws(() => bytes(["hex", "010203"], 2), /more were given/);
});

test("C integer notation", () => {
  assert.equal(parseCNumber("42"), 42);
  assert.equal(parseCNumber("0x2a"), 42);
  assert.equal(parseCNumber("052"), 42);
  assert.equal(parseCNumber("0"), 0);
  assert.equal(parseCNumber("4x"), undefined);
  assert.throws(() => new Args(["-1"], "t").uint("count"), UsageError);
});

test("hex output follows bpftool's fprint_hex grouping", () => {
  const b = Uint8Array.from({ length: 20 }, (_, i) => i);
  assert.equal(formatHex(b.subarray(0, 4)), "00 01 02 03");
  assert.equal(formatHex(b), "00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f\n10 11 12 13");
  assert.deepEqual(jsonHex(Uint8Array.of(1, 0xab)), ["0x01", "0xab"]);
});

test("entries break lines the way bpftool decides", () => {
  const info = (keySize: number, valueSize: number): MapShowInfo => ({
    id: 1, type: 1, name: "", flags: 0, keySize, valueSize, maxEntries: 1, btfId: 0, ifindex: 0, mapExtra: 0n,
    btfKeyTypeId: 0, btfValueTypeId: 0, btfVmlinuxValueTypeId: 0,
    memlock: undefined, frozen: undefined, ownerProgType: undefined, ownerJited: undefined,
  });
  const k = (n: number): Uint8Array => new Uint8Array(n);
  assert.equal(entryPlain(k(4), k(8), info(4, 8), false), "key: 00 00 00 00  value: 00 00 00 00 00 00 00 00");
  assert.equal(entryPlain(k(16), k(16), info(16, 16), false),
    "key: 00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00\nvalue: 00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00");
  assert.equal(entryPlain(k(4), k(20), info(4, 20), false),
    "key:\n00 00 00 00\nvalue:\n00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00\n00 00 00 00");
  assert.equal(entryPlain(k(0), Uint8Array.of(1, 2), info(0, 2), false), "value: 01 02");
});
