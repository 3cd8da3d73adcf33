// Partial loads are honest: a prog array initialised from BTF `.values` with
// a program the load leaves out keeps that slot empty and Collection.warnings
// says so (libbpf refuses such a load outright; here the subset was asked
// for). The effect is checked through the tail call itself. A struct_ops
// member whose program is left out is refused: registered without it, the
// struct would silently lack that operation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadObjectSpec } from "../../src/object/index.js";
import { Collection } from "../../src/collection.js";
import { StructOpsError } from "../../src/collection/struct-ops-error.js";
import { openFdCount } from "../util/kernel.js";
import { assertLoadsLikeLibbpf } from "../util/libbpf-oracle.js";

const fixture = fileURLToPath(new URL("../../../test/fixtures/loader/partial.bpf.o", import.meta.url));
const PACKET = new Uint8Array(64);
// tail_call_entry returns 42 when its tail call reaches tail_call_target_program, 7 when the slot is empty.
const TAIL_CALLED = 42;
const FELL_THROUGH = 7;

test("the whole object loads as libbpf loads it, with the slot filled and no warning", () => {
  assertLoadsLikeLibbpf(fixture, ["tail_call_entry", "tail_call_target_program"]);
  using c = Collection.load(loadObjectSpec(fixture));
  assert.deepEqual(c.warnings, []);
  assert.equal(c.program("tail_call_entry").testRun({ data: PACKET }).retval, TAIL_CALLED);
});

test("a partial load that leaves out a slot's program warns, naming the map, the slot and the program", () => {
  const fds = openFdCount();
  using c = Collection.load(loadObjectSpec(fixture), { programs: ["tail_call_entry"] });
  assert.deepEqual([...c.programs.keys()], ["tail_call_entry"]);
  assert.deepEqual(c.warnings, [
    "prog array 'tail_call_jump_table': slot 0 is left empty because its program 'tail_call_target_program' was not loaded " +
      "(the programs option leaves it out); a tail call to it falls through",
  ]);
  assert.equal(c.program("tail_call_entry").testRun({ data: PACKET }).retval, FELL_THROUGH);
  c.close();
  assert.equal(openFdCount(), fds, "no fd leaked");
});

test("a slot program with autoload off is named the same way", () => {
  const spec = loadObjectSpec(fixture);
  spec.program("tail_call_target_program").autoload = false;
  using c = Collection.load(spec);
  assert.equal(c.warnings.length, 1);
  assert.match(c.warnings[0]!, /slot 0 is left empty because its program 'tail_call_target_program' was not loaded \(its autoload is off\)/);
  assert.equal(c.program("tail_call_entry").testRun({ data: PACKET }).retval, FELL_THROUGH);
});

test("a struct_ops member whose program a partial load leaves out is refused before anything is created", () => {
  const tcpReno = fileURLToPath(new URL("../../../test/fixtures/struct-ops/tcp-reno.bpf.o", import.meta.url));
  const fds = openFdCount();
  assert.throws(() => Collection.load(loadObjectSpec(tcpReno), { programs: ["reno_ssthresh"] }), (e: unknown) => {
    assert.ok(e instanceof StructOpsError, String(e));
    assert.equal(e.map, "tsbpf_reno");
    assert.equal(e.member, "cong_avoid");
    assert.match(e.message, /^struct_ops 'tsbpf_reno' member 'cong_avoid': its program 'reno_cong_avoid' was not loaded \(the programs option leaves it out\)/);
    return true;
  });
  const spec = loadObjectSpec(tcpReno);
  spec.program("reno_cong_avoid").autoload = false;
  assert.throws(() => Collection.load(spec), (e: unknown) => e instanceof StructOpsError && /'reno_cong_avoid' was not loaded \(its autoload is off\)/.test(e.message));
  assert.equal(openFdCount(), fds, "nothing left open");
});
