// Kernel helpers as compiled C calls them (test/fixtures/vm-helpers/
// helpers.bpf.c), run by VmCollection and by the kernel on every packet of
// the corpus: bpf_loop and bpf_for_each_map_elem callbacks (the walk of a
// hash map compared as a sum, since its order is the map's own), a NAT-style
// rewrite with l3/l4_csum_replace and csum_diff, and head/tail/metadata
// moves. Return values, output packets and the maps afterwards must agree
// in the interpreter and the JIT.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadObjectSpec } from "../../src/object/index.js";
import { compareObject } from "./object-differential.js";
import { PACKETS } from "./packet-corpus.js";

const OBJECT = fileURLToPath(new URL("../../../test/fixtures/vm-helpers/helpers.bpf.o", import.meta.url));

/** Packets for xdp_loop_args: bpf_loop(count, callback, ctx, flags), the callback stopping after index `stop`. */
function loopInputs(): { name: string; options: { data: Uint8Array } }[] {
  const cases: Array<[number, number, number]> = [[10, 0, 99], [10, 0, 3], [0, 0, 0], [1, 0, 0], [1 << 23, 0, 5], [(1 << 23) + 1, 0, 5], [0xffff_ffff, 0, 5], [5, 1, 99], [5, 0x8000_0000, 99]];
  return cases.map(([count, flags, stop]) => {
    const data = new Uint8Array(64);
    const view = new DataView(data.buffer);
    view.setUint32(0, count, true);
    view.setUint32(4, flags, true);
    view.setUint32(8, stop, true);
    return { name: `loop(${count}, flags ${flags}, stop ${stop})`, options: { data } };
  });
}

test("bpf_loop's count, flags and early stops agree with the kernel", () => {
  const results = compareObject(() => loadObjectSpec(OBJECT), ["xdp_loop_args"], loopInputs);
  assert.deepEqual(results.flatMap((r) => r.differences), []);
});

test("the helper fixture's programs agree with the kernel on every packet, and leave the same maps", () => {
  const programs = ["xdp_loop", "xdp_for_each", "tc_nat", "xdp_adjust"];
  const results = compareObject(() => loadObjectSpec(OBJECT), programs, () => PACKETS.map((p) => ({ name: p.name, options: { data: p.bytes } })));
  const differences = results.flatMap((r) => r.differences);
  assert.deepEqual(differences, []);
  for (const name of programs) assert.equal(results.find((r) => r.program === name)?.runs, PACKETS.length, name);
});
