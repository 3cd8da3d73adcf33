// The CLI's grammar and its failures: unknown words, missing arguments and
// absent objects give a non-zero exit and one clear message, never a stack
// trace (unless --debug); help is available at every level.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tsbpf } from "../util/cli.js";

/** A failed run: non-zero, nothing on stdout, an "Error:" first line and no stack frames. */
function assertCleanFailure(r: ReturnType<typeof tsbpf>, status: number, pattern: RegExp): void {
  assert.equal(r.status, status, `exit status (stderr: ${r.stderr})`);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^Error: /);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace without --debug");
  assert.ok(r.stderr.trim().split("\n").length <= 2, `one short message, got:\n${r.stderr}`);
}

test("unknown object and unknown command are usage errors pointing at help", () => {
  assertCleanFailure(tsbpf("frobnicate"), 2, /unknown object 'frobnicate'.*\nRun 'tsbpf help'/);
  assertCleanFailure(tsbpf("map", "frob"), 2, /unknown command 'frob' for 'map'.*\nRun 'tsbpf map help'/);
  assertCleanFailure(tsbpf("prog", "dump", "jitted-ish"), 2, /xlated/);
  assertCleanFailure(tsbpf("--bogus", "map", "show"), 2, /unknown option --bogus/);
});

test("no object prints the usage, as bpftool does", () => {
  const r = tsbpf();
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Usage: tsbpf \[OPTIONS\] OBJECT \{ COMMAND \| help \}\n/);
  assert.equal(r.stderr, "");
});

test("missing and malformed arguments name what is missing", () => {
  assertCleanFailure(tsbpf("map", "lookup"), 2, /missing MAP/);
  assertCleanFailure(tsbpf("map", "show", "id"), 2, /missing map id/);
  assertCleanFailure(tsbpf("map", "show", "id", "abc"), 2, /map id must be a non-negative integer/);
  assertCleanFailure(tsbpf("map", "show", "by", "x"), 2, /expected 'id', 'pinned' or 'name'/);
  assertCleanFailure(tsbpf("map", "create", "/sys/fs/bpf/x", "type", "hash", "key", "4"), 2, /missing 'value VALUE_SIZE'/);
  assertCleanFailure(tsbpf("map", "create", "/sys/fs/bpf/x", "type", "nosuch"), 2, /unknown map type 'nosuch'/);
  assertCleanFailure(tsbpf("prog", "show", "tag", "xyz"), 2, /tag is 8 bytes in hex/);
});

test("absent pins and ids are one-line errors with a hint", () => {
  assertCleanFailure(tsbpf("map", "dump", "pinned", "/sys/fs/bpf/tsbpf-definitely-absent"), 1, /nothing is pinned at \/sys\/fs\/bpf\/tsbpf-definitely-absent.*\[NOT_FOUND\]/);
  assertCleanFailure(tsbpf("prog", "show", "id", "4294967295"), 1, /no prog with id 4294967295/);
  assertCleanFailure(tsbpf("map", "show", "name", "tsbpf_no_such_map_"), 1, /no map with name tsbpf_no_such_map_/);
});

test("--debug adds the stack trace", () => {
  const r = tsbpf("--debug", "map", "dump", "pinned", "/sys/fs/bpf/tsbpf-definitely-absent");
  assert.equal(r.status, 1);
  assert.match(r.stderr, /\n\s+at /);
});

test("help at every level teaches usage with examples", () => {
  for (const args of [["help"], ["--help"], ["map", "help"], ["prog", "help"], ["feature", "help"], ["map", "--help"]]) {
    const r = tsbpf(...args);
    assert.equal(r.status, 0, args.join(" "));
    assert.match(r.stdout, /^Usage: tsbpf/);
    assert.match(r.stdout, /Examples:\n {2}tsbpf /);
  }
  const dumpHelp = tsbpf("map", "dump", "help");
  assert.equal(dumpHelp.status, 0);
  assert.match(dumpHelp.stdout, /^Usage: tsbpf map dump MAP\n/);
  assert.match(dumpHelp.stdout, /MAP {6}:= \{ id MAP_ID \| pinned FILE \| name MAP_NAME \}/);
  assert.match(tsbpf("prog", "run", "--help").stdout, /data_in FILE/);
  assert.match(tsbpf("version").stdout, /^tsbpf v\d+\.\d+\.\d+\n$/);
});

test("keywords are matched by prefix like bpftool", () => {
  const long = tsbpf("-j", "map", "show");
  const short = tsbpf("-j", "m", "s");
  assert.equal(short.status, 0);
  // Maps may come and go between the two runs; both must be JSON arrays.
  assert.ok(Array.isArray(JSON.parse(long.stdout)) && Array.isArray(JSON.parse(short.stdout)));
  assert.equal(tsbpf("p", "h").stdout, tsbpf("prog", "help").stdout);
});
