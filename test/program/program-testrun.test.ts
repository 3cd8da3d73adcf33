import { test } from "node:test";
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { ProgramBuilder, R0, R1, R2, R3, R4, R5, R6, R7 } from "../../src/asm/index.js";
import { Program, ProgramType, enableStats } from "../../src/program.js";
import { NoSpaceError, InvalidArgumentError } from "../../src/sys/index.js";
import { onlineCpus } from "../../src/sys/cpus.js";
import { BpfMap, MapType } from "../../src/map.js";
import { frame, mapId, returnConstant } from "./program-util.js";

const XDP_TX = 3;

test("a socket filter reads packet bytes and returns a value derived from them", () => {
  // A socket filter sees the packet from the network header on (the kernel pulls the
  // Ethernet header first). Legacy packet loads, which need the context in r6:
  // r0 = ntohs(ip->tot_len) + ip->protocol
  const insns = new ProgramBuilder()
    .mov64Reg(R6, R1)
    .ldAbs("H", 2).mov64Reg(R7, R0) // ld_abs clobbers r1-r5, so keep the value in a callee-saved register
    .ldAbs("B", 9).add64Reg(R0, R7)
    .exit().build();
  using prog = Program.load({ type: ProgramType.SocketFilter, instructions: insns, license: "GPL", name: "iplen_proto" });
  for (const [totalLength, protocol, frameLength] of [[50, 6, 64], [86, 17, 100], [28, 1, 42]] as const) {
    const data = frame(frameLength, 0x0800);
    data[14] = 0x45;
    data[16] = totalLength >> 8;
    data[17] = totalLength & 0xff;
    data[23] = protocol;
    const r = prog.testRun({ data });
    assert.equal(r.retval, totalLength + protocol);
    // data_out is the whole frame again; the kernel hands back a zeroed link-layer header
    // for programs that never saw it (socket filters run from the network header).
    const expected = data.slice();
    expected.fill(0, 0, 14);
    assert.deepEqual(r.dataOut, expected);
  }
});

test("an XDP program rewrites the packet and data_out shows it", () => {
  // Swap the first two bytes (bounds-checked direct packet access) and return XDP_TX.
  const insns = new ProgramBuilder()
    .ldxW(R2, R1, 0) // data
    .ldxW(R3, R1, 4) // data_end
    .mov64Reg(R4, R2).add64Imm(R4, 2)
    .mov64Imm(R0, 1) // XDP_DROP if too short
    .jgtReg(R4, R3, "out")
    .ldxB(R4, R2, 0).ldxB(R5, R2, 1)
    .stxB(R2, R5, 0).stxB(R2, R4, 1)
    .mov64Imm(R0, XDP_TX)
    .label("out")
    .exit().build();
  using prog = Program.load({ type: ProgramType.XDP, instructions: insns, license: "GPL", name: "swap2" });
  const data = frame(60);
  const r = prog.testRun({ data });
  assert.equal(r.retval, XDP_TX);
  const expected = data.slice();
  [expected[0], expected[1]] = [data[1]!, data[0]!];
  assert.deepEqual(r.dataOut, expected);
  assert.ok(r.duration >= 0);

  // A caller-owned output buffer is filled in place.
  const out = new Uint8Array(128);
  const r2 = prog.testRun({ data, dataOut: out });
  assert.equal(r2.dataOut?.buffer, out.buffer);
  assert.deepEqual(r2.dataOut, expected);

  // Too small an output buffer: ENOSPC as a typed error that says how much is needed.
  assert.throws(() => prog.testRun({ data, dataOut: new Uint8Array(10) }), (e: unknown) => {
    assert.ok(e instanceof NoSpaceError);
    assert.match(e.message, /needs 60 bytes of data out/);
    return true;
  });
  // Output can be switched off.
  assert.equal(prog.testRun({ data, dataOutSize: 0 }).dataOut, undefined);
});

test("ctx in and ctx out reach the program (struct __sk_buff)", () => {
  // r0 = skb->mark * 2; skb->cb[0] = 77
  const insns = new ProgramBuilder()
    .ldxW(R0, R1, 8).mul64Imm(R0, 2)
    .mov64Imm(R2, 77).stxW(R1, R2, 48)
    .exit().build();
  using prog = Program.load({ type: ProgramType.SocketFilter, instructions: insns, license: "GPL" });
  const ctx = new Uint8Array(192);
  const view = new DataView(ctx.buffer);
  view.setUint32(8, 21, true); // mark
  const r = prog.testRun({ data: frame(64), ctx });
  assert.equal(r.retval, 42);
  assert.ok(r.ctxOut);
  const out = new DataView(r.ctxOut.buffer, r.ctxOut.byteOffset, r.ctxOut.byteLength);
  assert.equal(out.getUint32(48, true), 77);
  assert.equal(out.getUint32(8, true), 21);
  // The input stays untouched.
  assert.equal(view.getUint32(48, true), 0);
});

test("the cpu field runs a raw tracepoint program on the chosen CPU", (t) => {
  // r0 = bpf_get_smp_processor_id()
  const insns = new ProgramBuilder().call("get_smp_processor_id").exit().build();
  using prog = Program.load({ type: ProgramType.RawTracepoint, instructions: insns, license: "GPL" });
  const cpus = onlineCpus();
  if (cpus.length < 2) t.diagnostic("only one CPU online");
  for (const cpu of cpus) assert.equal(prog.testRun({ cpu }).retval, cpu);
  assert.throws(() => prog.testRun({ cpu: -1 }), InvalidArgumentError);
});

test("atomic fetch-add from concurrent test runs adds up exactly", async () => {
  using map = BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 1, name: "atomic_ctr" });
  // *(u64 *)&value[0] += 1 (atomic, fetching the old value into r2); return 1.
  const insns = new ProgramBuilder()
    .ldMapValue(R1, map.fd.raw, 0)
    .mov64Imm(R2, 1)
    .atomicAdd64(R1, R2, 0, { fetch: true })
    .mov64Imm(R0, 1)
    .exit().build();
  using prog = Program.load({ type: ProgramType.SocketFilter, instructions: insns, license: "GPL", name: "atomic_add" });
  assert.deepEqual(prog.info().mapIds, [mapId(map.fd)]);

  const workers = 4, runs = 50, repeat = 2000;
  const data = frame(64);
  const script = fileURLToPath(new URL("./program-atomics-worker.js", import.meta.url));
  const results = await Promise.all(
    Array.from({ length: workers }, () =>
      new Promise<number>((resolve, reject) => {
        const w = new Worker(script, { workerData: { id: prog.id, runs, repeat, data } });
        w.once("message", (m: { retvals: number }) => resolve(m.retvals));
        w.once("error", reject);
        w.once("exit", (code) => { if (code !== 0) reject(new Error(`worker exited with ${code}`)); });
      }),
    ),
  );
  // Plus some runs from the main thread while nothing else runs.
  prog.testRun({ data, repeat: 7 });
  assert.deepEqual(results, Array(workers).fill(runs));
  const value = map.lookup(new Uint32Array([0]));
  const total = new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0, true);
  assert.equal(total, BigInt(workers * runs * repeat + 7));
});

test("enableStats makes run time and run count visible in info", () => {
  using prog = Program.load({ type: ProgramType.SocketFilter, instructions: returnConstant(0), license: "GPL" });
  const data = frame(64);
  prog.testRun({ data, repeat: 50 });
  assert.equal(prog.info().runCount, 0n, "no stats without enableStats");
  {
    using _stats = enableStats();
    prog.testRun({ data, repeat: 100 });
    const info = prog.info();
    assert.equal(info.runCount, 100n);
    assert.ok(info.runTimeNs > 0n);
  }
  prog.testRun({ data, repeat: 100 });
  assert.equal(prog.info().runCount, 100n, "counting stops when the stats fd is closed");
});
