// Every kernel helper called with random arguments — NULL, small numbers,
// huge and negative values, and addresses in and around the stack, a map
// value, a map handle, a ring buffer, the packet and the context — ends in r0
// or in one of the machine's typed errors, never in a raw JavaScript
// exception (which the machine would wrap as a VmHelperError), and never
// hangs (the budget bounds bpf_loop).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProgramBuilder, R0, R1, R2, R3, R4, R5, R10 } from "../../src/asm/index.js";
import { MapType } from "../../src/map.js";
import { BpfError } from "../../src/sys/errors.js";
import { kernelHelpers, VmHelperError, VmKernel } from "../../src/vm/index.js";
import { packetWorld } from "./vm-kernel-helpers-util.js";

test("random arguments to every kernel helper end in r0 or a typed error", () => {
  const names = Object.keys(kernelHelpers(new VmKernel()));
  let x = 0x2545f491;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  for (const kind of ["xdp", "skb"] as const) {
    const { world, ctx, packet } = packetWorld(kind, Uint8Array.from({ length: 64 }, (_, i) => i));
    const hash = world.map({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 4 });
    const array = world.map({ type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 4 });
    const ring = world.map({ type: MapType.Ringbuf, keySize: 0, valueSize: 0, maxEntries: 4096 });
    const queue = world.map({ type: MapType.Queue, keySize: 0, valueSize: 8, maxEntries: 4 });
    const value = array.map.programLookup(new Uint8Array(4));
    const interesting = [0n, 1n, 4n, 8n, 16n, 64n, 0xffffn, 0x1_0000n, 0xffff_ffffn, (1n << 63n), (1n << 64n) - 1n, (1n << 64n) - 22n,
      ctx.base, ctx.base + 4n, value, value + 8n, value - 1n, hash.map.handle.base, array.map.handle.base, ring.map.handle.base, queue.map.handle.base,
      BigInt(packet.address(packet.data)), BigInt(packet.address(packet.end)) - 4n, BigInt(packet.address(packet.end))];
    // An argument: a value, or an offset below r10 (the stack).
    const pick = (): bigint | { stack: number } => {
      const r = next() % (interesting.length + 3);
      if (r === interesting.length) return { stack: 1 + (next() % 512) };
      if (r === interesting.length + 1) return BigInt(next() % 600);
      if (r === interesting.length + 2) return BigInt.asUintN(64, (BigInt(next()) << 32n) | BigInt(next()));
      return interesting[r] as bigint;
    };
    const show = (a: bigint | { stack: number }): string => (typeof a === "bigint" ? `0x${a.toString(16)}` : `r10-${a.stack}`);
    let calls = 0;
    for (const name of names) {
      for (let i = 0; i < 60; i++) {
        const b = new ProgramBuilder();
        for (let s = -512; s < 0; s += 8) b.stDW(R10, s, next() | 0);
        const registers = [R1, R2, R3, R4, R5];
        const args = registers.map(() => pick());
        args.forEach((a, j) => {
          const r = registers[j] as typeof R1;
          if (typeof a === "bigint") b.ldImm64(r, a);
          else b.mov64Reg(r, R10).add64Imm(r, -a.stack);
        });
        b.call(name as "map_lookup_elem").mov64Imm(R0, 0).exit();
        try {
          world.machine.run(world.program(b), { budget: 200_000 });
        } catch (e) {
          assert.ok(e instanceof BpfError && !(e instanceof VmHelperError), `${name}(${args.map(show).join(", ")}) threw ${String(e)}`);
        }
        calls++;
      }
    }
    assert.equal(calls, names.length * 60);
  }
});
