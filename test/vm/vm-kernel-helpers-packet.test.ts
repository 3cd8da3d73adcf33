// Packet and checksum helpers, with the kernel as the oracle: the same
// instructions run under BPF_PROG_TEST_RUN (XDP and tc programs) and in the
// machine (interpreter and JIT), and the return values and output packets
// must be equal byte for byte — head/tail/metadata moves at and past their
// limits, loads and stores at the packet's edges, and the checksum helpers
// on random packets, so the one's-complement edge cases (0 vs 0xffff, end-
// around carries) are the kernel's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProgramBuilder, R0, R1, R2, R3, R4, R5, R6, R7, R10 } from "../../src/asm/index.js";
import { Program, ProgramType } from "../../src/program.js";
import { PACKET_ADDRESS, type PacketKind } from "../../src/vm/index.js";
import { packetWorld, XDP_HEADROOM, XDP_MD } from "./vm-kernel-helpers-util.js";


interface Outcome {
  retval: number;
  dataOut: number[];
}

/** Runs `b`'s program in the kernel (XDP or tc) and in both engines of the machine on `data`; asserts they agree. */
function agree(kind: PacketKind, b: ProgramBuilder, data: Uint8Array, what: string): Outcome {
  using prog = Program.load({ type: kind === "xdp" ? ProgramType.XDP : ProgramType.SchedCls, instructions: b.build(), license: "GPL", name: "vm_oracle" });
  const r = prog.testRun({ data });
  const expected = { retval: r.retval >>> 0, dataOut: [...(r.dataOut ?? [])] };
  for (const engine of ["interpreter", "jit"] as const) {
    const got = runInMachine(kind, b, data, engine);
    assert.deepEqual(got, expected, `${what} [${engine}]`);
  }
  return expected;
}

/** The program on a fresh machine with an XDP or skb packet holding `data`. */
function runInMachine(kind: PacketKind, b: ProgramBuilder, data: Uint8Array, engine: "interpreter" | "jit"): Outcome {
  const { world, ctx, packet, frame } = packetWorld(kind, data);
  const r0 = world.machine.run(world.program(b), { engine, args: [ctx.base] }).r0;
  // XDP test runs hand back the metadata too; tc runs the data from the Ethernet header.
  const out = frame.slice(kind === "xdp" ? packet.meta : packet.data, packet.end);
  return { retval: Number(r0 & 0xffff_ffffn), dataOut: [...out] };
}

/** A counting packet of `length` bytes. */
function packet(length = 64): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + 3) & 0xff);
}

/** xorshift32: reproducible random packets. */
function randomBytes(seed: number): (length: number) => Uint8Array {
  let x = seed >>> 0 || 1;
  return (length) => Uint8Array.from({ length }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x & 0xff;
  });
}

/** r6 = ctx; then `body`; r0 is what the last helper returned. */
function prog(body: (b: ProgramBuilder) => void): ProgramBuilder {
  const b = new ProgramBuilder().mov64Reg(R6, R1);
  body(b);
  return b.exit();
}

test("xdp_adjust_head: at and past the 40-byte xdp_frame + metadata and the Ethernet header", () => {
  for (const delta of [-217, -216, -100, -1, 0, 1, 49, 50, 51, 0x7fff_ffff, -0x8000_0000]) {
    agree("xdp", prog((b) => b.mov64Imm(R2, delta).call("xdp_adjust_head")), packet(), `delta ${delta}`);
  }
  // With metadata the head may not run into it, and the metadata moves along.
  for (const delta of [-209, -208, 20]) {
    agree("xdp", prog((b) => b.mov64Imm(R2, -8).call("xdp_adjust_meta").stW(R10, -4, 0x0a0b0c0d).mov64Reg(R1, R6).mov64Imm(R2, delta).call("xdp_adjust_head")), packet(), `meta 8, head ${delta}`);
  }
});

test("xdp_adjust_tail: grows with zeros up to the frame's end, shrinks to an Ethernet header", () => {
  for (const delta of [-51, -50, -1, 0, 1, 100, 3456, 3457, 0x7fff_ffff]) {
    agree("xdp", prog((b) => b.mov64Imm(R2, delta).call("xdp_adjust_tail")), packet(), `delta ${delta}`);
  }
  agree("xdp", prog((b) => b.mov64Imm(R2, -30).call("xdp_adjust_tail").mov64Reg(R1, R6).mov64Imm(R2, 20).call("xdp_adjust_tail")), packet(), "shrink then grow: the regrown bytes are zero");
});

test("xdp_adjust_meta: 4-byte multiples up to 255 bytes, not past the frame's head or the data", () => {
  for (const delta of [-256, -252, -217, -216, -36, -32, -6, -4, 0, 4]) {
    agree("xdp", prog((b) => b.mov64Imm(R2, delta).call("xdp_adjust_meta")), packet(), `delta ${delta}`);
  }
  agree("xdp", prog((b) => b.mov64Imm(R2, 50).call("xdp_adjust_head").mov64Reg(R1, R6).mov64Imm(R2, -252).call("xdp_adjust_meta")), packet(), "252 bytes after moving the head");
  agree("xdp", prog((b) => b.mov64Imm(R2, 50).call("xdp_adjust_head").mov64Reg(R1, R6).mov64Imm(R2, -256).call("xdp_adjust_meta")), packet(), "256 bytes is -EACCES");
  // The program writes the metadata through data_meta (direct access, bounds-checked as the verifier wants).
  agree("xdp", prog((b) => b.mov64Imm(R2, -4).call("xdp_adjust_meta").jneImm(R0, 0, "out")
    .ldxW(R2, R6, XDP_MD.dataMeta).ldxW(R3, R6, XDP_MD.data).mov64Reg(R4, R2).add64Imm(R4, 4).jgtReg(R4, R3, "out")
    .stW(R2, 0, 0x11223344).mov64Reg(R0, R3).sub64Reg(R0, R2).label("out")), packet(), "metadata written through data_meta");
});

test("xdp_load_bytes / xdp_store_bytes / xdp_get_buff_len at the packet's edges", () => {
  for (const offset of [0, 60, 61, 64, 0xffff, 0x10000]) {
    // r0 = result ^ the loaded word (the buffer is left alone on failure).
    agree("xdp", prog((b) => b.stW(R10, -4, 0x5a5a5a5a).mov64Imm(R2, offset).mov64Reg(R3, R10).add64Imm(R3, -4).mov64Imm(R4, 4).call("xdp_load_bytes")
      .ldxW(R1, R10, -4).xor64Reg(R0, R1)), packet(), `load at ${offset}`);
    agree("xdp", prog((b) => b.stW(R10, -4, 0x01020304).mov64Imm(R2, offset).mov64Reg(R3, R10).add64Imm(R3, -4).mov64Imm(R4, 4).call("xdp_store_bytes")), packet(), `store at ${offset}`);
  }
  agree("xdp", prog((b) => b.mov64Imm(R2, -20).call("xdp_adjust_tail").mov64Reg(R1, R6).call("xdp_get_buff_len")), packet(), "length after a shrink");
});

test("skb_load_bytes / skb_store_bytes: bounds, the cleared buffer on failure, store flags", () => {
  for (const offset of [0, 60, 61, 64, 0x7fff_ffff, -1]) {
    agree("skb", prog((b) => b.stW(R10, -4, 0x5a5a5a5a).mov64Reg(R1, R6).mov64Imm(R2, offset).mov64Reg(R3, R10).add64Imm(R3, -4).mov64Imm(R4, 4).call("skb_load_bytes")
      .ldxW(R1, R10, -4).xor64Reg(R0, R1)), packet(), `load at ${offset}`);
    agree("skb", prog((b) => b.stW(R10, -4, 0x01020304).mov64Imm(R2, offset).mov64Reg(R3, R10).add64Imm(R3, -4).mov64Imm(R4, 4).mov64Imm(R5, 0).call("skb_store_bytes")), packet(), `store at ${offset}`);
  }
  for (const flags of [1, 2, 3, 4]) {
    agree("skb", prog((b) => b.stW(R10, -4, 0x01020304).mov64Imm(R2, 20).mov64Reg(R3, R10).add64Imm(R3, -4).mov64Imm(R4, 4).mov64Imm(R5, flags).call("skb_store_bytes")), packet(), `store flags ${flags}`);
  }
});

test("skb_pull_data and skb_change_tail", () => {
  for (const length of [0, 64, 65]) agree("skb", prog((b) => b.mov64Imm(R2, length).call("skb_pull_data")), packet(), `pull ${length}`);
  for (const [length, flags] of [[13, 0], [14, 0], [40, 0], [64, 0], [100, 0], [200, 0], [100, 1]] as const) {
    agree("skb", prog((b) => b.mov64Imm(R2, length).mov64Imm(R3, flags).call("skb_change_tail")), packet(), `change_tail ${length} flags ${flags}`);
  }
  agree("skb", prog((b) => b.mov64Imm(R2, 20).mov64Imm(R3, 0).call("skb_change_tail").mov64Reg(R1, R6).mov64Imm(R2, 64).mov64Imm(R3, 0).call("skb_change_tail")), packet(), "trim then grow: zeros");
});

test("csum_diff on random data: every size combination, with seeds", () => {
  const random = randomBytes(0xc5c5);
  for (const [fromSize, toSize] of [[0, 0], [4, 0], [0, 4], [8, 8], [20, 28], [3, 5], [1, 0], [0, 7], [12, 4]] as const) {
    // Packet bytes 0..31 are `from`, 32..59 `to`, 60..63 the seed.
    const b = prog((p) => p.mov64Imm(R2, 0).mov64Reg(R3, R10).add64Imm(R3, -64).mov64Imm(R4, 64).call("skb_load_bytes")
      .mov64Reg(R1, R10).add64Imm(R1, -64).mov64Imm(R2, fromSize).mov64Reg(R3, R10).add64Imm(R3, -32).mov64Imm(R4, toSize).ldxW(R5, R10, -4).call("csum_diff"));
    for (let i = 0; i < 40; i++) {
      const data = random(64);
      if (i % 10 === 0) data.fill(0); // all zero
      if (i % 10 === 1) data.fill(0xff);
      agree("skb", b, data, `sizes ${fromSize}/${toSize} case ${i}`);
    }
  }
});

test("l3_csum_replace / l4_csum_replace on random headers: sizes, diffs, pseudo-header and mangled-zero flags", () => {
  const random = randomBytes(0x1357);
  const CHECK = 16; // offset of the checksum field
  const cases: Array<[string, number, 0 | 2 | 4 | "diff" | "bad-diff"]> = [
    ["l3_csum_replace", 2, 2], ["l3_csum_replace", 4, 4], ["l3_csum_replace", 0, "diff"], ["l3_csum_replace", 0, "bad-diff"], ["l3_csum_replace", 3, 4],
    ["l4_csum_replace", 2, 2], ["l4_csum_replace", 4, 4], ["l4_csum_replace", 0, "diff"], ["l4_csum_replace", 0x10 | 4, 4],
    ["l4_csum_replace", 0x20 | 2, 2], ["l4_csum_replace", 0x20 | 0x40 | 4, 4], ["l4_csum_replace", 0x80 | 0x10 | 2, 2], ["l4_csum_replace", 0x100 | 2, 2],
  ];
  for (const [helper, flags, size] of cases) {
    // Packet bytes 20..23 are `from`, 24..27 `to` (or the diff).
    const b = prog((p) => {
      p.mov64Imm(R2, 20).mov64Reg(R3, R10).add64Imm(R3, -8).mov64Imm(R4, 8).call("skb_load_bytes");
      if (size === 2) p.ldxH(R3, R10, -8).ldxH(R4, R10, -4);
      else if (size === "diff") p.mov64Imm(R3, 0).ldxW(R4, R10, -4);
      else p.ldxW(R3, R10, -8).ldxW(R4, R10, -4);
      p.mov64Reg(R1, R6).mov64Imm(R2, CHECK).mov64Imm(R5, flags).call(helper as "l3_csum_replace").mov64Reg(R7, R0);
    });
    for (let i = 0; i < 40; i++) {
      const data = random(64);
      if (i % 8 === 0) data.fill(0, CHECK, CHECK + 2); // a zero checksum (UDP "none")
      if (i % 8 === 1) data.fill(0xff, CHECK, CHECK + 2);
      if (i % 8 === 2) data.set(data.subarray(20, 24), 24); // from === to
      agree("skb", b, data, `${helper} flags 0x${flags.toString(16)} case ${i}`);
    }
  }
  // Odd offsets and offsets past the packet are -EFAULT.
  for (const offset of [15, 62, 63, 64]) {
    agree("skb", prog((p) => p.mov64Imm(R2, offset).mov64Imm(R3, 1).mov64Imm(R4, 2).mov64Imm(R5, 2).call("l4_csum_replace")), packet(), `l4 at ${offset}`);
    agree("skb", prog((p) => p.mov64Imm(R2, offset).mov64Imm(R3, 1).mov64Imm(R4, 2).mov64Imm(R5, 2).call("l3_csum_replace")), packet(), `l3 at ${offset}`);
  }
});

test("the machine's packet is a low region: its addresses fit the u32 fields the program reads", () => {
  const out = runInMachine("xdp", prog((b) => b.ldxW(R0, R6, XDP_MD.data)), packet(), "interpreter");
  assert.equal(out.retval, PACKET_ADDRESS + XDP_HEADROOM);
});
