// The README's library example, kept runnable so the documentation cannot rot.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Collection, loadObjectSpec, BpfMap, MapType, Program, ProgramType, ProgramBuilder, R0, R1, R2, R10 } from "../../src/index.js";

test("README example: a socket filter counts its runs in an array map", () => {
  using counts = BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 1, name: "counts" });

  const insns = new ProgramBuilder()
    .stW(R10, -4, 0).mov64Reg(R2, R10).add64Imm(R2, -4)
    .ldMapFd(R1, counts.fd).call("bpf_map_lookup_elem")
    .jeqImm(R0, 0, "out").mov64Imm(R1, 1).atomicAdd64(R0, R1, 0)
    .label("out").mov64Imm(R0, 0).exit()
    .build();

  using prog = Program.load({ type: ProgramType.SocketFilter, instructions: insns, license: "GPL" });
  prog.testRun({ data: new Uint8Array(64), repeat: 1000 });
  const value = counts.lookup(new Uint8Array(4));
  assert.equal(new DataView(value.buffer, value.byteOffset).getBigUint64(0, true), 1000n);
});

test("README example: an object file loads with its global configuration", () => {
  const spec = loadObjectSpec(new URL("../../../test/fixtures/collection/globals.bpf.o", import.meta.url).pathname);
  spec.variable("multiplier").set(3);
  using objects = Collection.load(spec);
  objects.program("count").testRun({ data: new Uint8Array(64) });
  assert.equal(objects.variable("result").getNumber(), 5 + 3);
});
