// BPF iterators on the real kernel: a bpf_map iterator program (TRACING,
// expected attach type trace_iter, attach_btf_id of bpf_iter_bpf_map from the
// kernel's BTF) writes the id of every map with bpf_seq_write; the output read
// through iterCreate + readIterator contains the ids of maps we created.
import { test } from "node:test";
import assert from "node:assert/strict";
import { kernelBtf } from "../../src/btf/index.js";
import type { BtfStruct } from "../../src/btf/index.js";
import { linkCreate } from "../../src/sys/link.js";
import { linkInfo, LinkType } from "../../src/sys/link-info.js";
import { iterCreate, readIterator } from "../../src/sys/iter.js";
import { rawTracepointOpen } from "../../src/sys/raw-tracepoint.js";
import { AttachType, ProgramType, Program } from "../../src/program.js";
import { ProgramBuilder, R0, R1, R2, R3, R6, R7, R10 } from "../../src/asm/index.js";
import { InvalidArgumentError, PermissionError } from "../../src/index.js";
import { counterMap } from "./sys-attach-helpers.js";
import { skipFor } from "../util/environment.js";

/** Bit offset of `member` in the struct or union `typeId`, looking through anonymous members like C. */
function findMember(typeId: number, member: string): number | undefined {
  const btf = kernelBtf();
  const t = btf.resolve(typeId);
  if (t.kind !== "STRUCT" && t.kind !== "UNION") return undefined;
  for (const m of (t as BtfStruct).members) {
    if (m.name === member) return m.bitOffset;
    if (m.name === "") {
      const inner = findMember(m.type, member);
      if (inner !== undefined) return m.bitOffset + inner;
    }
  }
  return undefined;
}

/** Byte offset of `member` in struct `name` of the kernel's BTF. */
function memberOffset(name: string, member: string): number {
  const btf = kernelBtf();
  for (const id of btf.idsByName(name)) {
    if (btf.typeById(id).kind !== "STRUCT") continue;
    const bits = findMember(id, member);
    if (bits !== undefined) return bits / 8;
  }
  throw new Error(`struct ${name} has no member ${member}`);
}

function funcId(name: string): number {
  const btf = kernelBtf();
  const id = btf.idsByName(name).find((i) => btf.typeById(i).kind === "FUNC");
  if (id === undefined) throw new Error(`no BTF FUNC ${name}`);
  return id;
}

/** for each map: bpf_seq_write(ctx->meta->seq, &map->id, 4). */
function mapIdIterator(): Uint8Array {
  const idOff = memberOffset("bpf_map", "id");
  return new ProgramBuilder()
    .ldxDW(R6, R1, memberOffset("bpf_iter__bpf_map", "meta"))
    .ldxDW(R7, R1, memberOffset("bpf_iter__bpf_map", "map"))
    .jeqImm(R7, 0, "out") // the final call of an iteration has map == NULL
    .ldxW(R2, R7, idOff)
    .stxW(R10, R2, -4)
    .ldxDW(R1, R6, memberOffset("bpf_iter_meta", "seq"))
    .mov64Reg(R2, R10).add64Imm(R2, -4)
    .mov64Imm(R3, 4)
    .call("seq_write")
    .label("out")
    .mov64Imm(R0, 0)
    .exit()
    .build();
}

test("bpf_map iterator lists the ids of our maps", (t) => {
  using a = counterMap(1, "tsbpf_iter_a");
  using b = counterMap(1, "tsbpf_iter_b");
  const idA = a.info().id;
  const idB = b.info().id;
  let prog: Program;
  try {
    prog = Program.load({
      type: ProgramType.Tracing, instructions: mapIdIterator(), license: "GPL", name: "tsbpf_iter",
      expectedAttachType: AttachType.TraceIter, attachBtfId: funcId("bpf_iter_bpf_map"),
    });
  } catch (e) {
    if (e instanceof PermissionError) return skipFor(t, "not root", `tracing program loads are refused: ${e.message}`);
    throw e;
  }
  try {
    using link = linkCreate({ progFd: prog.fd, attachType: AttachType.TraceIter });
    const info = linkInfo(link);
    assert.equal(info.type, LinkType.ITER);
    assert.equal(info.progId, prog.id);
    assert.equal(info.iter?.targetName, "bpf_map");

    // Each iterCreate starts a fresh pass over every map.
    for (let pass = 0; pass < 2; pass++) {
      using it = iterCreate(link);
      const bytes = readIterator(it, 4096);
      assert.equal(bytes.byteLength % 4, 0);
      const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const ids = Array.from({ length: bytes.byteLength / 4 }, (_, i) => v.getUint32(i * 4, true));
      assert.ok(ids.includes(idA) && ids.includes(idB), `pass ${pass}: ids ${ids.join(",")} include ${idA} and ${idB}`);
      assert.deepEqual([...ids].sort((x, y) => x - y), ids, "maps come in id order");
    }
  } finally {
    prog.close();
  }
});

test("iterCreate on a link that is not an iterator is refused", () => {
  using prog = Program.load({
    type: ProgramType.RawTracepoint, license: "GPL", name: "tsbpf_rawtp",
    instructions: new ProgramBuilder().mov64Imm(R0, 0).exit().build(),
  });
  using link = rawTracepointOpen(prog.fd, "sys_exit");
  assert.throws(() => iterCreate(link), InvalidArgumentError);
});
